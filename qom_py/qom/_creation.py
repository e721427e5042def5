"""
Building one object from a request: steps 4-7 of `qom_py.qom._user_creatable`.

``object_new``, the properties, the class's ``prepare`` slot, attaching to a
parent (``/objects`` for ``object-add``) and ``complete`` -- undone by any
failure, so nothing is left behind.  Creation is the daemon's hot path, so, as
cattrs generates its structure functions, one *builder* is generated per class
(and per schema struct for checked requests) with the class's constructor, hooks
and members' stores written out in straight-line code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .._log import blame
from .._util.codegen import compile_function
from .._util.unset import UNSET
from ..errors import QOMError
from ..qapi._visitors import JSON_VISITOR, InputVisitor
from ._object import Object, ObjectClass
from ._property import StoreIn

if TYPE_CHECKING:
    from ._object_schema import StructCodec

__all__ = ["PLAIN_BUILDER", "Builder", "Hooks", "builder", "hooks"]

#: The user-creatable interface's name (the interface itself lives one module up).
_USER_CREATABLE: Final = "user-creatable"

#: ``build(parent, id, request, visitor) -> object``: create, fill from *request*, attach as
#: child *id* of *parent* (which then owns it; with parent None the caller does), complete.
Builder = Callable[["Object | None", "str | None", Any, InputVisitor], Object]


#: The ``klass.memo`` key of the builder for plain (not schema-checked) requests.
PLAIN_BUILDER: Final = ("builder", None)


class Hooks:
    """
    A class's user-creatable hooks, read once per class (QEMU's class-struct slots
    are set in ``class_init`` and fixed afterwards).

    A hook may sit on the user-creatable interface class (QEMU style, set through
    a cast in ``class_init``) or on the class itself (declarative style).
    """

    __slots__ = ("can_be_deleted", "complete", "creatable", "prepare")

    def __init__(self, klass: ObjectClass) -> None:
        iface = klass.dynamic_cast(_USER_CREATABLE)
        #: Whether the class implements user-creatable (other classes have no hooks).
        self.creatable = iface is not None

        def slot(name: str) -> Any:
            if iface is None:
                return None
            hook = getattr(iface, name, None)
            return hook if hook is not None else getattr(klass, name, None)

        self.complete: Callable[[Object], None] | None = slot("complete")
        #: A qom_py extension: whole-object checks before the object is visible.
        self.prepare: Callable[[Object], None] | None = slot("prepare")
        self.can_be_deleted: Callable[[Object], bool] | None = slot("can_be_deleted")


def hooks(klass: ObjectClass) -> Hooks:
    """The user-creatable hooks of *klass* (memoized on the class)."""
    found: Hooks | None = klass.memo.get("user-creatable")
    if found is None:
        found = Hooks(klass)
        klass.memo["user-creatable"] = found
    return found


def builder(klass: ObjectClass, codec: StructCodec | None = None) -> Builder:
    """
    The builder of *klass* objects (memoized on the class).

    Without *codec*, the request is a mapping (or pairs) of property values read
    through the visitor, set as `Object.set_props` sets them.  With *codec*, the
    request is the dict *codec* checked (the members present, typed as JSON
    carries them, in schema order): a value the schema checked as the very kind of the class property
    needs no second check and goes into the declarative slot or to the
    property's store directly (QEMU visits it twice, with the same outcome);
    anything else, and every member when the new object already has observers,
    goes through `Object.property_set`.  The user-creatable hooks run for
    classes that implement the interface.
    """
    key = PLAIN_BUILDER if codec is None else ("builder", codec)
    found: Builder | None = klass.memo.get(key)
    if found is not None:
        return found
    own = hooks(klass)
    namespace: dict[str, Any] = {
        "prepare": own.prepare,
        "complete": own.complete,
        "UNSET": UNSET,
        "JSON_VISITOR": JSON_VISITOR,
        "complete_failed": _complete_failed(klass.type_name),
    }
    # The class's constructor, written out in place (the same lines as instantiate's).
    constructor = (klass._plan or klass.instance_plan()).constructor_lines(klass, namespace)
    lines = ["def build(parent, id_, request, visitor):", *constructor, "    try:"]
    if codec is None:
        lines.append("        obj.set_props(request, visitor)")
    else:
        lines += _fill_lines(klass, codec, namespace)
    if own.prepare is not None:
        lines.append("        prepare(obj)")
    lines += [
        "        if parent is not None:",
        "            parent.adopt_child(id_, obj)  # the parent takes our reference",
        "    except BaseException:",
        "        obj.unref()",
        "        raise",
    ]
    if own.complete is not None:
        lines += [
            "    try:",
            "        complete(obj)",
            "    except BaseException as exc:",
            "        complete_failed(exc, id_)",
            "        if parent is None:",
            "            obj.unref()",
            "        else:",
            "            obj.unparent()  # drops the parent's reference, the only one",
            "        raise",
        ]
    lines.append("    return obj")
    found = compile_function("\n".join(lines) + "\n", "build", namespace, f"builder of {klass.type_name}")
    klass.memo[key] = found
    return found


def _complete_failed(type_name: str) -> Callable[[BaseException, str | None], None]:
    """What a builder calls when ``complete`` raised: blame a foreign exception on the user type."""

    def complete_failed(exc: BaseException, id_: str | None) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, QOMError):
            blame(exc, f"complete() of type '{type_name}', id '{id_}'")

    return complete_failed


def _fill_lines(klass: ObjectClass, codec: StructCodec, namespace: dict[str, Any]) -> list[str]:
    lines = [
        "        if obj._observers:",
        "            obj.set_props(request, JSON_VISITOR)",
        "        else:",
        "            state = obj.__dict__",
    ]
    for index, (name, kind) in enumerate(zip(codec.wire_names, codec.kinds, strict=True)):
        prop = klass.property_find(name)
        if prop is None or kind is None or prop.store is None or prop.kind != kind:
            action = f"obj.property_set({name!r}, value, JSON_VISITOR)"
        elif isinstance(prop.store, StoreIn):  # StoreIn has no subclasses
            action = f"state[{prop.store.slot!r}] = value"
        else:
            namespace[f"store_{index}"] = prop.store
            action = f"store_{index}(obj, value)"
        lines += [
            f"            if {name!r} in request:",
            f"                value = request[{name!r}]",
            f"                {action}",
        ]
    return lines
