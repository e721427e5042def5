"""
A custom user-creatable QOM type, declared the Python way: ``@qom_type`` and ``qom_py.prop``.

The type has one property of every kind (bool, string, enum, signed and unsigned
integers of each width, size, link) and a ``complete`` hook.  It is created three
ways -- from a ``--object`` keyval string, from a JSON ``--object`` string, and with
``object_add`` -- read back with ``property_get``, and deleted.

Run it with ``python examples/custom_type_declarative.py``.
"""

from __future__ import annotations

import json

import qom_py
from qom_py import Object, QOMError, prop, qom_type

TYPE_SENSOR = "demo-sensor"

#: The properties printed for each object, by their wire (QOM) names.
SHOWN = (
    "enabled", "label", "unit", "offset", "channel", "samples", "serial",
    "gain", "port", "rate", "counter", "buffer-size", "peer",
)


@qom_type(TYPE_SENSOR, interfaces=[qom_py.TYPE_USER_CREATABLE])
class Sensor(Object):
    """A pretend sensor with one property of each kind QOM knows."""

    enabled = prop.Bool(default=True, description="Whether the sensor reports")
    label = prop.Str(description="A human-readable name")
    unit = prop.Enum("SensorUnit", ["celsius", "kelvin", "fahrenheit"], default="celsius")
    offset = prop.Int(8, description="Calibration offset")  # type int8
    channel = prop.Int(16)  # int16
    samples = prop.Int(32, default=16)  # int32
    serial = prop.Int()  # int (64 bits)
    gain = prop.UInt(8)  # uint8
    port = prop.UInt(16)  # uint16
    rate = prop.UInt(32)  # uint32
    counter = prop.UInt()  # type string "uint" (64 bits)
    buffer_size = prop.Size(default=4096, description="Bytes of sample buffer")  # keyval takes 4k, 1M, ...
    peer = prop.Link(TYPE_SENSOR)  # link<demo-sensor>: a path, absolute or partial

    def complete(self) -> None:
        """Runs once every property is set and the object is attached as /objects/ID."""
        print(f"complete: {self.canonical_path} ({self.label or 'no label'}, {self.buffer_size} bytes)")


def show(obj: Object) -> None:
    """Print *obj*'s path and its properties as QMP ``qom-get`` would return them."""
    values = {name: obj.property_get(name) for name in SHOWN}
    print(f"{obj.canonical_path}: {json.dumps(values)}")


def main() -> None:
    """Create, read back and delete three sensors."""
    print("--object demo-sensor,help prints:")
    qom_py.object_option_parse("demo-sensor,help")  # a help request returns None

    # 1. A keyval string, as `--object` on the command line takes it.
    s1 = qom_py.object_option_parse(
        "demo-sensor,id=s1,label=Kitchen,,north,unit=kelvin,offset=-3,channel=0x7f,samples=64,"
        "serial=-9000000000,gain=200,port=8080,rate=4000000000,counter=18446744073709551615,"
        "buffer-size=1M,enabled=off"
    )
    # 2. A JSON string: values are typed as JSON (QMP object-add) types them.
    s2 = qom_py.object_option_parse(
        '{"qom-type": "demo-sensor", "id": "s2", "label": "Cellar", "peer": "s1", "buffer-size": 65536, "offset": 2}'
    )
    # 3. object_add: keyword names map to dashed names (buffer_size -> buffer-size).
    s3 = qom_py.object_add(TYPE_SENSOR, "s3", label="Attic", unit="fahrenheit", gain=7, buffer_size=8192, peer="/objects/s2")

    for obj in (s1, s2, s3):
        assert obj is not None
        show(obj)
    print(f"s3.peer is s2: {s3.link_target('peer') is s2}")

    # Errors carry QEMU's messages, and a failed creation leaves nothing behind.
    for bad in ("demo-sensor,id=s4,gain=300", "demo-sensor,id=s4,unit=rankine", "demo-sensor,id=s1"):
        try:
            qom_py.object_option_parse(bad)
        except QOMError as err:
            print(f"error: {err}")
    try:
        qom_py.object_add(TYPE_SENSOR, "s4", samples="64")
    except QOMError as err:
        print(f"error: {err}")

    for name in ("s3", "s2", "s1"):
        qom_py.object_del(name)
        print(f"deleted: {name}")
    print(f"left under /objects: {[name for name, _ in qom_py.object_get_objects_root().children()]}")


if __name__ == "__main__":
    main()
