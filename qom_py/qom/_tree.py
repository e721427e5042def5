"""
The composition tree: ``child<>``, ``link<>`` and alias properties, paths, resolution.

Every object has at most one parent, recorded by the ``child<T>`` property that
owns it.  The canonical path walks those properties up to the root container
(``/``); a detached object has no path.  Resolution follows QEMU's
``object_resolve_path``: absolute paths walk components from the root (empty
components skipped), partial paths are tried below *every* node of the tree and
must match exactly one object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from .._util.unset import UNSET
from ..errors import DeviceNotFoundError, ParameterError, QOMInternalError
from ..qapi._visitors import ForwardVisitor, InputVisitor, invalid_type
from ._property import GetFn, ObjectProperty, ReleaseFn, ResolveFn

if TYPE_CHECKING:
    from ._object import Object

__all__ = ["ChildProperty", "LinkCheck", "TreeMixin", "resolve_path", "resolve_path_ambiguous"]

#: ``check(obj, name, new_target)`` may raise a `QOMError` to veto a link change.
LinkCheck = Callable[["Object", str, "Object | None"], None]


def _is_child(prop: ObjectProperty) -> bool:
    return prop.type.startswith("child<")


class ChildProperty(ObjectProperty):
    """
    A ``child<T>`` property: it owns *child*, and its callbacks are the child's methods.

    Creating objects is a hot path, so a child property stores only its name,
    type and child; the callbacks are bound on access, and the fields a child
    property never has (setter, description, default, kind) are class constants.
    """

    __slots__ = ("child",)

    set = None
    description = None
    default = UNSET
    kind = None
    store = None

    def __init__(self, name: str, child: Object) -> None:  # noqa: D107 - see the class
        self.name = name
        self.type = child.klass.child_type
        #: The object this property owns.
        self.child = child

    @property
    def get(self) -> GetFn:  # type: ignore[override]  # read-only for child<> properties
        return self.child._child_get

    @property
    def resolve(self) -> ResolveFn:  # type: ignore[override]
        return self.child._child_resolve

    @property
    def release(self) -> ReleaseFn:  # type: ignore[override]
        return self.child._child_release


class TreeMixin:
    """
    Parent/child bookkeeping and the tree-shaped builders of `Object`.

    `Object.__init__` sets the state below (in one place, on its hot path).
    """

    # Class-level defaults; an object gets its own values when first attached or
    # when its first link is added.
    _parent: Object | None = None
    _parent_name: str | None = None
    _links: dict[str, Object | None] = MappingProxyType({})  # type: ignore[assignment]  # read-only until owned

    # -- tree shape ----------------------------------------------------------

    @property
    def parent(self) -> Object | None:
        """The object that owns this one through a ``child<>`` property."""
        return self._parent

    @property
    def canonical_path_component(self) -> str | None:
        """The name under the parent, or None when detached."""
        return self._parent_name

    @property
    def canonical_path(self) -> str | None:
        """``/a/b/c`` up to the root container, ``/`` for the root, None when detached."""
        me = cast("Object", self)  # TreeMixin is only mixed into Object
        if me is me.registry.root_if_created():
            return "/"
        parts: list[str] = []
        node: Object | None = me
        root = me.registry.root_if_created()
        while node is not None and node is not root:
            if node._parent_name is None:
                return None
            parts.append(node._parent_name)
            node = node._parent
        if node is None:
            return None
        return "/" + "/".join(reversed(parts))

    def children(self) -> Iterator[tuple[str, Object]]:
        """Yield ``(name, child)`` for every ``child<>`` property, in insertion order."""
        me = cast("Object", self)
        for prop in list(me._properties.values()):
            if _is_child(prop) and prop.resolve is not None:
                child = prop.resolve(me, prop.name)
                if child is not None:
                    yield prop.name, child

    def unparent(self) -> None:
        """Detach from the parent (QEMU's ``object_unparent``): usually finalizes."""
        if self._parent is not None and self._parent_name is not None:
            self._parent.property_del(self._parent_name)

    # -- builders ----------------------------------------------------------

    def property_add_child(self, name: str, child: Object) -> ObjectProperty:
        """
        Add *child* as ``child<T>`` property *name*; the parent takes a reference.

        Raises:
            DuplicatePropertyError: *name* is already used.
            QOMInternalError: *child* already has a parent.
        """
        child.ref()
        try:
            return self.adopt_child(name, child)
        except BaseException:
            child.unref()  # refused: give the reference back
            raise

    def adopt_child(self, name: str, child: Object) -> ObjectProperty:
        """
        `property_add_child`, the parent taking over the caller's reference to *child*.

        On failure the caller still owns its reference.  Creation uses this: a new
        object's only reference passes to the tree, with no ref/unref pair.
        """
        me: Object = self  # type: ignore[assignment]  # hot path: no cast() call
        if child._parent is not None:
            msg = f"object '{child.canonical_path}' already has a parent"
            raise QOMInternalError(msg)
        prop = me._add_property(ChildProperty(name, child))
        child._parent = me
        child._parent_name = prop.name
        return prop

    # The callbacks of the child<> property that owns this object.

    def _child_get(self, parent: Object) -> Any:
        return self.canonical_path

    def _child_resolve(self, parent: Object, pname: str) -> Object | None:
        return self  # type: ignore[return-value]  # hot path: no cast() call

    def _child_release(self, parent: Object, pname: str) -> None:
        me: Object = self  # type: ignore[assignment]  # hot path: no cast() call
        hook = getattr(me.klass, "unparent", None)
        if hook is not None:
            hook(me)
        self._parent = None
        self._parent_name = None
        me.unref()

    def property_add_link(
        self,
        name: str,
        target_type: str,
        *,
        check: LinkCheck | None = None,
        strong: bool = False,
        writable: bool = True,
        target: Object | None = None,
        description: str | None = None,
    ) -> ObjectProperty:
        """
        Add a ``link<target_type>`` property *name* (QEMU's ``object_property_add_link``).

        Reading gives the target's canonical path (``""`` when unset); writing takes a
        path, absolute or partial, and ``""`` clears.  *check* may veto a change;
        ``writable=False`` makes the link read-only.  A *strong* link holds a
        reference on its target.  The current target is `link_target`.
        """
        me = cast("Object", self)
        # Fix (tests/test_property.py, TestLink): the target is stored under the
        # property's *final* name, bound below once property_add has succeeded.
        # Storing under *name* up front let a refused duplicate add clobber the
        # existing link's target (leaking a strong reference), and made every
        # auto-numbered ``foo[*]`` link share one slot.
        key = name

        def get(obj: Object) -> Any:
            current = obj._links.get(key)
            return (current.canonical_path or "") if current is not None else ""

        def resolve(obj: Object, pname: str) -> Object | None:
            return obj._links.get(key)

        def set_(obj: Object, visitor: InputVisitor, pname: str, raw: object) -> None:
            path = visitor.type_str(pname, raw)
            new = resolve_link(obj, pname, target_type, path)
            if check is not None:
                check(obj, pname, new)
            old = obj._links.get(key)
            if strong and new is not None:
                new.ref()
            obj._links[key] = new
            if strong and old is not None:
                old.unref()

        def release(obj: Object, pname: str) -> None:
            old = obj._links.pop(key, None)
            if strong and old is not None:
                old.unref()

        prop = me.property_add(
            name,
            f"link<{target_type}>",
            get,
            set_ if writable else None,
            resolve=resolve,
            release=release,
            description=description,
        )
        key = prop.name
        if "_links" not in self.__dict__:
            self._links = {}
        self._links[key] = target
        if target is not None and strong:
            target.ref()
        return prop

    def link_target(self, name: str) -> Object | None:
        """The object link *name* points at, or None."""
        return self._links.get(name)

    def property_add_alias(self, name: str, target: Object, target_name: str) -> ObjectProperty:
        """
        Add *name* forwarding to *target*'s property *target_name*.

        The type is the target's (``child<T>`` becomes ``link<T>``); description
        and default are copied.  As QEMU's ``object_property_add_alias``, reads
        and writes go to the target as ``object_property_get``/``set`` of
        *target_name* through a `ForwardVisitor`: what the input visitor itself
        reports (a wrong type) names the alias; value checks (an enum member, an
        integer's width, the target's setter) and access errors (``Property
        'T.target_name' is not writable``) name the target.
        """
        me = cast("Object", self)
        tprop = target.property(target_name)
        type_ = tprop.type
        if type_.startswith("child<"):
            type_ = "link<" + type_[len("child<") :]

        def get(obj: Object) -> Any:
            return target.property_get(target_name)

        def set_(obj: Object, visitor: InputVisitor, pname: str, raw: object) -> None:
            target.property_set(target_name, raw, ForwardVisitor(visitor, target_name, pname))

        def resolve(obj: Object, pname: str) -> Object | None:
            return tprop.resolve(target, target_name) if tprop.resolve is not None else None

        prop = me.property_add(name, type_, get, set_, resolve=resolve, description=tprop.description)
        prop.default = tprop.default
        prop.kind = tprop.kind
        return prop

    # -- resolution ----------------------------------------------------------

    def resolve_component(self, part: str) -> Object | None:
        """Resolve one path component: a child, a link's target, an alias's target."""
        me: Object = self  # type: ignore[assignment]  # hot path: no cast() call
        prop = me.property_find(part)
        if prop is None or prop.resolve is None:
            return None
        return prop.resolve(me, part)

    def resolve_relative(self, parts: list[str]) -> Object | None:
        """Walk *parts* from this object (QEMU's ``object_resolve_abs_path``)."""
        node: Object | None = self  # type: ignore[assignment]  # hot path: no cast() call
        for part in parts:
            if node is None:
                return None
            node = node.resolve_component(part)
        return node


def _partial(node: Object, parts: list[str], typename: str | None) -> tuple[Object | None, bool]:
    # QEMU's object_resolve_partial_path: the path relative to *node*, then
    # below each child<> of *node*; two hits anywhere make the path ambiguous.
    hit = node.resolve_relative(parts)
    if hit is not None and typename is not None and hit.dynamic_cast(typename) is None:
        hit = None
    for _, child in list(node.children()):
        found, ambiguous = _partial(child, parts, typename)
        if ambiguous:
            return None, True
        if found is not None:
            if hit is not None:
                return None, True
            hit = found
    return hit, False


def resolve_path_ambiguous(root: Object, path: str, typename: str | None = None) -> tuple[Object | None, bool]:
    """
    Resolve *path* from *root*; return ``(object or None, ambiguous)``.

    An absolute path (``/`` first) walks from *root*; a partial path is tried
    below every node of the tree, *root* included, and must match exactly one
    object of *typename* (any type when None).
    """
    parts = [p for p in path.split("/") if p]
    if path.startswith("/"):
        hit = root.resolve_relative(parts)
        if hit is not None and typename is not None and hit.dynamic_cast(typename) is None:
            hit = None
        return hit, False
    return _partial(root, parts, typename)


def resolve_path(root: Object, path: str, typename: str | None = None) -> Object | None:
    """Resolve *path* from *root*; None when missing or ambiguous."""
    return resolve_path_ambiguous(root, path, typename)[0]


def resolve_link(obj: Object, name: str, target_type: str, path: str) -> Object | None:
    """
    Resolve a link property's new *path* (QEMU's ``object_resolve_link``).

    Raises:
        ParameterError: the path is ambiguous, or names an object of another type.
        DeviceNotFoundError: ``Device 'path' not found``.
    """
    if path == "":
        return None
    root = obj.registry.root
    target, ambiguous = resolve_path_ambiguous(root, path, target_type)
    if ambiguous:
        msg = f"Path '{path}' does not uniquely identify an object"
        raise ParameterError(msg)
    if target is None:
        other, other_ambiguous = resolve_path_ambiguous(root, path)
        if other is not None or other_ambiguous:
            raise invalid_type(name, target_type)
        msg = f"Device '{path}' not found"
        raise DeviceNotFoundError(msg)
    return target
