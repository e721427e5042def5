"""
The ``user-creatable`` interface and object management: ``object_add``, ``object_del``,
``--object`` strings and their help.

One creation reads straight through `user_creatable_add_qapi`:

1. the schema checks the request (``qom-type``, then members, then leftovers);
2. the ``id`` must be an identifier;
3. the class must exist, be user-creatable and concrete;
4. ``object_new``; the properties are set in schema member order: a value the
   schema checked as the property's own kind goes straight to its store, any
   other through the JSON visitor (steps 4-7 live in `qom_py.qom._creation`);
5. the class's ``prepare`` slot (a qom_py extension: whole-object checks such
   as event loops' min/max pair) runs before anything is visible;
6. the object is attached as ``/objects/ID`` (a duplicate id fails here);
7. ``complete`` runs; if it fails the object is detached again.

Any failure releases the object: nothing is left behind.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, Final, TypeVar, overload

from .._util.names import wire_name
from .._util.unset import UNSET
from ..errors import ID_HINT, ObjectInUseError, ObjectNotFoundError, ParameterError, QOMError, TypeNotFoundError
from ..qapi._keyval import keyval_parse_with_help
from ..qapi._typed_json import typed_json
from ..qapi._visitors import JSON_VISITOR, KEYVAL_VISITOR, InputVisitor
from ._creation import PLAIN_BUILDER, Builder, builder, hooks
from ._declarative import declared_type_name
from ._object import Object, ObjectClass
from ._registry import TypeRegistry, default_registry
from ._typeinfo import TYPE_INTERFACE, TypeInfo

if TYPE_CHECKING:
    from ._object_schema import StructCodec

__all__ = [
    "TYPE_USER_CREATABLE",
    "install_user_creatable",
    "object_add",
    "object_del",
    "object_help",
    "object_new_with_props",
    "object_option_parse",
    "object_property_help",
    "object_set_props",
    "type_options_help",
    "user_creatable_add_qapi",
    "user_creatable_add_type",
    "user_creatable_can_be_deleted",
    "user_creatable_complete",
    "user_creatable_types_help",
]

ObjT = TypeVar("ObjT", bound=Object)

#: The interface of objects that ``object-add`` / ``--object`` may create.
TYPE_USER_CREATABLE: Final = "user-creatable"

_TYPES: Final = (TypeInfo(TYPE_USER_CREATABLE, parent=TYPE_INTERFACE),)
for _info in _TYPES:
    default_registry.register(_info)


def install_user_creatable(registry: TypeRegistry) -> None:
    """Register ``user-creatable`` in *registry* unless it has it (`default_registry` has it)."""
    registry.install(_TYPES)


#: QEMU's ``id_wellformed()``: a letter, then letters, digits, ``-``, ``.``, ``_``.
_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
_id_match: Final = _ID.match


def user_creatable_complete(obj: Object) -> None:
    """Run *obj*'s ``complete`` hook, if its class has one."""
    hook = hooks(obj.klass).complete
    if hook is not None:
        hook(obj)


def user_creatable_can_be_deleted(obj: Object) -> bool:
    """Ask *obj*'s ``can_be_deleted`` hook (true when there is none)."""
    hook = hooks(obj.klass).can_be_deleted
    return True if hook is None else bool(hook(obj))


class CreationCache:
    """What creation computes once per revision of a registry (``registry.caches.creation``)."""

    __slots__ = ("builders", "classes")

    def __init__(self) -> None:
        #: typename -> its class, checked to be creatable
        self.classes: dict[str, ObjectClass] = {}
        #: schema codec -> the builder of its type for the requests it checks
        self.builders: dict[StructCodec, Builder] = {}


def _current_cache(registry: TypeRegistry) -> CreationCache:
    caches = registry.caches
    cache = caches.creation
    if cache is None:  # the registry drops it at each revision
        cache = caches.creation = CreationCache()
    return cache


def _creatable_class(typename: str, registry: TypeRegistry) -> ObjectClass:
    """The class of *typename*, checked to be known, user-creatable and concrete."""
    cache = _current_cache(registry)
    klass = cache.classes.get(typename)
    if klass is None:
        klass = _check_creatable(typename, registry)
        cache.classes[typename] = klass
    return klass


def _check_creatable(typename: str, registry: TypeRegistry) -> ObjectClass:
    klass = registry.class_by_name(typename)
    if klass is None:
        msg = f"invalid object type: {typename}"
        raise QOMError(msg)
    if klass.dynamic_cast(TYPE_USER_CREATABLE) is None:
        msg = f"object type '{typename}' isn't supported by object-add"
        raise QOMError(msg)
    if klass.abstract:
        msg = f"object type '{typename}' is abstract"
        raise QOMError(msg)
    return klass


def _check_id(id: str) -> None:  # QEMU's name
    if _id_match(id) is None:
        raise ParameterError("Parameter 'id' expects an identifier", ID_HINT)


def user_creatable_add_type(
    typename: str,
    id: str,
    props: Mapping[str, Any],
    visitor: InputVisitor = JSON_VISITOR,
    *,
    registry: TypeRegistry = default_registry,
) -> Object:
    """
    Create *typename* as ``/objects/<id>`` with *props* (QEMU's ``user_creatable_add_type``).

    Returns:
        the new object, owned by the tree.

    Raises:
        ParameterError: bad id, property values.
        QOMError: unknown, abstract or non-creatable type; duplicate id; ``complete`` failed.
    """
    _check_id(id)
    klass = _creatable_class(typename, registry)
    return builder(klass)(registry.objects_root, id, props, visitor)


def user_creatable_add_qapi(
    options: Mapping[str, Any], visitor: InputVisitor = JSON_VISITOR, *, registry: TypeRegistry = default_registry
) -> Object:
    """
    Check *options* against ``ObjectOptions`` read through *visitor*, then create in *registry*.

    This is where QMP ``object-add`` (JSON) and ``--object`` (keyval or JSON) meet.
    """
    schema = registry.caches.object_schema
    if schema is None:
        # The schema engine is loaded by the first creation, not by import
        # (``--object help`` needs none of it).
        from ._object_schema import ObjectSchema

        schema = ObjectSchema.of(registry)
    typename, id_, codec = schema.dispatch(options, visitor)
    try:
        typed = codec.check(options)
    except ParameterError:  # typed values from Python (qom_py.qapi_type) are checked as their JSON
        as_json = typed_json(options)
        if as_json is options:
            raise
        typed = codec.check(as_json)
    if _id_match(id_) is None:  # _check_id, its common case inlined (hot path)
        _check_id(id_)
    # The schema typed every value as JSON carries it; its codec says how.
    cache = _current_cache(registry)
    build = cache.builders.get(codec)
    if build is None:
        build = builder(_creatable_class(typename, registry), codec)
        cache.builders[codec] = build
    return build(registry.objects_root, id_, typed, JSON_VISITOR)


@overload
def object_add(
    typename: str,
    /,
    id: Any = UNSET,
    props: Mapping[str, Any] | None = None,
    *,
    registry: TypeRegistry = default_registry,
    **kwargs: Any,
) -> Object: ...
@overload
def object_add(
    typename: type[ObjT],
    /,
    id: Any = UNSET,
    props: Mapping[str, Any] | None = None,
    *,
    registry: TypeRegistry = default_registry,
    **kwargs: Any,
) -> ObjT: ...
def object_add(
    typename: str | type[Object],
    /,
    id: Any = UNSET,
    props: Mapping[str, Any] | None = None,
    *,
    registry: TypeRegistry = default_registry,
    **kwargs: Any,
) -> Object:
    """
    Create a user-creatable object, typed strictly as QMP ``object-add`` types it.

    ``object_add("main-loop", id="ml", thread_pool_min=1)``: keyword names map to
    QEMU's dashed names; *props* takes dashed names directly.  *typename* may be
    a declarative class (``object_add(Pump, id="p0")``): the result is then typed
    as that class.  The object goes to *registry* (keyword only); a property
    named ``registry`` is passed in *props*: ``props={"registry": value}``.

    Returns:
        the new object (``/objects/<id>``).

    Raises:
        QOMError: with QEMU's message; nothing is created then.
        TypeError: *registry* is not a `TypeRegistry` (a property value given by keyword).
    """
    given: object = registry  # untyped callers may pass a property's value here
    if not isinstance(given, TypeRegistry):
        msg = "object_add() takes registry= for the TypeRegistry; pass a property named 'registry' in props"
        raise TypeError(msg)
    options: dict[str, Any] = {}
    if id is not UNSET:
        options["id"] = id
    if props:
        options.update(props)
    for key, value in kwargs.items():
        options[wire_name(key)] = value
    if "qom-type" in options:
        msg = "object_add() takes the type as its first argument only, not as 'qom-type'"
        raise ParameterError(msg)
    options["qom-type"] = typename if isinstance(typename, str) else declared_type_name(typename)
    return user_creatable_add_qapi(options, JSON_VISITOR, registry=registry)


def object_new_with_props(
    typename: str,
    props: Mapping[str, Any] | None = None,
    *,
    parent: Object | None = None,
    id: str | None = None,
    registry: TypeRegistry = default_registry,
) -> Object:
    """
    Create *typename* of *registry* with *props* set in order, all or nothing (QEMU's ``object_new_with_props``).

    Values are typed as JSON carries them, checked as `Object.property_set`
    checks them.  With *parent* and *id* the object is attached as child *id*
    of *parent*, which owns it; otherwise the caller owns the one reference.
    A user-creatable object is then completed.  Any failure finalizes the
    object and propagates: nothing is left behind.

    Raises:
        TypeNotFoundError: ``invalid object type: x``.
        AbstractTypeError: ``object type 'x' is abstract``.
        QOMError: a property's error, a duplicate *id*, ``complete`` failing.
    """
    if (parent is None) is not (id is None):
        msg = "object_new_with_props() takes parent and id together, or neither"
        raise ParameterError(msg)
    klass = registry.classes.get(typename)  # concrete_class, its common case inlined
    if klass is None or klass.abstract:
        if registry.class_by_name(typename) is None:  # realizes it
            msg = f"invalid object type: {typename}"  # QEMU's words here (object_new says "unknown type")
            raise TypeNotFoundError(msg)
        klass = registry.concrete_class(typename)  # abstract: raises
    return (klass.memo.get(PLAIN_BUILDER) or builder(klass))(parent, id, props or (), JSON_VISITOR)


def object_set_props(obj: Object, props: Mapping[str, Any]) -> None:
    """Set *props* on *obj* in order (QEMU's ``object_set_props``; see `Object.set_props`)."""
    obj.set_props(props)


def object_del(id: str, *, registry: TypeRegistry = default_registry) -> None:  # QEMU's name
    """
    Delete ``/objects/<id>`` (QEMU's ``user_creatable_del``).

    Raises:
        ObjectNotFoundError: ``object 'x' not found``.
        ObjectInUseError: ``object 'x' is in use, can not be deleted``.
    """
    obj = registry.objects_root.resolve_component(id)
    if obj is None:
        raise ObjectNotFoundError(id)
    if not user_creatable_can_be_deleted(obj):
        raise ObjectInUseError(id)
    obj.unparent()


def object_option_parse(
    text: str, *, out: IO[str] | None = None, registry: TypeRegistry = default_registry
) -> Object | None:
    """
    Create the object one ``--object`` string describes, as ``qemu-storage-daemon`` does.

    A string starting with ``{`` is JSON; anything else is keyval with the implied
    key ``qom-type``.  A help request prints help to *out* (stdout) and returns None.

    Raises:
        QOMError: QEMU's message (``err.hint`` holds a second line where QEMU prints one).
    """
    if text.startswith("{"):
        from ..qapi._json_streamer import parse_json_object

        return user_creatable_add_qapi(parse_json_object(text), JSON_VISITOR, registry=registry)
    args, help_requested = keyval_parse_with_help(text, "qom-type")
    if help_requested:
        print(object_help(args, registry), end="", file=out if out is not None else sys.stdout)
        return None
    return user_creatable_add_qapi(args, KEYVAL_VISITOR, registry=registry)


# -- help ----------------------------------------------------------------------


def user_creatable_types_help(registry: TypeRegistry = default_registry) -> str:
    """``List of user creatable objects:`` and the concrete types, sorted case-insensitively."""
    lines = ["List of user creatable objects:"]
    for klass in registry.class_get_list_sorted(TYPE_USER_CREATABLE, include_abstract=False):
        lines.append(f"  {klass.type_name}")
    return "\n".join(lines) + "\n"


def object_property_help(name: str, type: str, default: Any, description: str | None) -> str:
    """One help line: ``  name=<type>``, padded to column 24 before `` - `` when there is more."""
    line = f"  {name}=<{type}>"
    if description or default is not UNSET:
        line = line.ljust(24) + " - "
    if description:
        line += description
    if default is not UNSET:
        # QEMU 7.2 prints every default as JSON (qobject_to_json).
        line += f" (default: {json.dumps(default, separators=(',', ':'))})"
    return line


def type_options_help(klass: ObjectClass) -> str:
    """``TYPE options:`` and one line per writable class property, sorted bytewise."""
    lines = sorted(
        object_property_help(p.name, p.type, p.default, p.description) for p in klass.properties() if p.set is not None
    )
    if not lines:
        return f"There are no options for {klass.type_name}.\n"
    return f"{klass.type_name} options:\n" + "".join(line + "\n" for line in lines)


def object_help(args: Mapping[str, Any], registry: TypeRegistry = default_registry) -> str:
    """
    The help text for a keyval ``--object`` help request with parsed *args*.

    The type's options when ``qom-type`` names a known type (abstract ones too),
    else the list of creatable types (QEMU's keyval behaviour).
    """
    typename = args.get("qom-type")
    if isinstance(typename, str):
        klass = registry.class_by_name(typename)
        if klass is not None:
            return type_options_help(klass)
    return user_creatable_types_help(registry)
