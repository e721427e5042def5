"""
Errors raised by qom_py, each worded as QEMU words it and tagged with its QMP class.

Every error raised on purpose derives from `QOMError`.  ``str(err)`` is QEMU's
message, one line, exactly what QMP carries in ``error.desc``; a second line that
QEMU prints only on the command line (a hint) is kept apart in ``err.hint``.
The QMP error class is data (``qmp_class``); the QMP dispatcher is the only place
that turns an exception into a ``{"error": ...}`` reply.

All constructors pass every argument to ``Exception.__init__`` so that errors
pickle and cross threads intact.
"""

from __future__ import annotations

from typing import ClassVar, Final

__all__ = [
    "AbstractTypeError",
    "CommandNotFoundError",
    "CommandRegistrationError",
    "DeviceNotFoundError",
    "DuplicatePropertyError",
    "JSONParseError",
    "KeyvalError",
    "ObjectInUseError",
    "ObjectNotFoundError",
    "ParameterError",
    "PropertyAccessError",
    "PropertyCallbackError",
    "PropertyNotFoundError",
    "QAPISchemaError",
    "QAPITypeNotFoundError",
    "QMPProtocolError",
    "QOMError",
    "QOMInternalError",
    "SchemaPathError",
    "TypeNotFoundError",
    "TypeRegistrationError",
]

#: The second line QEMU prints for a malformed ``id`` on the command line.
ID_HINT: Final = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."


class QOMError(Exception):
    """
    Base class for every error qom_py raises on purpose.

    Args:
        message: QEMU's one-line message (``str(err)``).
        hint: an optional second line, printed on the command line only.
    """

    #: QMP ``error.class`` reported when this error escapes a command.
    qmp_class: ClassVar[str] = "GenericError"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        #: QEMU's one-line message.
        self.message = message
        #: A second line for the command line (not part of QMP's ``desc``).
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class QOMInternalError(QOMError):
    """Something inside qom_py went wrong: this is our bug, please report it."""


class TypeRegistrationError(QOMError):
    """A `TypeInfo` cannot be registered (bad name, duplicate, broken hierarchy)."""


class TypeNotFoundError(QOMError, LookupError):
    """A type name is not registered."""


class AbstractTypeError(QOMError, TypeError):
    """An abstract type cannot be instantiated."""


class PropertyNotFoundError(QOMError, LookupError):
    """*typename* has no property called *name*."""

    def __init__(self, typename: str, name: str) -> None:
        super().__init__(f"Property '{typename}.{name}' not found")
        self.args = (typename, name)
        #: The object's type name.
        self.typename = typename
        #: The property that was asked for.
        self.name = name


class PropertyAccessError(QOMError, AttributeError):
    """A property is read-only (no setter) or write-only (no getter)."""

    def __init__(self, typename: str, name: str, access: str) -> None:
        super().__init__(f"Property '{typename}.{name}' is not {access}")
        self.args = (typename, name, access)
        #: The object's type name.
        self.typename = typename
        #: The property's name.
        self.name = name
        #: ``"readable"`` or ``"writable"``.
        self.access = access


class PropertyCallbackError(QOMError):
    """
    A property's own code (its getter, setter or ``check=``) raised an exception that is not a `QOMError`.

    The message is one line naming the property and the exception
    (``Property 'lamp.watts' raised ValueError: too bright``; QEMU has no
    equivalent); the exception itself is ``__cause__``.  Nothing was changed.
    """

    def __init__(self, typename: str, name: str, exc_type: str, text: str) -> None:
        first = text.strip().splitlines()[0] if text.strip() else ""
        message = f"Property '{typename}.{name}' raised {exc_type}"
        super().__init__(f"{message}: {first}" if first else message)
        self.args = (typename, name, exc_type, text)
        #: The object's type name.
        self.typename = typename
        #: The property's name.
        self.name = name

    @classmethod
    def of(cls, typename: str, name: str, exc: BaseException) -> PropertyCallbackError:
        """The error for *exc*, raised by the code of property *name* of a *typename* object."""
        return cls(typename, name, type(exc).__name__, str(exc))


class DuplicatePropertyError(QOMError):
    """A property name is already used on an object or its class chain."""

    def __init__(self, name: str, typename: str) -> None:
        super().__init__(f"attempt to add duplicate property '{name}' to object (type '{typename}')")
        self.args = (name, typename)
        #: The property name added twice.
        self.name = name
        #: The type of the object it was added to.
        self.typename = typename


class ParameterError(QOMError, ValueError):
    """An input value was rejected by a visitor, the schema, or a property check."""


class KeyvalError(ParameterError):
    """A ``key=value`` string does not follow QEMU's keyval grammar."""


class JSONParseError(QOMError, ValueError):
    """A JSON text could not be parsed (QEMU's ``JSON parse error, ...``)."""


class QAPISchemaError(QOMError, ValueError):
    """
    A QAPI schema is malformed.  Models QEMU's ``QAPIParseError``/``QAPISemError``.

    The message is QEMU's ``FILE:LINE:COL: problem`` for a syntax error (*col*
    given), ``FILE:LINE: problem`` for a semantic one and ``problem`` alone
    without a place (*file* None: the root file cannot be read), as
    ``scripts/qapi`` prints them.  QEMU prints more around it: the lines that
    say where the place is (*context*: ``In file included from FILE:LINE:``,
    ``FILE: In struct 'X':``) before, the *hint* after; `full_message` is the
    whole text.

    Args:
        file: the schema file's name, as the including file names it, or None.
        line: the 1-based line (of the token for a syntax error, of the
            definition for a semantic one).
        problem: what is wrong, in QEMU's words.
        col: the 1-based column of the offending token (syntax errors only).
        hint: QEMU's last line(s), if any (``Valid keys are ...``, the
            previous definition of a duplicate).
        context: QEMU's lines before the message, each ending in a newline.
    """

    def __init__(
        self,
        file: str | None,
        line: int,
        problem: str,
        col: int | None = None,
        hint: str | None = None,
        context: str = "",
    ) -> None:
        where = "" if file is None else f"{file}:{line}: " if col is None else f"{file}:{line}:{col}: "
        super().__init__(f"{where}{problem}", hint)
        self.args = (file, line, problem, col, hint, context)
        #: The schema file's name (None: no place).
        self.file = file
        #: The 1-based line number.
        self.line = line
        #: The problem without its location.
        self.problem = problem
        #: The 1-based column (syntax errors), or None.
        self.col = col
        #: The lines QEMU prints before the message (``In file included from ...``), or "".
        self.context = context

    @property
    def full_message(self) -> str:
        """Everything QEMU prints for this error: the context lines, the message, the hint."""
        text = self.context + self.message
        return text if self.hint is None else f"{text}\n{self.hint}"


class QAPITypeNotFoundError(QOMError, LookupError):
    """A QAPI type expression names no type of the schema."""

    def __init__(self, name: str) -> None:
        super().__init__(f"QAPI type '{name}' is not defined; define it first (qom_py.qapi_load)")
        self.args = (name,)
        #: The type name that was asked for.
        self.name = name


class SchemaPathError(QOMError, ValueError):
    """A libvirt probe path fails as libvirt reports it: the answer is malformed along it, or a terminal part has followers."""


class QMPProtocolError(QOMError):
    """A QMP message is malformed (not a command object, bad members, ...)."""


class DeviceNotFoundError(QOMError, LookupError):
    """A path or class does not name anything (QMP class ``DeviceNotFound``)."""

    qmp_class: ClassVar[str] = "DeviceNotFound"


class CommandNotFoundError(QOMError, LookupError):
    """A QMP command is unknown or not available now (QMP class ``CommandNotFound``)."""

    qmp_class: ClassVar[str] = "CommandNotFound"


class ObjectNotFoundError(QOMError, LookupError):
    """``object_del`` was given an id that is not under ``/objects``."""

    def __init__(self, id: str) -> None:  # QEMU's name
        super().__init__(f"object '{id}' not found")
        self.args = (id,)
        #: The id that was asked for.
        self.id = id


class ObjectInUseError(QOMError):
    """``object_del`` was refused by the object's ``can_be_deleted`` hook."""

    def __init__(self, id: str) -> None:  # QEMU's name
        super().__init__(f"object '{id}' is in use, can not be deleted")
        self.args = (id,)
        #: The id of the object that stays.
        self.id = id


class CommandRegistrationError(QOMError, ValueError):
    """A QMP command cannot be registered: a duplicate name or a bad argument spec."""
