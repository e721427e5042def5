"""
A custom user-creatable QOM type, declared the QEMU way: `TypeInfo` and ``class_init``.

``class_init`` adds the class properties with the typed builders, and sets the
``complete`` and ``can_be_deleted`` hooks on the class's ``user-creatable``
interface class (as QEMU's ``USER_CREATABLE_CLASS(oc)->complete = ...``);
``instance_init`` gives each object its state and its ``link<>`` property.  The
object is created from a keyval string, from JSON and with ``object_add``, read
back with ``property_get``, and deleted.

Run it with ``python examples/custom_type_typeinfo.py``.
"""

from __future__ import annotations

import json
from typing import Any

import qom_py
from qom_py import Object, ObjectClass, QOMError, TypeInfo

TYPE_PUMP = "demo-pump"

#: (name, builder arguments): int widths and signedness of the integer properties.
INTS = (("offset", 8, True), ("channel", 16, True), ("samples", 32, True), ("serial", 64, True),
        ("gain", 8, False), ("port", 16, False), ("rate", 32, False), ("counter", 64, False))
SHOWN = ("enabled", "label", "mode", *(name for name, _, _ in INTS), "buffer-size", "peer")


def _getter(attr: str) -> Any:
    return lambda obj: getattr(obj, attr)


def _setter(attr: str) -> Any:
    def set_(obj: Object, value: Any) -> None:  # *value* is already checked against the type
        setattr(obj, attr, value)

    return set_


def pump_complete(obj: Object) -> None:
    """The user-creatable ``complete`` hook: runs after the properties, once attached."""
    obj.running = True  # type: ignore[attr-defined]  # per-object state
    print(f"complete: {obj.canonical_path} (mode {obj.property_get('mode')})")


def pump_can_be_deleted(obj: Object) -> bool:
    """The user-creatable ``can_be_deleted`` hook: a locked pump stays."""
    return not obj.property_get("locked")


def pump_class_init(klass: ObjectClass, data: Any) -> None:
    """Add the class properties and fill the interface's hooks."""
    klass.property_add_bool("enabled", _getter("enabled"), _setter("enabled"), description="Whether it pumps")
    klass.property_add_bool("locked", _getter("locked"), _setter("locked"), default=False)
    klass.property_add_str("label", _getter("label"), _setter("label"))
    klass.property_add_enum("mode", "PumpMode", ["off", "eco", "boost"], _getter("mode"), _setter("mode"),
                            default="eco")
    for name, bits, signed in INTS:
        klass.property_add_int(name, _getter(name), _setter(name), bits, signed)
    klass.property_add_size("buffer-size", _getter("buffer_size"), _setter("buffer_size"), default=4096)
    ucc = klass.dynamic_cast(qom_py.TYPE_USER_CREATABLE)
    assert ucc is not None
    ucc.complete = pump_complete  # type: ignore[attr-defined]  # QEMU: ucc->complete = ...
    ucc.can_be_deleted = pump_can_be_deleted  # type: ignore[attr-defined]


def pump_instance_init(obj: Object) -> None:
    """Give each pump its state, and its ``link<demo-pump>`` (per-object, so an instance property)."""
    obj.enabled = True  # type: ignore[attr-defined]
    obj.label = ""  # type: ignore[attr-defined]
    for name, _, _ in INTS:
        setattr(obj, name, 0)
    obj.running = False  # type: ignore[attr-defined]
    obj.property_add_link("peer", TYPE_PUMP)


def pump_instance_finalize(obj: Object) -> None:
    """Runs once when the last reference goes (after ``object_del``, or for a refused object)."""
    if obj.running:  # type: ignore[attr-defined]  # qom_py may also build throwaway instances
        print(f"finalize: {obj.label!r}")  # type: ignore[attr-defined]


qom_py.type_register(
    TypeInfo(
        TYPE_PUMP,
        interfaces=(qom_py.TYPE_USER_CREATABLE,),
        class_init=pump_class_init,
        instance_init=pump_instance_init,
        instance_finalize=pump_instance_finalize,
    )
)


def show(obj: Object) -> None:
    """Print *obj*'s path and its properties as QMP ``qom-get`` would return them."""
    print(f"{obj.canonical_path}: {json.dumps({name: obj.property_get(name) for name in SHOWN})}")


def main() -> None:
    """Create, read back and delete three pumps."""
    p1 = qom_py.object_option_parse(
        "demo-pump,id=p1,label=Well,mode=boost,offset=-128,channel=-1,samples=2147483647,serial=0x10,"
        "gain=255,port=65535,rate=0,counter=-1,buffer-size=2k"
    )
    p2 = qom_py.object_option_parse('{"qom-type": "demo-pump", "id": "p2", "label": "Pond", "peer": "p1", "enabled": false}')
    p3 = qom_py.object_add(TYPE_PUMP, "p3", props={"buffer-size": 1 << 30, "mode": "off"}, peer="/objects/p2", locked=True)
    for obj in (p1, p2, p3):
        assert obj is not None
        show(obj)

    try:
        qom_py.object_option_parse("demo-pump,id=p4,offset=128")
    except QOMError as err:
        print(f"error: {err}")
    try:
        qom_py.object_del("p3")
    except QOMError as err:
        print(f"error: {err}")
    p3.property_set("locked", False)
    for name in ("p3", "p2", "p1"):
        qom_py.object_del(name)
        print(f"deleted: {name}")


if __name__ == "__main__":
    main()
