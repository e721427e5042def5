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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from ._table import TypeEntry

__all__ = ["EMPTY_LIST", "FrozenDict", "FrozenList", "checked_values_are_new", "freeze", "freezer"]

#: ``freeze(value)`` for the checked values of one type.
Freezer = Callable[[Any], Any]


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
    Any depth: a value too deep for the recursion limit (the checker takes
    1024 levels) is frozen again without recursion.
    """
    if type(value) not in _CONTAINERS:
        return value
    try:
        return _freeze(value)
    except RecursionError:
        pass  # out of the except block first: the failed attempt's frames are gone
    return _freeze_deep(value)


def _freeze(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return FrozenList([_freeze(item) if type(item) in _CONTAINERS else item for item in value])
    if kind is dict:
        return FrozenDict({key: _freeze(item) if type(item) in _CONTAINERS else item for key, item in value.items()})
    return value


def _freeze_deep(value: Any) -> Any:
    """`_freeze` with an explicit stack: (container, its items left, its frozen items so far, its key in its parent)."""

    def frame(container: Any, key: object) -> tuple[Any, Any, list[tuple[Any, Any]], object]:
        items = iter(container.items()) if type(container) is dict else enumerate(container)
        return (container, items, [], key)

    stack = [frame(value, None)]
    while True:
        container, items, done, _ = stack[-1]
        for key, item in items:
            if type(item) in _CONTAINERS:
                stack.append(frame(item, key))
                break
            done.append((key, item))
        else:
            _, _, _, key_in_parent = stack.pop()
            frozen = FrozenDict(done) if type(container) is dict else FrozenList([item for _, item in done])
            if not stack:
                return frozen
            stack[-1][2].append((key_in_parent, frozen))


def freezer(entry: Callable[[str], TypeEntry], type_name: str) -> Freezer | None:
    """
    A faster `freeze` for values the checker just returned as the type *type_name*.

    *entry* gives a type's check-table entry (`qom_py.qapi.Checker.entry`).
    Returns None for a scalar type.  The checker's lists and dicts are new
    (only an ``any`` value is the caller's, and is frozen by `freeze`), so the
    result walks only the members that hold containers and wraps the
    checker's own containers as it goes.
    """
    return _freezer(entry, type_name, frozenset())


def _freezer(entry: Callable[[str], TypeEntry], type_name: str, active: frozenset[str]) -> Freezer | None:
    if type_name in active:
        return freeze  # a recursive type: the plain walk
    found = entry(type_name)
    if found[0] == "enum":
        return None
    if found[0] == "builtin":
        return freeze if found[1] == "value" else None  # any: the caller's value, copied
    if found[0] == "alternate":
        return freeze
    active = active | {type_name}
    if found[0] == "array":
        element = _freezer(entry, found[1], active)
        if element is None:
            return FrozenList

        def freeze_array(value: Any) -> Any:
            return FrozenList(map(element, value)) if type(value) is list else freeze(value)

        return freeze_array
    _, members, variants, _ = found
    own = _member_freezers(entry, members, active)
    tag, branches = "", {}
    if variants is not None:
        tag = variants[0]
        for case, branch in variants[1]:
            branch_entry = entry(branch)
            assert branch_entry[0] == "object", branch_entry
            frozen = _member_freezers(entry, branch_entry[1], active)
            if frozen:
                branches[case] = frozen
    if not own and not branches:
        return FrozenDict

    if not branches:

        def freeze_struct(value: Any) -> Any:
            if type(value) is not dict:
                return freeze(value)
            for key, member in own:
                if key in value:
                    value[key] = member(value[key])  # the checker's new dict, not the caller's
            return FrozenDict(value)

        return freeze_struct

    def freeze_union(value: Any) -> Any:
        if type(value) is not dict:
            return freeze(value)
        for key, member in (*own, *branches.get(value.get(tag, ""), ())):
            if key in value:
                value[key] = member(value[key])
        return FrozenDict(value)

    return freeze_union


def _member_freezers(
    entry: Callable[[str], TypeEntry], members: tuple[tuple[str, bool, str], ...], active: frozenset[str]
) -> tuple[tuple[str, Freezer], ...]:
    found = ((name, _freezer(entry, typ, active)) for name, _, typ in members)
    return tuple((name, each) for name, each in found if each is not None)


def checked_values_are_new(entry: Callable[[str], TypeEntry], type_name: str) -> bool:
    """
    Whether the checker's values of *type_name* share nothing with its input.

    True unless an ``any`` is reachable (the checker hands an ``any`` value on
    as it came).  Such values may be stored as they are and frozen when first
    read: nobody else holds them.
    """
    return not _holds_any(entry, type_name, set())


def _holds_any(entry: Callable[[str], TypeEntry], type_name: str, seen: set[str]) -> bool:
    if type_name in seen:
        return False
    seen.add(type_name)
    found = entry(type_name)
    if found[0] == "builtin":
        return found[1] == "value"
    if found[0] == "enum":
        return False
    if found[0] == "array":
        return _holds_any(entry, found[1], seen)
    if found[0] == "alternate":
        return any(_holds_any(entry, branch, seen) for _, branch in found[1])
    _, members, variants, _ = found
    names = [typ for _, _, typ in members] + ([branch for _, branch in variants[1]] if variants else [])
    return any(_holds_any(entry, typ, seen) for typ in names)
