"""The public surface: `qom_py.__all__` and the public submodules' `__all__`."""

from __future__ import annotations

import importlib

import pytest

import qom_py

PUBLIC_MODULES = ["qom_py", "qom_py.errors", "qom_py.testing"]


def isort_key(name: str) -> tuple[int, str]:
    """
    Ruff's RUF022 ("isort-style") order: CONSTANTS, then Classes, then the rest.

    Within each group names sort by code point.
    """
    if len(name) > 1 and name.replace("_", "").isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_resolves(module_name: str) -> None:
    """Every name in a public module's `__all__` resolves to an attribute."""
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_sorted_and_unique(module_name: str) -> None:
    """`__all__` is sorted (constants, classes, functions) and has no duplicates or private names."""
    names = list(importlib.import_module(module_name).__all__)
    assert names == sorted(names, key=isort_key)
    assert len(set(names)) == len(names)
    assert not [name for name in names if name.startswith("_")]


def test_version() -> None:
    """`qom_py.__version__` is a string."""
    assert isinstance(qom_py.__version__, str)
    assert qom_py.__version__


def test_unknown_attribute() -> None:
    """An unknown module attribute raises `AttributeError` with Python's wording."""
    with pytest.raises(AttributeError, match="module 'qom_py' has no attribute 'no_such_name'"):
        getattr(qom_py, "no_such_name")  # noqa: B009 - the point of the test


@pytest.mark.parametrize(
    "name",
    ["TypeInfo", "TypeRegistry", "Object", "ObjectClass", "QOMError", "default_registry", "object_new",
     "object_dynamic_cast", "object_class_by_name", "object_resolve_path", "type_register", "prop", "qom_type"],
)
def test_contract_names_exported(name: str) -> None:
    """The names ARCHITECTURE.md promises are part of `__all__`."""
    assert name in qom_py.__all__


def test_prop_module() -> None:
    """`qom_py.prop` offers the declarative property kinds."""
    for kind in ("Bool", "Str", "Enum", "Int", "UInt", "Size", "Link"):
        assert callable(getattr(qom_py.prop, kind))
