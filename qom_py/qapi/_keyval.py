"""
QEMU's ``KEY=VALUE,...`` parser (``util/keyval.c``), rewritten in Python.

This is the grammar behind ``qemu-storage-daemon --object``, HMP ``object_add``
and every other *keyval* front end.  It turns a string into a tree of dicts and
lists whose leaves are always strings; typing happens later, in the keyval-mode
input visitor (see `qom_py.qapi._scalars`).

The grammar, in QEMU's terms::

    key-vals     = [ key-val { ',' key-val } [ ',' ] ]
    key-val      = key '=' val | help
    key          = key-fragment { '.' key-fragment }
    key-fragment = qapi-name | index
    qapi-name    = [ '__' / [a-zA-Z0-9.-]* / '_' ] / [A-Za-z][A-Za-z0-9_-]* /
    index        = / [0-9]+ /          (never the first fragment: the root is a dict)
    val          = { / [^,] / | ',,' }
    help         = 'help' | '?'

plus, when the caller names an *implied key*, a first item without ``=``
(``iothread,id=x`` means ``qom-type=iothread,id=x``).

Semantics: each item is a path from the root to a leaf.  A numeric fragment
makes its parent a list, which happens in a second pass ("listify") once the
whole string is parsed, so indexes may come in any order.  The last item that
names a leaf wins.  Parsing stops at the first bad item, left to right; the
help check and the listify errors come after the whole string was parsed.

This module is pure: it imports nothing from the object layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, TypeAlias

from qom_py.errors import KeyvalError

__all__ = [
    "KeyvalDict",
    "KeyvalValue",
    "keyval_merge",
    "keyval_parse",
    "keyval_parse_with_help",
]

#: A parsed value: a string leaf, a dict of members, or a list of elements.
KeyvalValue: TypeAlias = "str | dict[str, KeyvalValue] | list[KeyvalValue]"

#: A fragment must be shorter than this (QEMU's ``char key_in_cur[128]``).
FRAGMENT_MAX: Final = 128

#: List indexes are capped here, as QEMU's ``key_to_index`` caps them at INT_MAX.
#: So ``list.2147483647`` and ``list.99999999999`` name the same slot.
_INDEX_MAX: Final = 2**31 - 1

_DIGITS: Final = frozenset("0123456789")
_ALPHA: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUM: Final = _ALPHA | _DIGITS
_NAME_CHARS: Final = _ALNUM | {"-", "_"}  # after the first letter of a QAPI name
_RFQDN_CHARS: Final = _ALNUM | {"-", "."}  # inside a downstream ``__RFQDN_`` prefix
_HELP_ITEMS: Final = ("help", "?")
_HEAD_END: Final = re.compile("[=,]")

# While parsing, the tree holds plain dicts and strings; lists appear only in
# `_listify`.  Numeric keys stay strings until then ("1" and "01" are distinct
# keys, as in QEMU's QDict), and the dict order of numeric keys records which
# spelling was written last (see `_store`).
_Node: TypeAlias = "dict[str, _Node | str]"


class KeyvalDict(dict[str, KeyvalValue]):
    """
    The root dict `keyval_parse` returns: a plain ``dict`` plus *help_requested*.

    It compares equal to any dict with the same items; *help_requested* does
    not take part in comparisons.

    Args:
        items: the initial members.
        help_requested: whether the string contained a ``help`` or ``?`` item.
    """

    __slots__ = ("help_requested",)

    def __init__(self, items: Mapping[str, KeyvalValue] | None = None, /, *, help_requested: bool = False) -> None:
        super().__init__(items or {})
        #: True when the string contained a bare ``help`` or ``?`` item.
        self.help_requested = help_requested

    def __repr__(self) -> str:
        return f"KeyvalDict({dict.__repr__(self)}, help_requested={self.help_requested})"


def keyval_parse(text: str, implied_key: str | None = None, *, accept_help: bool = True) -> KeyvalDict:
    """
    Parse *text* in QEMU's ``KEY=VALUE,...`` syntax.

    Args:
        text: the string, e.g. ``"iothread,id=io0,poll-max-ns=32768"``.
        implied_key: the key of a first item written without ``key=``
            (``"qom-type"`` for ``-object``); it may be dotted.
        accept_help: when false, a ``help`` or ``?`` item is an error, as in
            QEMU when the caller passes no help flag.

    Returns:
        The tree of dicts, lists and strings.  Its ``help_requested`` says
        whether a bare ``help`` or ``?`` item was present; such items are not
        stored, and all the other items are still parsed.

    Raises:
        KeyvalError: *text* breaks the grammar (QEMU's messages, e.g.
            ``Expected '=' after parameter 'an'``).
        ValueError: *implied_key* is not a valid key (a programming error).
    """
    if implied_key is not None:
        _check_implied_key(implied_key)
    simple = _parse_simple(text, implied_key)
    if simple is not None:
        return simple
    root: _Node = {}
    help_requested = False
    pos = 0
    # The implied key applies to the first item only, even when that item is
    # a help request ("help,iothread" is an error, as in QEMU).
    first = True
    while pos < len(text):
        pos, is_help = _parse_item(root, text, pos, implied_key if first else None)
        help_requested = help_requested or is_help
        first = False
    # QEMU checks for help before listifying, so this error hides list errors.
    if help_requested and not accept_help:
        msg = "Help is not available for this option"
        raise KeyvalError(msg)
    tree = _listify(root)
    assert isinstance(tree, dict)  # the root has no numeric keys
    return KeyvalDict(tree, help_requested=help_requested)


# The common case -- flat ``key=value`` items with plain names, no ``,,``, no
# help, no dots -- parsed with one regular expression and str.split.  Anything
# else (or anything this pattern does not match) takes the general parser, so
# the fast path only ever returns what the general parser would.
_SIMPLE_ITEM: Final = r"[A-Za-z][A-Za-z0-9_-]{0,126}=[^,]*"
_SIMPLE: Final = re.compile(rf"(?:{_SIMPLE_ITEM})(?:,{_SIMPLE_ITEM})*,?\Z")


def _parse_simple(text: str, implied_key: str | None) -> KeyvalDict | None:
    rest = text
    result = KeyvalDict()
    if implied_key is not None and "." not in implied_key:
        head, comma, tail = text.partition(",")
        if head and "=" not in head and head not in _HELP_ITEMS:
            result[implied_key] = head
            if not comma:
                return result
            rest = tail
            if not rest:
                return result
    if not _SIMPLE.match(rest):
        return None
    for item in rest.split(","):
        if item:
            key, _, value = item.partition("=")
            result[key] = value
    return result


def keyval_parse_with_help(
    text: str, implied_key: str | None = None, *, accept_help: bool = True
) -> tuple[dict[str, KeyvalValue], bool]:
    """
    Parse *text* like `keyval_parse`, returning the help flag separately.

    Returns:
        ``(tree, help_requested)``.

    Raises:
        KeyvalError: as `keyval_parse`.
        ValueError: as `keyval_parse`.
    """
    tree = keyval_parse(text, implied_key, accept_help=accept_help)
    return dict(tree), tree.help_requested


def keyval_merge(dest: dict[str, KeyvalValue], src: Mapping[str, KeyvalValue]) -> None:
    """
    Merge the parsed tree *src* into *dest*, as QEMU's ``keyval_merge`` does.

    Dicts present in both merge recursively, lists present in both are
    concatenated (*dest*'s elements first), and for a string present in both
    *src* wins.  What is taken from *src* is copied, so the two trees never
    share a dict or list afterwards.

    Unlike QEMU, which may leave *dest* half merged, *dest* is unchanged when
    the merge fails.

    Args:
        dest: the tree to update in place.
        src: the tree whose values take precedence.

    Raises:
        KeyvalError: a path is a string or dict or list in one tree and
            something else in the other (``Parameter 'opt2' used
            inconsistently``).
    """
    # Pass 1 finds the first clash in QEMU's depth-first order without
    # touching *dest*; pass 2 cannot fail.  Both walk with explicit stacks so
    # that a deep tree cannot exhaust Python's recursion limit.  Pass 1's stack
    # holds the chain of dicts being compared: (the dict in *dest*, the
    # members of the dict in *src* still to visit, their key).
    stack: list[tuple[Mapping[str, KeyvalValue], Iterator[tuple[str, KeyvalValue]], str]]
    stack = [(dest, iter(src.items()), "")]
    while stack:
        old_dict, items, _ = stack[-1]
        for key, new in items:
            old = old_dict.get(key)
            if old is None:
                continue
            if _kind(old) != _kind(new):
                path = "".join(f"{k}." for _, _, k in stack[1:]) + key
                msg = f"Parameter '{path}' used inconsistently"
                raise KeyvalError(msg)
            if isinstance(old, dict):
                assert isinstance(new, dict)
                stack.append((old, iter(new.items()), key))
                break
        else:
            stack.pop()

    pending: list[tuple[dict[str, KeyvalValue], Mapping[str, KeyvalValue]]] = [(dest, src)]
    while pending:
        into, frm = pending.pop()
        for key, new in frm.items():
            old = into.get(key)
            if isinstance(old, dict):
                assert isinstance(new, dict)
                pending.append((old, new))
            elif isinstance(old, list):
                assert isinstance(new, list)
                old.extend([_clone(item) for item in new])  # a list, in case old is new
            else:
                into[key] = _clone(new)


# --- parsing -----------------------------------------------------------------


def _parse_item(root: _Node, text: str, pos: int, implied_key: str | None) -> tuple[int, bool]:
    """Parse the item at *pos* into *root*; return (next position, is help)."""
    # The item's head runs to the first '=' or ','.  Decisions about help and
    # the implied key look at the head only.
    head_end = _head_end(text, pos)
    if head_end > pos and (head_end == len(text) or text[head_end] == ","):
        head = text[pos:head_end]
        if head in _HELP_ITEMS:
            return _skip_one_comma(text, head_end), True
        if implied_key is not None:
            # The implied value ends at the first ',' (so ",," cannot be used
            # in it) and can't contain '='.
            parent, leaf = _walk_key(root, implied_key)
            _put(parent, leaf, head, implied_key)
            return _skip_one_comma(text, head_end), False

    key = text[pos:head_end]
    parent, leaf = _walk_key(root, key)
    # _walk_key consumed the whole key, so we stand on '=', ',' or the end.
    if head_end == len(text) or text[head_end] != "=":
        msg = f"Expected '=' after parameter '{key}'"
        raise KeyvalError(msg)
    value, pos = _scan_value(text, head_end + 1)
    _put(parent, leaf, value, key)
    return pos, False


def _walk_key(root: _Node, key: str) -> tuple[_Node, str]:
    """
    Check *key* fragment by fragment and create its intermediate dicts.

    Returns the dict that holds the last fragment, and that fragment.  The
    order of the checks is QEMU's: for each fragment in turn, its syntax, then
    its length, then (for all but the first) whether the previous fragment may
    be a dict.
    """
    cur = root
    prev = ""  # the previous fragment, i.e. the key of *cur* in its parent
    s = 0
    while True:
        if s > 0 and s < len(key) and key[s] in _DIGITS:
            end = s
            while end < len(key) and key[end] in _DIGITS:
                end += 1
            length = end - s
        else:
            length = _qapi_name_length(key, s)
        if length == 0 or (s + length < len(key) and key[s + length] != "."):
            msg = f"Invalid parameter '{key}'"
            raise KeyvalError(msg)
        if length >= FRAGMENT_MAX:
            fragment = "" if s == 0 and length == len(key) else " fragment"
            msg = f"Parameter{fragment} '{key[s : s + length]}' is too long"
            raise KeyvalError(msg)
        if s > 0:
            cur = _put_dict(cur, prev, key, s - 1)
        prev = key[s : s + length]
        s += length
        if s == len(key):
            return cur, prev
        s += 1  # skip the '.'


def _qapi_name_length(key: str, s: int) -> int:
    """Return the length of the QAPI name at ``key[s:]``, or 0 if there is none."""
    p = s
    if p < len(key) and key[p] == "_":  # downstream extension "__RFQDN_"
        p += 1
        if p >= len(key) or key[p] != "_":
            return 0
        p += 1
        while p < len(key) and key[p] in _RFQDN_CHARS:
            p += 1
        if p >= len(key) or key[p] != "_":
            return 0
        p += 1
    if p >= len(key) or key[p] not in _ALPHA:
        return 0
    p += 1
    while p < len(key) and key[p] in _NAME_CHARS:
        p += 1
    return p - s


def _put_dict(cur: _Node, key: str, full_key: str, cursor: int) -> _Node:
    """Return the dict *cur[key]*, creating it; ``full_key[:cursor]`` names it in errors."""
    old = cur.get(key)
    if isinstance(old, str):
        msg = f"Parameters '{full_key[:cursor]}.*' used inconsistently"
        raise KeyvalError(msg)
    new: _Node = {} if old is None else old
    _store(cur, key, new)
    return new


def _put(cur: _Node, key: str, value: str, path: str) -> None:
    """Store the leaf *cur[key] = value*; *path* names the leaf in errors."""
    if isinstance(cur.get(key), dict):
        msg = f"Parameters '{path}.*' used inconsistently"
        raise KeyvalError(msg)
    _store(cur, key, value)


def _store(cur: _Node, key: str, value: _Node | str) -> None:
    # A numeric key moves to the end of its dict on every write, so that the
    # dict order tells `_listify` which of "1" and "01" was written last (the
    # last one wins).  Named keys keep their first position.
    if key[0] in _DIGITS:
        cur.pop(key, None)
    cur[key] = value


def _scan_value(text: str, pos: int) -> tuple[str, int]:
    """Read a value from *pos* up to a single ','; return (value, next position)."""
    parts: list[str] = []
    while True:
        comma = text.find(",", pos)
        if comma < 0:
            parts.append(text[pos:])
            return "".join(parts), len(text)
        parts.append(text[pos:comma])
        if comma + 1 < len(text) and text[comma + 1] == ",":
            parts.append(",")  # ",," is a literal comma
            pos = comma + 2
        else:
            return "".join(parts), comma + 1


def _head_end(text: str, pos: int) -> int:
    """Return the index of the first '=' or ',' at or after *pos*, else ``len(text)``."""
    match = _HEAD_END.search(text, pos)
    return len(text) if match is None else match.start()


def _skip_one_comma(text: str, pos: int) -> int:
    return pos + 1 if pos < len(text) and text[pos] == "," else pos


def _check_implied_key(implied_key: str) -> None:
    try:
        _walk_key({}, implied_key)
    except KeyvalError as exc:
        msg = f"implied_key {implied_key!r} is not a valid key: {exc}"
        raise ValueError(msg) from None


# --- listify -----------------------------------------------------------------


def _is_index(key: str) -> bool:
    return key[0] in _DIGITS  # a stored key is all digits or a QAPI name


def _listify(root: _Node) -> KeyvalValue:
    """
    Turn every dict whose keys are all indexes into a list, bottom up.

    Errors come in QEMU's order: a dict's members are handled (recursively)
    before the dict itself, in member order.
    """
    # An explicit stack instead of recursion, because a key may have thousands
    # of fragments.  The stack always holds the chain from the root down to the
    # dict being converted; each frame is (its members still to visit, its
    # converted members so far, its key in its parent).  Paths for messages
    # are built from the stack only when an error is raised.
    stack: list[tuple[Iterator[tuple[str, _Node | str]], dict[str, KeyvalValue], str]]
    stack = [(iter(root.items()), {}, "")]
    while True:
        members, converted, _ = stack[-1]
        for key, child in members:
            if isinstance(child, dict):
                stack.append((iter(child.items()), {}, key))
                break
            converted[key] = child
        else:
            _, _, key_in_parent = stack[-1]
            result = _convert(converted, stack)
            stack.pop()
            if not stack:
                return result
            stack[-1][1][key_in_parent] = result


def _convert(members: dict[str, KeyvalValue], stack: Sequence[tuple[object, object, str]]) -> KeyvalValue:
    """Return *members* (the top of *stack*) as a list if its keys are indexes, else as is."""
    has_index = any(_is_index(key) for key in members)
    if not has_index:
        return members
    if not all(_is_index(key) for key in members):
        msg = f"Parameters '{_path(stack)}*' used inconsistently"
        raise KeyvalError(msg)
    slots: dict[int, KeyvalValue] = {}
    for key, value in members.items():  # numeric keys are in last-write order
        slots[min(int(key), _INDEX_MAX)] = value
    # The indexes must be exactly 0..n-1: report the smallest one missing.
    missing = next(i for i in range(len(slots) + 1) if i not in slots)
    if missing < len(slots):
        msg = f"Parameter '{_path(stack)}{missing}' missing"
        raise KeyvalError(msg)
    return [slots[i] for i in range(len(slots))]


def _path(stack: Sequence[tuple[object, object, str]]) -> str:
    """
    The path of the dict atop *stack* for messages, e.g. ``"a.list."`` (``""`` for the root).

    Built for an error only: building it for every list would make a key of n
    nested indexes (``a.0.0.0...``) cost n squared.
    """
    return "".join(f"{key}." for _, _, key in stack[1:])


# --- merge helpers -----------------------------------------------------------


def _kind(value: KeyvalValue) -> type:
    return dict if isinstance(value, dict) else list if isinstance(value, list) else str


def _clone(value: KeyvalValue) -> KeyvalValue:
    """Copy the dicts and lists of *value* (strings are immutable), without recursion."""
    if isinstance(value, str):
        return value
    top: KeyvalValue = {} if isinstance(value, dict) else []
    pending: list[tuple[KeyvalValue, KeyvalValue]] = [(value, top)]
    while pending:
        frm, into = pending.pop()
        pairs = frm.items() if isinstance(frm, dict) else enumerate(frm)
        for key, item in pairs:
            copy: KeyvalValue = item
            if not isinstance(item, str):
                copy = {} if isinstance(item, dict) else []
                pending.append((item, copy))
            if isinstance(into, dict):
                assert isinstance(key, str)
                into[key] = copy
            else:
                assert isinstance(into, list)
                into.append(copy)
    return top
