"""The one mapping between Python names (``poll_max_ns``) and wire names (``poll-max-ns``), QAPI type names and C names."""

from __future__ import annotations

import re

__all__ = ["array_name", "c_name", "camel_name", "python_name", "wire_name"]


def wire_name(name: str) -> str:
    """``thread_pool_min`` -> ``thread-pool-min`` (QOM and QMP spell names in kebab-case)."""
    return name.replace("_", "-")


def python_name(name: str) -> str:
    """``thread-pool-min`` -> ``thread_pool_min``."""
    return name.replace("-", "_")


def camel_name(name: str) -> str:
    """``test-widget`` -> ``TestWidget``: a QAPI type name made from a QOM or QMP name."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def c_name(name: str) -> str:
    """QEMU's ``c_name(name, protect=False)``: every character not valid in C becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def array_name(element_type: str) -> str:
    """The name QEMU gives the array type of *element_type* (``strList``)."""
    return element_type + "List"
