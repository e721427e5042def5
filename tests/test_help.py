"""
``--object`` help, byte for byte as ``qemu-storage-daemon`` 7.2 prints it (QOM-REFERENCE §5.1-5.2).

The texts for ``iothread``, ``main-loop``, ``event-loop-base`` and ``container`` are
QEMU's output for those types.  The line format for descriptions and defaults
(``object_property_help``: pad to column 24, `` - ``, the description, `` (default:
JSON)``) has no example among qsd's types; the custom types below copy properties
whose lines QEMU 7.2 prints elsewhere (``qemu-system-x86_64 -object
memory-backend-ram,help``, ``-object input-linux,help``, ``-device virtio-blk-pci,help``,
qsd's ``throttle-group,help``), which go through the same function.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

import qom_py
import qom_py.loop._event_loop_base  # registers event-loop-base and main-loop
import qom_py.loop._iothread  # registers iothread
import qom_py.testing
from qom_py import Object, ObjectClass, TypeInfo, prop, qom_type
from qom_py.errors import QOMError
from qom_py.qom._user_creatable import TYPE_USER_CREATABLE, object_property_help

TYPE_LIST = "List of user creatable objects:\n  iothread\n  main-loop\n"
IOTHREAD_HELP = """\
iothread options:
  aio-max-batch=<int>
  poll-grow=<int>
  poll-max-ns=<int>
  poll-shrink=<int>
  thread-pool-max=<int>
  thread-pool-min=<int>
"""
MAIN_LOOP_HELP = """\
main-loop options:
  aio-max-batch=<int>
  thread-pool-max=<int>
  thread-pool-min=<int>
"""
EVENT_LOOP_BASE_HELP = """\
event-loop-base options:
  aio-max-batch=<int>
  thread-pool-max=<int>
  thread-pool-min=<int>
"""


def help_text(text: str) -> str:
    """What ``--object TEXT`` prints; it must be a help request."""
    out = io.StringIO()
    assert qom_py.object_option_parse(text, out=out) is None
    return out.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", TYPE_LIST),
        ("?", TYPE_LIST),
        ("help,help", TYPE_LIST),
        ("help,", TYPE_LIST),
        ("iothread,help", IOTHREAD_HELP),
        ("iothread,?", IOTHREAD_HELP),
        ("iothread,id=x,help", IOTHREAD_HELP),
        ("qom-type=iothread,help", IOTHREAD_HELP),
        ("iothread,help,id=1x", IOTHREAD_HELP),
        ("iothread,id=x,help,poll-max-ns=abc", IOTHREAD_HELP),
        ("main-loop,help", MAIN_LOOP_HELP),
        ("main-loop,?", MAIN_LOOP_HELP),
        ("event-loop-base,help", EVENT_LOOP_BASE_HELP),
        ("foo,help", TYPE_LIST),
        ("qom-type=nosuch,help", TYPE_LIST),
        ("Iothread,help", TYPE_LIST),
        ("help,foo=bar", TYPE_LIST),
        ("id=x,help", TYPE_LIST),
        ("container,help", "There are no options for container.\n"),
        ("object,help", "There are no options for object.\n"),
        ("user-creatable,help", "There are no options for user-creatable.\n"),
        ("interface,help", "There are no options for interface.\n"),
    ],
    ids=lambda v: v if len(v) < 40 else None,
)
def test_builtin_help(text: str, expected: str) -> None:
    """Help for the built-in types is QEMU's text, exactly."""
    assert help_text(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (",help", "Invalid parameter ''"),
        ("iothread,help,nofoo", "Expected '=' after parameter 'nofoo'"),
        ("iothread,help,=x", "Invalid parameter ''"),
        ("iothread,help,foo.0=1,foo.x=2", "Parameters 'foo.*' used inconsistently"),
        ("iothread,help,list.1=a", "Parameter 'list.0' missing"),
        ("iothread,help=on", "Parameter 'id' is missing"),
        ("iothread,Help", "Expected '=' after parameter 'Help'"),
        ("HELP", "Parameter 'qom-type' does not accept value 'HELP'"),
    ],
)
def test_not_help(text: str, message: str) -> None:
    """Keyval syntax errors beat a help request; ``help=on`` and ``HELP`` are not help."""
    out = io.StringIO()
    with pytest.raises(QOMError, match=re.escape(message)):
        qom_py.object_option_parse(text, out=out)
    assert out.getvalue() == ""


def test_help_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """Without *out*, help goes to standard output, as qsd prints it."""
    assert qom_py.object_option_parse("main-loop,help") is None
    assert capsys.readouterr() == (MAIN_LOOP_HELP, "")


# --- the type list --------------------------------------------------------------------


def _register(name: str, *, creatable: bool = True, abstract: bool = False) -> None:
    qom_py.type_register(TypeInfo(name, abstract=abstract, interfaces=(TYPE_USER_CREATABLE,) if creatable else ()))


def test_type_list_is_sorted_case_insensitively() -> None:
    """The list sorts like ``strcasecmp``: ``alpha``, ``Beta``, ``iothread``, ..., ``Zeta``."""
    for name in ("Zeta", "secret_keyring", "alpha", "secret", "Beta", "main-loop2", "authz-list-file", "authz-list"):
        _register(name)
    assert help_text("help") == (
        "List of user creatable objects:\n"
        "  alpha\n  authz-list\n  authz-list-file\n  Beta\n  iothread\n  main-loop\n  main-loop2\n"
        "  secret\n  secret_keyring\n  Zeta\n"
    )


def test_type_list_leaves_out_abstract_and_non_creatable() -> None:
    """Abstract types, plain objects and the interface itself are not listed."""
    _register("test-abstract", abstract=True)
    _register("test-plain", creatable=False)
    qom_py.type_register(TypeInfo("test-concrete", parent="test-abstract"))
    assert help_text("?") == "List of user creatable objects:\n  iothread\n  main-loop\n  test-concrete\n"


def test_type_list_forgets_reset_types() -> None:
    """A type registered by one test is gone from the list after the reset."""
    _register("test-temporary")
    assert "  test-temporary\n" in help_text("help")
    qom_py.testing.reset()
    assert help_text("help") == TYPE_LIST


# --- option lines ---------------------------------------------------------------------


def test_input_linux_lines() -> None:
    """Lines sort bytewise: ``grab-toggle`` before ``grab_all`` (``-`` < ``_``), as QEMU prints."""

    @qom_type("input-linux", interfaces=[TYPE_USER_CREATABLE])
    class InputLinux(Object):
        evdev = prop.Str()
        grab_all = prop.Bool(name="grab_all")
        repeat = prop.Bool()
        grab_toggle = prop.Enum("GrabToggleKeys", ["ctrl-ctrl", "alt-alt"])

    assert help_text("input-linux,help") == (
        "input-linux options:\n  evdev=<string>\n  grab-toggle=<GrabToggleKeys>\n  grab_all=<bool>\n  repeat=<bool>\n"
    )


def test_throttle_group_lines() -> None:
    """``x-bps-read-max-length`` sorts before ``x-bps-read-max``: the whole line is compared."""
    names = [
        f"x-{unit}-{op}{suffix}"
        for unit in ("bps", "iops")
        for op in ("read", "total", "write")
        for suffix in ("", "-max", "-max-length")
    ] + ["x-iops-size"]

    def class_init(klass: ObjectClass, data: Any) -> None:
        for name in reversed(names):  # registration order must not matter
            klass.property_add_int(name, lambda o: 0, lambda o, v: None)
        klass.property_add("limits", "ThrottleLimits", lambda o: {}, lambda o, v, n, r: None)

    qom_py.type_register(TypeInfo("throttle-group", interfaces=(TYPE_USER_CREATABLE,), class_init=class_init))
    assert (
        help_text("throttle-group,help")
        == """\
throttle-group options:
  limits=<ThrottleLimits>
  x-bps-read-max-length=<int>
  x-bps-read-max=<int>
  x-bps-read=<int>
  x-bps-total-max-length=<int>
  x-bps-total-max=<int>
  x-bps-total=<int>
  x-bps-write-max-length=<int>
  x-bps-write-max=<int>
  x-bps-write=<int>
  x-iops-read-max-length=<int>
  x-iops-read-max=<int>
  x-iops-read=<int>
  x-iops-size=<int>
  x-iops-total-max-length=<int>
  x-iops-total-max=<int>
  x-iops-total=<int>
  x-iops-write-max-length=<int>
  x-iops-write-max=<int>
  x-iops-write=<int>
"""
    )


def test_memory_backend_lines() -> None:
    """Descriptions pad to column 24; longer lines get `` - `` right after the type."""

    def class_init(klass: ObjectClass, data: Any) -> None:
        def add_bool(name: str, description: str | None = None) -> None:
            klass.property_add_bool(name, lambda o: False, lambda o, v: None, description=description)

        add_bool("dump", "Set to 'off' to exclude from core dump")
        add_bool("merge", "Mark memory as mergeable")
        add_bool("prealloc", "Preallocate memory")
        add_bool("reserve", "Reserve swap space (or huge pages) if applicable")
        add_bool("share", "Mark the memory as private to QEMU or shared")
        add_bool("x-use-canonical-path-for-ramblock-id")
        klass.property_add_int(
            "host-nodes", lambda o: 0, lambda o, v: None, description="Binds memory to the list of NUMA host nodes"
        )
        klass.property_add_enum(
            "policy",
            "HostMemPolicy",
            ["default", "preferred", "bind", "interleave"],
            lambda o: "default",
            lambda o, v: None,
            description="Set the NUMA policy",
        )
        klass.property_add(
            "prealloc-context",
            "link<thread-context>",
            lambda o: "",
            lambda o, v, n, r: None,
            description="Context to use for creating CPU threads for preallocation",
        )
        klass.property_add_int(
            "prealloc-threads", lambda o: 1, lambda o, v: None, description="Number of CPU threads to use for prealloc"
        )
        klass.property_add_int(
            "size", lambda o: 0, lambda o, v: None, description="Size of the memory region (ex: 500M)"
        )
        klass.property_add_str("type-only", lambda o: "", None, description="read-only: not listed")

    def instance_init(obj: Object) -> None:
        obj.property_add_bool("instance-only", lambda o: False, lambda o, v: None)  # not listed either

    qom_py.type_register(
        TypeInfo("memory-backend", abstract=True, interfaces=(TYPE_USER_CREATABLE,), class_init=class_init)
    )
    qom_py.type_register(TypeInfo("memory-backend-ram", parent="memory-backend", instance_init=instance_init))
    assert (
        help_text("memory-backend-ram,help")
        == """\
memory-backend-ram options:
  dump=<bool>            - Set to 'off' to exclude from core dump
  host-nodes=<int>       - Binds memory to the list of NUMA host nodes
  merge=<bool>           - Mark memory as mergeable
  policy=<HostMemPolicy> - Set the NUMA policy
  prealloc-context=<link<thread-context>> - Context to use for creating CPU threads for preallocation
  prealloc-threads=<int> - Number of CPU threads to use for prealloc
  prealloc=<bool>        - Preallocate memory
  reserve=<bool>         - Reserve swap space (or huge pages) if applicable
  share=<bool>           - Mark the memory as private to QEMU or shared
  size=<int>             - Size of the memory region (ex: 500M)
  x-use-canonical-path-for-ramblock-id=<bool>
"""
    )
    assert "memory-backend-ram" in help_text("help")
    assert "memory-backend\n" not in help_text("help")


def test_default_lines() -> None:
    """Defaults follow as `` (default: JSON)`` (7.2): ``false``, ``-1``, ``"auto"``; none without one."""

    @qom_type("test-virtio-blk", interfaces=[TYPE_USER_CREATABLE])
    class Blk(Object):
        account_failed = prop.Enum("OnOffAuto", ["on", "off", "auto"], default="auto", description="on/off/auto")
        acpi_index = prop.UInt(32, default=0)
        addr = prop.Int(32, default=-1, description="Slot and optional function number, example: 06.0 or 06")
        aer = prop.Bool(default=False, description="on/off")
        any_layout = prop.Bool(default=True, description="on/off", name="any_layout")
        bootindex = prop.Int(32)
        discard_granularity = prop.Size(default=4294967295, name="discard_granularity")

    assert (
        help_text("test-virtio-blk,help")
        == """\
test-virtio-blk options:
  account-failed=<OnOffAuto> - on/off/auto (default: "auto")
  acpi-index=<uint32>    -  (default: 0)
  addr=<int32>           - Slot and optional function number, example: 06.0 or 06 (default: -1)
  aer=<bool>             - on/off (default: false)
  any_layout=<bool>      - on/off (default: true)
  bootindex=<int32>
  discard_granularity=<size> -  (default: 4294967295)
"""
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("bootindex", "int32", qom_py.UNSET, None), "  bootindex=<int32>"),
        (("aer", "bool", False, "on/off"), "  aer=<bool>             - on/off (default: false)"),
        (("acpi-index", "uint32", 0, None), "  acpi-index=<uint32>    -  (default: 0)"),
        (
            ("drive", "str", qom_py.UNSET, "Node name or ID of a block device to use as a backend"),
            "  drive=<str>            - Node name or ID of a block device to use as a backend",
        ),
        (
            ("backend_defaults", "OnOffAuto", "auto", "on/off/auto"),
            '  backend_defaults=<OnOffAuto> - on/off/auto (default: "auto")',
        ),
        (("abcdefghijklmnop", "int", qom_py.UNSET, "d"), "  abcdefghijklmnop=<int> - d"),
        (("abcdefghijklm", "int", qom_py.UNSET, "d"), "  abcdefghijklm=<int>    - d"),
    ],
    ids=[
        "bare",
        "bool-default",
        "default-only",
        "description-only",
        "long-string-default",
        "exactly-24",
        "padded-to-24",
    ],
)
def test_object_property_help(args: tuple[Any, ...], line: str) -> None:
    """One line: ``  name=<type>``, padded to 24 columns when more follows."""
    assert object_property_help(*args) == line
