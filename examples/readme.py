"""The example on the README's first screen (kept identical to it; run by tests/test_examples.py)."""

import qom_py
from qom_py import TypeInfo, object_option_parse, type_register
from qom_py.testing import qmp_client


def counter_class_init(klass, data):
    klass.property_add_int("count", lambda obj: obj.count, lambda obj, v: setattr(obj, "count", v),
                           bits=16, signed=False, default=1)

type_register(TypeInfo("counter", interfaces=["user-creatable"], class_init=counter_class_init))

object_option_parse("counter,id=c0,count=0x20")
object_option_parse("iothread,id=io0,poll-max-ns=32768,thread-pool-min=2")

qmp = qmp_client()
print(qmp.execute("qom-get", {"path": "/objects/c0", "property": "count"}))
print(qmp.execute("qom-get", {"path": "io0", "property": "thread-pool-min"}))
try:
    qmp.execute("qom-set", {"path": "/objects/c0", "property": "count", "value": 70000})
except qom_py.qmp.QMPError as err:
    print(err.error_class, err.desc)
qom_py.testing.reset()  # deletes the objects, stops the iothread
