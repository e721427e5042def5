"""
Checked JSON values that cannot change in place: `FrozenList` and `FrozenDict`.

A structured property stores its checked value frozen, so that what a getter
hands out (``obj.rules``, ``property_get``, ``qom-get``) cannot be changed
behind the checks: only a set changes the value.  They are a `list` and a
`dict` for every reader (equality, ``isinstance``, JSON encoding, key order),
so no output needs converting; every method that would change one raises
`TypeError`.  `freeze` makes them, deeply, from JSON-shaped values.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn

__all__ = ["EMPTY_LIST", "FrozenDict", "FrozenList", "freeze"]


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    msg = f"a checked value ({type(self).__name__}) cannot be changed in place: set the property to a new value"
    raise TypeError(msg)


class FrozenList(list[Any]):
    """A `list` that refuses every change (a checked value; see the module's description)."""

    __slots__ = ()

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        # Rebuilt from a plain list: the default protocol would append items one by one.
        return (FrozenList, (list(self),))

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList:
        return self  # deeply frozen already


class FrozenDict(dict[str, Any]):
    """A `dict` that refuses every change (a checked value; see the module's description)."""

    __slots__ = ()

    pop = popitem = setdefault = update = clear = _refuse
    __setitem__ = __delitem__ = __ior__ = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self


#: The empty list, frozen (the value of a list property never set).
EMPTY_LIST: Final = FrozenList()

_CONTAINERS: Final = frozenset({list, dict})


def freeze(value: Any) -> Any:
    """
    *value* with every list and dict in it frozen (scalars and frozen values as they are).

    The containers are new: whoever holds *value* cannot reach the result.
    """
    kind = type(value)
    if kind is list:
        return FrozenList([freeze(item) if type(item) in _CONTAINERS else item for item in value])
    if kind is dict:
        return FrozenDict({key: freeze(item) if type(item) in _CONTAINERS else item for key, item in value.items()})
    return value
