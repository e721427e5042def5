"""Every error class pickles intact, keeps its QMP class, and derives from `QOMError`."""

from __future__ import annotations

import inspect
import pickle
import re
from typing import Any

import pytest

from qom_py import errors
from qom_py.errors import QOMError

#: Constructor arguments for the classes with their own signature, and the message they give.
SPECIAL: dict[str, tuple[tuple[Any, ...], str]] = {
    "PropertyNotFoundError": (("iothread", "poll-max"), "Property 'iothread.poll-max' not found"),
    "PropertyAccessError": (("iothread", "type", "writable"), "Property 'iothread.type' is not writable"),
    "DuplicatePropertyError": (
        ("io0", "container"),
        "attempt to add duplicate property 'io0' to object (type 'container')",
    ),
    "ObjectNotFoundError": (("io0",), "object 'io0' not found"),
    "ObjectInUseError": (("ml",), "object 'ml' is in use, can not be deleted"),
}

#: QMP classes that differ from GenericError.
QMP_CLASSES: dict[str, str] = {
    "DeviceNotFoundError": "DeviceNotFound",
    "CommandNotFoundError": "CommandNotFound",
}


def _classes() -> list[type[QOMError]]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return [c for c in classes if isinstance(c, type) and issubclass(c, QOMError)]


def _build(cls: type[QOMError]) -> tuple[QOMError, str]:
    """An instance of *cls* with representative arguments, and its expected message."""
    if cls.__name__ in SPECIAL:
        args, message = SPECIAL[cls.__name__]
        return cls(*args), message
    if cls.__init__ is QOMError.__init__:
        message = f"{cls.__name__} happened"
        return cls(message, "a hint line"), message
    # A class added later with its own signature: give each parameter a string.
    params = list(inspect.signature(cls).parameters)
    instance = cls(*(f"arg-{p}" for p in params))
    return instance, str(instance)


CLASSES = _classes()


def test_all_lists_error_classes() -> None:
    """`errors.__all__` names only exception classes, each deriving from `QOMError`."""
    assert [c.__name__ for c in CLASSES] == errors.__all__


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_pickle_round_trip(cls: type[QOMError]) -> None:
    """An error survives pickling with the same type, message, args, fields and QMP class."""
    error, message = _build(cls)
    assert str(error) == message
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(error, protocol=protocol))  # our own data
        assert type(copy) is cls
        assert str(copy) == message
        assert copy.args == error.args
        assert copy.qmp_class == error.qmp_class
        assert copy.hint == error.hint
        assert vars(copy) == vars(error)
        assert repr(copy) == repr(error)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_qmp_class(cls: type[QOMError]) -> None:
    """Each error reports QEMU's QMP class: GenericError unless QEMU uses another."""
    error, _ = _build(cls)
    expected = QMP_CLASSES.get(cls.__name__, "GenericError")
    assert cls.qmp_class == expected
    assert error.qmp_class == expected


def test_message_and_hint() -> None:
    """`str()` is the one-line message; the hint is kept apart."""
    error = errors.ParameterError("Parameter 'id' expects an identifier", errors.ID_HINT)
    assert str(error) == "Parameter 'id' expects an identifier"
    assert error.hint == "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
    assert error.message == str(error)
    assert repr(error) == "ParameterError(\"Parameter 'id' expects an identifier\")"


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.TypeNotFoundError, LookupError),
        (errors.AbstractTypeError, TypeError),
        (errors.PropertyNotFoundError, LookupError),
        (errors.PropertyAccessError, AttributeError),
        (errors.ParameterError, ValueError),
        (errors.KeyvalError, errors.ParameterError),
        (errors.JSONParseError, ValueError),
        (errors.DeviceNotFoundError, LookupError),
        (errors.CommandNotFoundError, LookupError),
        (errors.ObjectNotFoundError, LookupError),
    ],
    ids=lambda v: v.__name__,
)
def test_semantic_bases(cls: type[QOMError], builtin: type[BaseException]) -> None:
    """Errors also derive from the builtin that describes them, so callers may catch that."""
    assert issubclass(cls, builtin)


@pytest.mark.parametrize(
    ("error", "fields"),
    [
        (errors.PropertyNotFoundError("t", "n"), {"typename": "t", "name": "n"}),
        (errors.PropertyAccessError("t", "n", "readable"), {"typename": "t", "name": "n", "access": "readable"}),
        (errors.DuplicatePropertyError("n", "t"), {"name": "n", "typename": "t"}),
        (errors.ObjectNotFoundError("x"), {"id": "x"}),
        (errors.ObjectInUseError("x"), {"id": "x"}),
    ],
    ids=["not-found", "access", "duplicate", "object-not-found", "in-use"],
)
def test_structured_fields(error: QOMError, fields: dict[str, str]) -> None:
    """Structured errors keep their fields as attributes."""
    assert {key: getattr(error, key) for key in fields} == fields


def test_message_is_matchable() -> None:
    """Messages contain regex metacharacters, so tests match them escaped."""
    error = errors.PropertyNotFoundError("a.b", "c[0]")
    with pytest.raises(errors.PropertyNotFoundError, match=re.escape("Property 'a.b.c[0]' not found")):
        raise error
