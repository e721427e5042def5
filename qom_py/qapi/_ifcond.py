"""
``if`` conditions evaluated: QEMU's ``QAPISchemaIfCond`` (scripts/qapi/common.py) as the C preprocessor sees it.

A condition is written as a symbol (``'CONFIG_LINUX'``) or a tree of
``{'all': [...]}``, ``{'any': [...]}`` and ``{'not': ...}``.  Entities keep it
as text (``_ifcond_text`` in `qom_py.qapi._schema`): ``CONFIG_LINUX``, ``(A and B)``,
``(A or B)``, ``not A``.  The schema itself never evaluates one (a conditional
definition is always present); introspection does when given the symbols a
build defines (`ifcond_holds`), as the C preprocessor evaluates QEMU's
generated ``#if defined(A) && defined(B)``.

The text form is unambiguous (symbols are upper-case identifiers, the
operators lower-case words), so evaluation parses it back; each distinct text
is parsed once.  A module of its own, loaded by introspection only: reading
a schema does not pay for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Final, TypeAlias

__all__ = ["ifcond_holds"]

#: A parsed condition: a symbol, or an operator (``not``, ``all``, ``any``) and its operands.
_Tree: TypeAlias = "str | tuple[str, tuple[_Tree, ...]]"

_TOKEN: Final = r"\(|\)|[^\s()]+"  # compiled on first use (re caches it)


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> _Tree:
    tokens: list[str] = re.findall(_TOKEN, text)
    pos = 0

    def expr() -> _Tree:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "not":
            return ("not", (expr(),))
        if token != "(":
            return token
        operands = [expr()]
        operator = "all"
        while tokens[pos] != ")":
            operator = "all" if tokens[pos] == "and" else "any"
            pos += 1
            operands.append(expr())
        pos += 1
        return (operator, tuple(operands))

    tree = expr()
    assert pos == len(tokens), text
    return tree


def _holds(tree: _Tree, defined: Collection[str]) -> bool:
    if isinstance(tree, str):
        return tree in defined
    operator, operands = tree
    if operator == "not":
        return not _holds(operands[0], defined)
    if operator == "all":
        return all(_holds(t, defined) for t in operands)
    return any(_holds(t, defined) for t in operands)


def ifcond_holds(text: str | None, defined: Collection[str]) -> bool:
    """
    Whether the condition *text* (as `ifcond_text` wrote it) holds when exactly *defined* are defined.

    None (no condition) always holds.
    """
    if text is None:
        return True
    return _holds(_parse(text), defined)
