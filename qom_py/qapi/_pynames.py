"""
Python spellings of QAPI names: QEMU's ``c_name`` rule, with Python's reserved words.

QEMU's ``c_name(name)`` turns every character not valid in C into ``_`` and
prefixes ``q_`` to a C keyword or a name starting with a digit.  `py_name` is
the same rule for Python: ``poll-max-ns`` -> ``poll_max_ns``, ``if`` ->
``q_if``, ``3des`` -> ``q_3des``, and also names starting with ``_`` (QAPI's
downstream ``__RFQDN_`` prefix: ``__com.redhat_x`` -> ``q___com_redhat_x``),
which a class body would mangle and attrs would strip.  An enum member
also avoids `enum.Enum`'s attributes (`enum_member_name`: ``value`` ->
``q_value``).  `qapi_member_name` is
the way back for a Python attribute written by hand.
"""

from __future__ import annotations

import keyword
import re

__all__ = ["branch_class_name", "enum_member_name", "py_name", "qapi_member_name"]

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def py_name(name: str) -> str:
    """The Python identifier for the QAPI name *name* (see the module's description)."""
    name = _NOT_IDENTIFIER.sub("_", name)
    if keyword.iskeyword(name) or name[:1].isdigit() or name[:1] == "_":
        return "q_" + name
    return name


#: Names an enum member cannot take: `enum.Enum`'s own attributes.
_ENUM_RESERVED = frozenset({"name", "value", "mro"})


def enum_member_name(value: str) -> str:
    """The member name of the enum value *value*: `py_name`, and ``q_`` before ``name``, ``value``, ``mro``."""
    name = py_name(value)
    return "q_" + name if name in _ENUM_RESERVED else name


def branch_class_name(union: str, case: str) -> str:
    """The class of the branch *case* of the union *union*: ``ObjectOptions_iothread``."""
    return py_name(union) + "_" + _NOT_IDENTIFIER.sub("_", case)


def qapi_member_name(attribute: str) -> str:
    """The QAPI member name of a hand-written attribute: ``poll_max_ns`` -> ``poll-max-ns``, ``q_if`` -> ``if``."""
    if attribute.startswith("q_"):
        rest = attribute[2:]
        if keyword.iskeyword(rest) or rest[:1].isdigit() or rest[:1] == "_":
            return rest.replace("_", "-") if not rest.startswith("_") else rest
    return attribute.replace("_", "-")
