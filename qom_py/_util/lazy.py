"""Lazy public names (PEP 562): a package's ``__getattr__`` that imports a name's module on first access."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """
    A module ``__getattr__`` for *package* that imports its lazy names when first asked for.

    *names* maps each public name to the module defining it, relative to *package*
    (``"._aio_context"``); the value found is stored in *namespace* (the package's
    ``globals()``), so later accesses do not come back here.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__
