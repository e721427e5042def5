"""
The QOM commands of QMP: ``object-add``, ``object-del``, ``qom-*`` and ``query-*``.

Each handler takes the command's arguments (already checked against its
argument spec by the dispatcher, except ``object-add``, whose arguments are an
``ObjectOptions`` checked by the schema) and returns the JSON reply value.
Errors are `QOMError`\\ s with QEMU's messages and classes.  Each handler
serves the registry given as *registry* (no default: `register_qom_commands`
binds the dispatcher's); bound, it is a `qom_py.qmp._dispatch.Handler`.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Final, Protocol, TypeVar, cast

from .._util.unset import UNSET
from ..errors import DeviceNotFoundError, QOMError
from ..loop import ThreadPool, main_aio_context
from ..loop._iothread import TYPE_IOTHREAD, query_iothreads
from ..qapi._json_parser import JSONValue
from ..qapi._json_writer import EncodedJSON, to_json
from ..qapi._visitors import JSON_VISITOR
from ..qom._object import Object, ObjectClass
from ..qom._property import ObjectProperty
from ..qom._registry import TypeRegistry
from ..qom._tree import resolve_path_ambiguous
from ..qom._user_creatable import object_del, user_creatable_add_qapi
from ._command_table import HandlerResult
from ._dispatch import Dispatcher, current_session
from ._introspect import QueryQMPSchema

__all__ = [
    "MAX_LIST_GET_REPLY",
    "qmp_object_add",
    "qmp_object_del",
    "qmp_qom_get",
    "qmp_qom_list",
    "qmp_qom_list_get",
    "qmp_qom_list_properties",
    "qmp_qom_list_types",
    "qmp_qom_set",
    "qmp_query_iothreads",
    "qmp_query_thread_pools",
    "register_qom_commands",
]


_T = TypeVar("_T")


class _RegistryHandler(Protocol):
    """A handler here: the checked arguments and the registry it serves (bound by `register_qom_commands`)."""

    def __call__(self, args: dict[str, JSONValue], registry: TypeRegistry) -> HandlerResult: ...


def _arg(args: dict[str, JSONValue], name: str, kind: type[_T]) -> _T:
    """Argument *name*, of the *kind* the dispatcher checked it to be (against the command's spec)."""
    return cast(_T, args[name])


def _resolve_strict(path: str, registry: TypeRegistry) -> Object:
    # qom-list / qom-list-get: an ambiguous path is an error of its own.
    obj, ambiguous = resolve_path_ambiguous(registry.root, path)
    if ambiguous:
        msg = f"Path '{path}' is ambiguous"
        raise QOMError(msg)
    if obj is None:
        msg = f"Device '{path}' not found"
        raise DeviceNotFoundError(msg)
    return obj


def _resolve_loose(path: str, registry: TypeRegistry) -> Object:
    # qom-get / qom-set ignore ambiguity: missing or ambiguous is "not found".
    obj, _ = resolve_path_ambiguous(registry.root, path)
    if obj is None:
        msg = f"Device '{path}' not found"
        raise DeviceNotFoundError(msg)
    return obj


def _listing_order(klass: ObjectClass, obj: Object | None = None) -> list[ObjectProperty]:
    # QEMU builds qom-list and qom-list-properties by prepending while iterating
    # (instance, then leaf class up to the root), so its reply starts at the root
    # class.  Here: each class root first, in declaration order, then *obj*'s
    # instance properties.
    props: list[ObjectProperty] = []
    for each in reversed(list(klass.ancestors())):
        props.extend(each.own_properties())
    if obj is not None:
        props.extend(obj.instance_properties())
    return props


def qmp_qom_list(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``qom-list {path}`` -> ``[{name, type}]``."""
    obj = _resolve_strict(_arg(args, "path", str), registry)
    return [{"name": p.name, "type": p.type} for p in _listing_order(obj.klass, obj)]


def qmp_qom_get(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``qom-get {path, property}`` -> the value as JSON."""
    value: JSONValue = _resolve_loose(_arg(args, "path", str), registry).property_get(_arg(args, "property", str))
    return value


def qmp_qom_set(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``qom-set {path, property, value}`` (strict JSON typing)."""
    _resolve_loose(_arg(args, "path", str), registry).property_visit(
        _arg(args, "property", str), JSON_VISITOR, args["value"]
    )
    return {}


#: Bound on the reply of one ``qom-list-get`` (arbitrary: some 40,000 iothreads'
#: worth; QEMU has none).  Asking for more is an error, before the reply is sent.
MAX_LIST_GET_REPLY: Final = 16 << 20
#: Objects resolved, or replies written, per event-loop pass (a few ms of work).
_LIST_GET_SLICE: Final = 256


def _list_get_entries(obj: Object) -> list[JSONValue]:
    entries: list[JSONValue] = []
    for prop in _listing_order(obj.klass, obj):
        entry: dict[str, JSONValue] = {"name": prop.name, "type": prop.type}
        if prop.get is not None:
            try:
                entry["value"] = prop.get(obj)
            except Exception:  # a user's getter may raise anything
                pass  # QEMU leaves "value" out when the getter fails
        entries.append(entry)
    return entries


def _list_get_too_big() -> QOMError:
    msg = f"Parameter 'paths' expects fewer paths: the reply would exceed {MAX_LIST_GET_REPLY} bytes"
    return QOMError(msg)


async def qmp_qom_list_get(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """
    ``qom-list-get {paths}`` (QEMU 10.1): every property with its value, per path.

    Worked through a slice of paths per event-loop pass, so that other clients are
    answered meanwhile; each object's part of the reply is written once per
    request, and the reply is bounded by `MAX_LIST_GET_REPLY`.
    """
    paths: list[str] = _arg(args, "paths", list)
    objects = []
    for index, path in enumerate(paths):
        if index and not index % _LIST_GET_SLICE:
            await asyncio.sleep(0)
        objects.append(_resolve_strict(path, registry))
    pretty = current_session().pretty
    written: dict[int, str] = {}  # id(obj) -> its part of the reply (objects are alive in *objects*)
    pieces: list[str] = []
    size = 2
    for index, obj in enumerate(objects):
        if index and not index % _LIST_GET_SLICE:
            await asyncio.sleep(0)
        piece = written.get(id(obj))
        if piece is None:
            piece = written[id(obj)] = to_json({"properties": _list_get_entries(obj)})
        size += len(piece) + 2
        if size > MAX_LIST_GET_REPLY:
            raise _list_get_too_big()
        pieces.append(piece)
    if pretty:
        # QEMU's pretty layout depends on the depth: written by the dispatcher.
        return [{"properties": _list_get_entries(obj)} for obj in objects]
    return EncodedJSON("[" + ", ".join(pieces) + "]")


def qmp_object_add(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``object-add`` with an ``ObjectOptions`` (``qom-type``, ``id``, properties)."""
    user_creatable_add_qapi(args, JSON_VISITOR, registry=registry)
    return {}


def qmp_object_del(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``object-del {id}``."""
    object_del(_arg(args, "id", str), registry=registry)
    return {}


def qmp_qom_list_types(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``qom-list-types {implements?, abstract?}`` -> ``[{name, parent?, abstract?}]``."""
    implements = cast("str | None", args.get("implements"))
    include_abstract = bool(args.get("abstract", False))
    result: list[JSONValue] = []
    for klass in registry.class_get_list(implements, include_abstract):
        entry: dict[str, JSONValue] = {"name": klass.type_name}
        if klass.abstract:
            entry["abstract"] = True
        if klass.parent_class is not None:
            entry["parent"] = klass.parent_class.type_name
        result.append(entry)
    return result


def qmp_qom_list_properties(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """
    ``qom-list-properties {typename}``.

    An abstract type lists its class properties; a concrete one gets a throwaway
    instance (``instance_init`` runs, ``complete`` does not), as QEMU does.
    """
    typename = _arg(args, "typename", str)
    klass = registry.class_by_name(typename)
    if klass is None:
        msg = f"Class '{typename}' not found"
        raise DeviceNotFoundError(msg)
    if klass.is_interface:
        raise QOMError("Parameter 'typename' expects a QOM type")
    if klass.abstract:
        props = _listing_order(klass)
    else:
        obj = registry.new(typename)
        try:
            props = _listing_order(klass, obj)
        finally:
            obj.unref()
    result: list[JSONValue] = []
    for prop in props:
        entry: dict[str, JSONValue] = {"name": prop.name, "type": prop.type}
        if prop.description is not None:
            entry["description"] = prop.description
        if prop.default is not UNSET:
            entry["default-value"] = prop.default
        result.append(entry)
    return result


def qmp_query_iothreads(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """``query-iothreads``: the iothreads under *registry*'s ``/objects``."""
    result: list[JSONValue] = [*query_iothreads(registry)]
    return result


def _pool_entry(name: str, pool: ThreadPool) -> dict[str, JSONValue]:
    stats = pool.statistics()
    return {
        "id": name,
        "min-threads": stats.min_threads,
        "max-threads": stats.max_threads,
        "threads": stats.threads,
        "idle-threads": stats.idle_threads,
        "queued": stats.queued,
        "spawned": stats.spawned,
        "completed": stats.completed,
    }


def qmp_query_thread_pools(args: dict[str, JSONValue], registry: TypeRegistry) -> JSONValue:
    """
    ``query-thread-pools`` (qom-py only): each event-loop context's pool statistics.

    The main loop's context is listed as ``main-loop``; each iothread by its id.
    """
    result: list[JSONValue] = [_pool_entry("main-loop", main_aio_context().thread_pool)]
    for name, obj in registry.objects_root.children():
        if obj.dynamic_cast(TYPE_IOTHREAD) is None:
            continue
        ctx = getattr(obj, "aio_context", None)
        if ctx is not None:
            result.append(_pool_entry(name, ctx.thread_pool))
    return result


def register_qom_commands(dispatcher: Dispatcher) -> None:
    """Register the QOM commands and ``query-qmp-schema`` on *dispatcher*: their arguments are QEMU's (``schemas/``)."""
    registry = dispatcher.registry
    dispatcher.register("query-qmp-schema", QueryQMPSchema(dispatcher))
    # object-add's ObjectOptions: the registry's object schema checks them.
    dispatcher.register("object-add", functools.partial(qmp_object_add, registry=registry), None)
    handlers: list[tuple[str, _RegistryHandler]] = [
        ("object-del", qmp_object_del),
        ("qom-list", qmp_qom_list),
        ("qom-get", qmp_qom_get),
        ("qom-set", qmp_qom_set),
        ("qom-list-get", qmp_qom_list_get),
        ("qom-list-types", qmp_qom_list_types),
        ("qom-list-properties", qmp_qom_list_properties),
        ("query-iothreads", qmp_query_iothreads),
        ("query-thread-pools", qmp_query_thread_pools),
    ]
    for name, handler in handlers:
        dispatcher.register(name, functools.partial(handler, registry=registry))
