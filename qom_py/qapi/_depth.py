"""
Deep values: room on Python's stack for what the JSON parser lets through.

QEMU's visitors recurse in C, where the JSON parser's nesting limit (1024)
leaves plenty of stack; the checker's compiled checks recurse in Python, two
to four frames per level, past the default recursion limit of 1000 at ~300
levels.  `deep_retry` runs such a check again with the limit raised for as
long as it takes (Python 3.11 frames live on the heap, not the C stack), once
the value's depth, measured without recursion, is known to be within
`MAX_DEPTH`; deeper values (keyval keys of thousands of fragments, Python
values) get one line: ``Parameter nesting depth limit exceeded``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Final, TypeVar

from ..errors import ParameterError
from ._json_streamer import MAX_NESTING

__all__ = ["MAX_DEPTH", "deep_retry", "nesting_depth", "recursion_room"]

#: Values nested deeper than this are refused: what QEMU's JSON parser allows.
MAX_DEPTH: Final = MAX_NESTING
#: Python frames a check uses per level of nesting, at most (a struct inside an alternate).
_FRAMES_PER_LEVEL: Final = 4
#: Frames for what a check calls besides itself (visitors, the unexpected-member search).
_FRAMES_SPARE: Final = 100

_T = TypeVar("_T")

_lock = threading.Lock()
# The threads inside `recursion_room`, and the limit to restore when the last one leaves.
_users = 0
_saved_limit = 0


def nesting_depth(value: object, limit: int = MAX_DEPTH) -> int:
    """
    How deeply dicts, lists and tuples nest in *value* (a scalar: 0), without recursion.

    The count stops early, at ``limit + 1``, once the answer is past *limit*.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return deepest


@contextlib.contextmanager
def recursion_room(frames: int) -> Iterator[None]:
    """
    Raise the recursion limit by *frames* for the block.

    Threads inside at once share the raise (the largest one asked); the last to
    leave puts the limit back.
    """
    global _users, _saved_limit  # one process-wide setting, guarded by _lock
    with _lock:
        if _users == 0:
            _saved_limit = sys.getrecursionlimit()
        _users += 1
        wanted = _saved_limit + frames
        if wanted > sys.getrecursionlimit():
            sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setrecursionlimit(_saved_limit)


def deep_retry(call: Callable[[], _T], value: object) -> _T:
    """
    Run *call* (a check of *value* that raised `RecursionError`) again, with room for *value*'s depth.

    Raises:
        ParameterError: *value* nests deeper than `MAX_DEPTH`.
    """
    depth = nesting_depth(value)
    if depth > MAX_DEPTH:
        msg = "Parameter nesting depth limit exceeded"
        raise ParameterError(msg)
    with recursion_room(_FRAMES_PER_LEVEL * depth + _FRAMES_SPARE):
        return call()
