"""
The command table, sessions and in-process client.

Expected replies were read from qemu-storage-daemon 7.2 (commands with the
same argument types: qom-get, qom-list-types, block-set-write-threshold,
block_resize, nbd-server-start, ringbuf-write, transaction, qmp_capabilities).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from qom_py import TypeRegistry
from qom_py.errors import DeviceNotFoundError, ParameterError, QOMError, QOMInternalError
from qom_py.qmp import (
    CommandRegistrationError,
    Dispatcher,
    InProcessQMP,
    QMPEnum,
    QMPError,
    _dispatch,
    call_after_reply,
    current_session,
    register_qom_commands,
)

from .conftest import LoopThread


def error(desc: str, error_class: str = "GenericError") -> dict[str, Any]:
    return {"error": {"class": error_class, "desc": desc}}


@pytest.fixture
def client(dispatcher: Dispatcher) -> Any:
    with InProcessQMP(dispatcher) as qmp:
        yield qmp


class TestNegotiation:
    """Before qmp_capabilities only qmp_capabilities exists; after it, it is refused."""

    def test_before(self, dispatcher: Dispatcher) -> None:
        """Any other command is CommandNotFound with QEMU's hint; bad input still gets its own error."""
        with InProcessQMP(dispatcher, negotiate=False) as qmp:
            assert qmp.send_raw('{"execute":"qom-get","arguments":{"path":"/objects","property":"type"}}') == [
                error("Expecting capabilities negotiation with 'qmp_capabilities'", "CommandNotFound")
            ]
            assert qmp.send_raw('{"execute":"nosuch","id":3}') == [
                {"id": 3, **error("Expecting capabilities negotiation with 'qmp_capabilities'", "CommandNotFound")}
            ]
            assert qmp.send_raw('{"foo":1}') == [error("QMP input member 'foo' is unexpected")]
            assert qmp.send_raw('{"exec-oob":"query-version"}') == [error("QMP input member 'exec-oob' is unexpected")]
            assert qmp.send_raw('{"execute":"qmp_capabilities","arguments":[]}') == [
                error("QMP input member 'arguments' must be an object")
            ]
            assert qmp.send_raw('{"execute":"qmp_capabilities","id":5}') == [{"return": {}, "id": 5}]
            assert qmp.session.negotiated

    @pytest.mark.parametrize(
        ("arguments", "reply"),
        [
            ({"enable": ["foo"]}, error("Parameter 'null' does not accept value 'foo'")),
            ({"enable": "oob"}, error("Invalid parameter type for 'enable', expected: array")),
            ({"enable": [1]}, error("Invalid parameter type for 'enable[0]', expected: string")),
            ({"enable": ["oob", "foo"]}, error("Parameter 'null' does not accept value 'foo'")),
            ({"x": 1}, error("Parameter 'x' is unexpected")),
            ({"enable": None}, error("Invalid parameter type for 'enable', expected: array")),
            ({"enable": []}, {"return": {}}),
            ({"enable": ["oob", "oob"]}, {"return": {}}),
        ],
        ids=repr,
    )
    def test_capabilities_arguments(self, dispatcher: Dispatcher, arguments: dict[str, Any], reply: Any) -> None:
        """qmp_capabilities checks ``enable`` as a list of the QMPCapability enum."""
        with InProcessQMP(dispatcher, negotiate=False) as qmp:
            request = {"execute": "qmp_capabilities", "arguments": arguments}
            assert qmp.send_raw(_json(request)) == [reply]

    def test_after(self, client: InProcessQMP) -> None:
        """Arguments are checked first; then negotiation is refused as already done."""
        assert client.send_raw('{"execute":"qmp_capabilities","arguments":{"x":1}}') == [
            error("Parameter 'x' is unexpected")
        ]
        assert client.send_raw('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}') == [
            error("Capabilities negotiation is already complete, command ignored", "CommandNotFound")
        ]

    def test_capability_not_offered(self, dispatcher: Dispatcher) -> None:
        """A capability the session does not offer is refused."""
        with InProcessQMP(dispatcher, negotiate=False) as qmp:
            qmp.session.offered_capabilities = frozenset()
            assert qmp.send_raw('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}') == [
                error("Capability oob not available")
            ]
            assert not qmp.session.negotiated


class TestOutOfBand:
    """exec-oob is a command member only once oob was negotiated."""

    def test_oob(self, dispatcher: Dispatcher) -> None:
        """No built-in command supports OOB; a command registered with allow_oob does."""
        dispatcher.register("ping", lambda args: "pong", allow_oob=True)
        with InProcessQMP(dispatcher, negotiate=False) as qmp:
            assert qmp.send_raw('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}') == [{"return": {}}]
            assert qmp.session.oob_enabled
            assert qmp.send_raw('{"exec-oob":"query-version"}') == [
                error("The command query-version does not support OOB")
            ]
            assert qmp.send_raw('{"exec-oob":"nosuch"}') == [
                error("The command nosuch has not been found", "CommandNotFound")
            ]
            assert qmp.send_raw('{"execute":"query-version","exec-oob":"query-version","id":1}') == [
                {"id": 1, **error("QMP input member 'execute' clashes with 'exec-oob'")}
            ]
            assert qmp.send_raw('{"exec-oob":"ping","id":2}') == [{"return": "pong", "id": 2}]


class TestBuiltins:
    """query-version, query-commands, quit."""

    def test_query_version(self, client: InProcessQMP) -> None:
        """qemu 7.2.0 and package qom-py X.Y.Z (0.0.0 when not installed)."""
        version = client.execute("query-version")
        assert isinstance(version, dict)
        assert version["qemu"] == {"micro": 0, "minor": 2, "major": 7}
        assert re.fullmatch(r"qom-py \d+\.\d+\.\d+.*", str(version["package"]))
        assert client.greeting == {"QMP": {"version": version, "capabilities": ["oob"]}}

    def test_package_override(self) -> None:
        """The package string can be given."""
        with InProcessQMP(Dispatcher(package="qom-py 9.9.9")) as qmp:
            assert qmp.execute("query-version") == {
                "qemu": {"major": 7, "minor": 2, "micro": 0},
                "package": "qom-py 9.9.9",
            }

    def test_query_commands(self, client: InProcessQMP, dispatcher: Dispatcher) -> None:
        """Every command, newest registration first (QEMU prepends)."""
        assert client.execute("query-commands") == [
            {"name": name}
            for name in ["sleep", "qom-get", "echo", "quit", "query-commands", "query-version", "qmp_capabilities"]
        ]

    def test_quit(self, client: InProcessQMP, dispatcher: Dispatcher) -> None:
        """quit answers {} first, then SHUTDOWN goes to negotiated clients, then the hooks run."""
        out: list[bytes] = []
        watcher = dispatcher.open_session(out.append)
        watcher.feed(b'{"execute":"qmp_capabilities"}')
        calls: list[bytes] = []
        dispatcher.add_quit_hook(lambda: calls.append(b"".join(out)))
        dispatcher.on_quit = lambda: calls.append(b"on_quit")
        with InProcessQMP(dispatcher, negotiate=False) as silent:
            assert client.send_raw('{"execute":"quit","id":"q"}') == [{"return": {}, "id": "q"}]
            assert silent.send_raw("") == []
            assert silent.events == []
        event: Any
        (event,) = client.events
        assert isinstance(event, dict)
        assert list(event) == ["timestamp", "event", "data"]
        assert event["event"] == "SHUTDOWN"
        assert event["data"] == {"guest": False, "reason": "host-qmp-quit"}
        timestamp = event["timestamp"]
        assert list(timestamp) == ["seconds", "microseconds"]
        assert 0 <= timestamp["microseconds"] < 1_000_000
        assert len(calls) == 2
        assert b'"event": "SHUTDOWN"' in calls[0]
        assert calls[1] == b"on_quit"
        watcher.close()

    def test_quit_bytes(self, dispatcher: Dispatcher) -> None:
        """On the wire: the reply, then the event, each CRLF-terminated."""
        out: list[bytes] = []
        session = dispatcher.open_session(out.append)
        session.feed(b'{"execute":"qmp_capabilities"}{"execute":"quit"}')
        data = b"".join(out)
        assert data.startswith(b'{"return": {}}\r\n{"return": {}}\r\n{"timestamp": {"seconds": ')
        assert data.endswith(b'}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}\r\n')

    def test_quit_takes_no_arguments(self, client: InProcessQMP) -> None:
        """Like every command without a spec, quit refuses members."""
        with pytest.raises(QMPError, match="^Parameter 'a' is unexpected$"):
            client.execute("quit", {"a": 1})
        assert client.events == []


class TestReplies:
    """ids, error classes, and what handlers may return."""

    @pytest.mark.parametrize(
        ("raw_id", "echoed"),
        [
            (b"1", b"1"),
            (b'"x"', b'"x"'),
            (b"null", b"null"),
            (b'[1,{"a":null}]', b'[1, {"a": null}]'),
            (b"1.5e3", b"1500"),
            (b"0.1", b"0.10000000000000001"),
            (b"18446744073709551616", b"1.8446744073709552e+19"),
            (b"1e400", b"inf"),
            (b"-0.0", b"-0"),
            (b"'sq\"x'", b'"sq\\"x"'),
            (b'"\\u00e9\\ud83d\\ude00\\u007f\\u0000/\\/"', b'"\\u00E9\\uD83D\\uDE00\\u007F\\u0000//"'),
        ],
        ids=repr,
    )
    def test_id_echo(self, dispatcher: Dispatcher, raw_id: bytes, echoed: bytes) -> None:
        """Any JSON id comes back, written as QEMU writes it, on success and on error."""
        out: list[bytes] = []
        session = dispatcher.open_session(out.append)
        session.feed(b'{"execute":"qmp_capabilities"}')
        out.clear()
        session.feed(b'{"execute":"echo","arguments":{"value":1},"id":' + raw_id + b"}")
        session.feed(b'{"execute":"nosuch","id":' + raw_id + b"}")
        assert out == [
            b'{"return": 1, "id": ' + echoed + b"}\r\n",
            b'{"id": '
            + echoed
            + b', "error": {"class": "CommandNotFound", "desc": "The command nosuch has not been found"}}\r\n',
        ]

    def test_parse_errors_have_no_id(self, client: InProcessQMP) -> None:
        """A JSON error has no request, hence no id; a non-object has none either."""
        assert client.send_raw('{"id":1,bad}[1,"id"]') == [
            error("JSON parse error, invalid keyword 'bad'"),
            error("QMP input must be a JSON object"),
        ]

    def test_error_classes(self, dispatcher: Dispatcher, client: InProcessQMP) -> None:
        """A QOMError becomes its qmp_class and str(); an unknown command is CommandNotFound."""

        def missing(args: dict[str, Any]) -> Any:
            raise DeviceNotFoundError("Device '/nope' not found")

        def generic(args: dict[str, Any]) -> Any:
            raise QOMError("bad thread-pool-min/thread-pool-max values")

        dispatcher.register("missing", missing)
        dispatcher.register("generic", generic)
        assert client.send_raw('{"execute":"missing"}{"execute":"generic"}{"execute":"nosuch"}') == [
            error("Device '/nope' not found", "DeviceNotFound"),
            error("bad thread-pool-min/thread-pool-max values"),
            error("The command nosuch has not been found", "CommandNotFound"),
        ]
        with pytest.raises(QMPError) as info:
            client.execute("missing")
        assert (info.value.error_class, info.value.desc) == ("DeviceNotFound", "Device '/nope' not found")

    def test_none_is_empty_object(self, client: InProcessQMP) -> None:
        """A handler returning None answers {} (QEMU: a command without 'returns')."""
        assert client.execute("echo") == {}

    def test_internal_error_is_logged(self, dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture) -> None:
        """A non-QOMError is a bug: logged with its traceback, answered as GenericError."""

        def buggy(args: dict[str, Any]) -> Any:
            raise ZeroDivisionError("division by zero")

        dispatcher.register("buggy", buggy)
        dispatcher.register("not-json", lambda args: {"a": object()})  # type: ignore[dict-item]  # on purpose
        with InProcessQMP(dispatcher) as qmp, caplog.at_level(logging.ERROR, logger="qom_py.qmp"):
            assert qmp.send_raw('{"execute":"buggy"}') == [error("division by zero")]
            reply = qmp.send_raw('{"execute":"not-json"}')
        assert reply == [error("Object of type object is not JSON serializable")]
        assert "ZeroDivisionError" in caplog.text

    def test_internal_error_propagates(self) -> None:
        """With raise_internal_errors, the exception escapes for the test to see."""
        dispatcher = Dispatcher(raise_internal_errors=True)

        def buggy(args: dict[str, Any]) -> Any:
            raise ZeroDivisionError("division by zero")

        dispatcher.register("buggy", buggy)
        with InProcessQMP(dispatcher) as qmp, pytest.raises(ZeroDivisionError):
            qmp.execute("buggy")

    def test_pretty(self, dispatcher: Dispatcher) -> None:
        """pretty=on output, byte for byte as qsd writes it (CRLF inside too)."""
        out: list[bytes] = []
        session = dispatcher.open_session(out.append, pretty=True)
        session.feed(b'{"execute":"qmp_capabilities"}{bad}{"execute":"echo","arguments":{"value":[1,[],{}]},"id":1}')
        assert b"".join(out) == (
            b'{\r\n    "return": {\r\n    }\r\n}\r\n'
            b'{\r\n    "error": {\r\n        "class": "GenericError",\r\n'
            b'        "desc": "JSON parse error, invalid keyword \'bad\'"\r\n    }\r\n}\r\n'
            b'{\r\n    "return": [\r\n        1,\r\n        [\r\n        ],\r\n        {\r\n        }\r\n    ],\r\n'
            b'    "id": 1\r\n}\r\n'
        )
        assert session.greeting_bytes().startswith(b'{\r\n    "QMP": {\r\n        "version": {\r\n')


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


# --- argument checks -------------------------------------------------------------------

SPECS: dict[str, Any] = {
    "qom-get": {"path": "str", "property": "str"},
    "qom-list-types": {"*implements": "str", "*abstract": "bool"},
    "block-set-write-threshold": {"node-name": "str", "write-threshold": "uint64"},
    "block_resize": {"*device": "str", "*node-name": "str", "size": "int"},
    "nbd-server-start": {"addr": {"type": "str", "data": {"path": "str"}}, "*max-connections": "uint32"},
    "ringbuf-write": {"device": "str", "data": "str", "*format": QMPEnum("DataFormat", ("utf8", "base64"))},
    "transaction": {"actions": [{"type": "str", "*data": {}}]},
    "query-version": {},
}

ADDR = {"type": "unix", "data": {"path": "/tmp/n.sock"}}


@pytest.fixture
def checked(dispatcher: Dispatcher) -> Iterator[InProcessQMP]:
    for name, spec in SPECS.items():
        if dispatcher.get_command(name) is None:
            dispatcher.register(name, lambda args: args, spec)
    qmp = InProcessQMP(dispatcher)
    yield qmp
    qmp.close()


@pytest.mark.parametrize(
    ("command", "arguments", "desc"),
    [
        ("qom-get", {"b": 1}, "Parameter 'path' is missing"),
        ("qom-get", {}, "Parameter 'path' is missing"),
        ("qom-get", {"path": 1}, "Invalid parameter type for 'path', expected: string"),
        ("qom-get", {"path": 1, "property": 2}, "Invalid parameter type for 'path', expected: string"),
        ("qom-get", {"b": 1, "path": 1, "property": 2}, "Invalid parameter type for 'path', expected: string"),
        ("qom-get", {"path": "x"}, "Parameter 'property' is missing"),
        ("qom-get", {"b": 1, "path": "x", "property": "y"}, "Parameter 'b' is unexpected"),
        ("qom-get", {"b": 1, "c": 2, "path": "x", "property": "y"}, "Parameter 'b' is unexpected"),
        ("qom-get", {"path": "x", "property": "y", "a": {"b": 1}}, "Parameter 'a' is unexpected"),
        (
            "qom-list-types",
            {"abstract": 1, "implements": 2},
            "Invalid parameter type for 'implements', expected: string",
        ),
        ("qom-list-types", {"abstract": None}, "Invalid parameter type for 'abstract', expected: boolean"),
        (
            "block-set-write-threshold",
            {"node-name": "x", "write-threshold": "a"},
            "Parameter 'write-threshold' expects uint64",
        ),
        (
            "block-set-write-threshold",
            {"node-name": "x", "write-threshold": 1.0},
            "Parameter 'write-threshold' expects uint64",
        ),
        (
            "block-set-write-threshold",
            {"node-name": "x", "write-threshold": 1 << 64},
            "Parameter 'write-threshold' expects uint64",
        ),
        ("block_resize", {"node-name": "x", "size": "a"}, "Invalid parameter type for 'size', expected: integer"),
        ("block_resize", {"node-name": "x", "size": 1 << 63}, "Invalid parameter type for 'size', expected: integer"),
        ("block_resize", {"node-name": "x", "size": 1.0}, "Invalid parameter type for 'size', expected: integer"),
        ("block_resize", {"node-name": "x", "size": True}, "Invalid parameter type for 'size', expected: integer"),
        (
            "nbd-server-start",
            {"addr": ADDR, "max-connections": 1 << 32},
            "Parameter 'max-connections' expects uint32_t",
        ),
        ("nbd-server-start", {"addr": ADDR, "max-connections": "x"}, "Parameter 'max-connections' expects uint64"),
        ("nbd-server-start", {"addr": ADDR, "max-connections": -1}, "Parameter 'max-connections' expects uint32_t"),
        ("nbd-server-start", {"addr": ADDR, "max-connections": 1.5}, "Parameter 'max-connections' expects uint64"),
        (
            "nbd-server-start",
            {"addr": {"type": "unix", "data": {"path": 1}}},
            "Invalid parameter type for 'addr.data.path', expected: string",
        ),
        ("nbd-server-start", {"addr": {"type": "unix", "path": 1}}, "Parameter 'addr.data' is missing"),
        ("nbd-server-start", {"addr": []}, "Invalid parameter type for 'addr', expected: object"),
        (
            "nbd-server-start",
            {"addr": {"type": "unix", "data": {"path": "x", "x": 1, "y": 2}}},
            "Parameter 'addr.data.y' is unexpected",
        ),
        ("nbd-server-start", {"addr": {"type": "unix", "data": {}}}, "Parameter 'addr.data.path' is missing"),
        (
            "ringbuf-write",
            {"device": "x", "data": "y", "format": "bogus"},
            "Parameter 'format' does not accept value 'bogus'",
        ),
        (
            "ringbuf-write",
            {"device": "x", "data": "y", "format": 1},
            "Invalid parameter type for 'format', expected: string",
        ),
        ("transaction", {"actions": [1]}, "Invalid parameter type for 'actions[0]', expected: object"),
        (
            "transaction",
            {"actions": [{"type": "abort", "data": {}}, {"type": "abort", "data": {"x": 1}}]},
            "Parameter 'actions[1].data.x' is unexpected",
        ),
        ("query-version", {"a": 1}, "Parameter 'a' is unexpected"),
    ],
    ids=repr,
)
def test_argument_errors(checked: InProcessQMP, command: str, arguments: dict[str, Any], desc: str) -> None:
    """Members in declaration order (missing or wrong type), then unexpected members."""
    with pytest.raises(QMPError, match=f"^{re.escape(desc)}$") as info:
        checked.execute(command, arguments)
    assert info.value.error_class == "GenericError"


# (extra members, the one qsd names): GLib hash-table order, resizes included.
UNEXPECTED = [
    (["foo", "c"], "c"),
    (["x3", "zz"], "x3"),
    (["kk", "k"], "kk"),
    (["kk", "hello", "kkk"], "kk"),
    (["a", "k", "foo", "qq"], "k"),
    (["x2", "zz", "k", "bar"], "bar"),
    (["a", "hello", "path2", "zz", "x1"], "path2"),
    (["k", "y", "kkk", "a", "x1", "x3"], "a"),
    (["y", "kkk", "kk", "x2", "x3", "x1", "k"], "kkk"),
    (["c", "k", "path2", "x3", "b", "kkk", "world", "x1"], "b"),
    (["x2", "hello", "x3", "bar", "y", "world", "kkk", "foo", "k"], "bar"),
    (["k", "a", "hello", "zz", "path2", "c", "x3", "y", "qq", "b"], "b"),
    (["x2", "x3", "b", "hello", "y", "c", "bar", "foo", "k", "qq", "kk", "kkk"], "bar"),
    (["a", "x2", "kkk", "x1", "c", "k", "hello", "kk", "x3", "world", "foo", "b", "y", "zz", "qq"], "foo"),
    (["c", "y", "k", "foo", "qq", "kkk", "x1", "kk", "world", "hello", "a", "x3", "path2", "b", "x2"], "foo"),
]


@pytest.mark.parametrize(("extra", "named"), UNEXPECTED, ids=lambda v: ",".join(v) if isinstance(v, list) else v)
def test_which_unexpected_member(checked: InProcessQMP, extra: list[str], named: str) -> None:
    """Of several unexpected members, QEMU names the one its GHashTable iterates first."""
    arguments: dict[str, Any] = {"path": "/", "property": "type"}
    arguments.update(dict.fromkeys(extra, 1))
    with pytest.raises(QMPError, match=f"^Parameter '{named}' is unexpected$"):
        checked.execute("qom-get", arguments)


def test_conversions(checked: InProcessQMP) -> None:
    """uint64 wraps negative values; handlers get checked arguments."""
    assert checked.execute("block-set-write-threshold", {"node-name": "x", "write-threshold": -1}) == {
        "node-name": "x",
        "write-threshold": (1 << 64) - 1,
    }
    assert checked.execute("qom-list-types") == {}


def test_number_and_null(dispatcher: Dispatcher) -> None:
    """number takes ints and floats (as floats); null only null; any anything."""
    dispatcher.register("n", lambda args: args, {"x": "number", "*y": "null", "*z": "any"})
    with InProcessQMP(dispatcher) as qmp:
        assert qmp.send_raw('{"execute":"n","arguments":{"x":2,"y":null,"z":[{}]}}') == [
            {"return": {"x": 2.0, "y": None, "z": [{}]}}
        ]
        with pytest.raises(QMPError, match="^Invalid parameter type for 'x', expected: number$"):
            qmp.execute("n", {"x": "1"})
        with pytest.raises(QMPError, match="^Invalid parameter type for 'y', expected: null$"):
            qmp.execute("n", {"x": 1, "y": 0})


def test_sized_signed(dispatcher: Dispatcher) -> None:
    """int8..int32 are range-checked after the int64 check."""
    dispatcher.register("i", lambda args: args, {"a": "int8"})
    with InProcessQMP(dispatcher) as qmp:
        assert qmp.execute("i", {"a": -128}) == {"a": -128}
        with pytest.raises(QMPError, match="^Parameter 'a' expects int8_t$"):
            qmp.execute("i", {"a": 128})
        with pytest.raises(QMPError, match="^Invalid parameter type for 'a', expected: integer$"):
            qmp.execute("i", {"a": "1"})


def test_raw_arguments(dispatcher: Dispatcher) -> None:
    """args=None hands the arguments object over unchecked ({} when absent)."""
    dispatcher.register("object-add", lambda args: args, None)
    with InProcessQMP(dispatcher) as qmp:
        assert qmp.execute("object-add", {"qom-type": "iothread", "id": "io0", "x": [1]}) == {
            "qom-type": "iothread",
            "id": "io0",
            "x": [1],
        }
        assert qmp.execute("object-add") == {}


class TestRegistration:
    """The registration API."""

    def test_duplicate(self, dispatcher: Dispatcher) -> None:
        """A name can be registered once."""
        with pytest.raises(CommandRegistrationError, match="'echo' is already registered"):
            dispatcher.register("echo", lambda args: None)

    @pytest.mark.parametrize("spec", [{"a": "string"}, {"a": ["str", "int"]}, {"a": 3}, {"*": "str"}], ids=repr)
    def test_bad_spec(self, dispatcher: Dispatcher, spec: dict[str, Any]) -> None:
        """A malformed spec is refused at registration, not at the first call."""
        with pytest.raises(CommandRegistrationError):
            dispatcher.register("bad", lambda args: None, spec)

    def test_decorator_and_unregister(self, dispatcher: Dispatcher) -> None:
        """The decorator registers; unregister removes."""

        @dispatcher.command("twice", {"n": "int"})
        def twice(args: dict[str, Any]) -> Any:
            return 2 * args["n"]

        with InProcessQMP(dispatcher) as qmp:
            assert qmp.execute("twice", {"n": 21}) == 42
            dispatcher.unregister("twice")
            with pytest.raises(QMPError, match="^The command twice has not been found$"):
                qmp.execute("twice", {"n": 21})
        assert twice({"n": 1}) == 2
        with pytest.raises(QOMError):
            dispatcher.unregister("twice")


class TestAsync:
    """Async handlers: replies keep the request order."""

    def test_without_loop(self, client: InProcessQMP) -> None:
        """In-process, an async handler runs on a private loop."""
        assert client.execute("sleep", {"seconds": 0, "value": "done"}) == "done"

    def test_order_on_a_loop(self, dispatcher: Dispatcher) -> None:
        """A slow async reply holds back the later sync replies."""

        async def main() -> list[bytes]:
            out: list[bytes] = []
            session = dispatcher.open_session(out.append)
            session.feed(b'{"execute":"qmp_capabilities"}')
            out.clear()
            session.feed(
                b'{"execute":"sleep","arguments":{"seconds":0.05,"value":1}}'
                b'{"execute":"echo","arguments":{"value":2}}'
                b'{"execute":"sleep","arguments":{"seconds":0,"value":3}}'
                b'{"execute":"echo","arguments":{"value":4}}'
            )
            assert out == []
            assert session.pending == 4
            await asyncio.wait_for(session.wait_drained(), 5)
            session.close()
            return out

        assert asyncio.run(main()) == [b'{"return": 1}\r\n{"return": 2}\r\n{"return": 3}\r\n{"return": 4}\r\n']

    def test_close_cancels(self, dispatcher: Dispatcher) -> None:
        """Closing a session cancels its running handlers and writes nothing more."""

        async def main() -> None:
            out: list[bytes] = []
            session = dispatcher.open_session(out.append)
            session.feed(b'{"execute":"qmp_capabilities"}{"execute":"sleep","arguments":{"seconds":60}}')
            (task,) = session.close()
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled()
            assert out == [b'{"return": {}}\r\n']
            assert session not in dispatcher.sessions

        asyncio.run(main())

    def test_on_a_loop_thread(self, dispatcher: Dispatcher) -> None:
        """InProcessQMP can run every request on a loop in another thread."""
        thread = LoopThread()
        try:
            qmp = InProcessQMP(dispatcher, loop=thread.loop)
            assert qmp.execute("sleep", {"seconds": 0.01, "value": [1]}) == [1]
            qmp.close()
        finally:
            thread.stop()

    def test_needs_a_runner(self, dispatcher: Dispatcher) -> None:
        """Without a loop or a runner, an async handler is an internal error."""
        session = dispatcher.open_session(lambda data: None)
        session.feed(b'{"execute":"qmp_capabilities"}')
        with pytest.raises(QOMInternalError, match="needs a running event loop"):
            session.feed(b'{"execute":"sleep","arguments":{"seconds":0}}')
        session.close()


class TestContext:
    """current_session() and call_after_reply()."""

    def test_outside_a_handler(self) -> None:
        """Both need a running command."""
        with pytest.raises(QOMInternalError):
            current_session()
        with pytest.raises(QOMInternalError):
            call_after_reply(lambda: None)

    def test_inside_a_handler(self, dispatcher: Dispatcher) -> None:
        """A handler sees its session, and its callbacks run after its reply is written."""
        seen: list[object] = []
        out: list[bytes] = []

        def handler(args: dict[str, Any]) -> Any:
            seen.append(current_session())
            call_after_reply(lambda: seen.append(list(out)))
            return "r"

        dispatcher.register("ctx", handler)
        session = dispatcher.open_session(out.append)
        session.feed(b'{"execute":"qmp_capabilities"}{"execute":"ctx"}')
        assert seen == [session, [b'{"return": {}}\r\n{"return": "r"}\r\n']]
        session.close()


def test_events_go_to_negotiated_sessions(dispatcher: Dispatcher) -> None:
    """emit_event reaches negotiated sessions only; empty data is left out."""
    with InProcessQMP(dispatcher) as ready, InProcessQMP(dispatcher, negotiate=False) as waiting:
        dispatcher.emit_event("JOB_STATUS_CHANGE", {"id": "j", "status": "running"})
        dispatcher.emit_event("RESUME")
        assert ready.send_raw("") == []
        assert waiting.send_raw("") == []
        events: list[Any] = ready.events
        assert [event["event"] for event in events] == ["JOB_STATUS_CHANGE", "RESUME"]
        assert events[0]["data"] == {"id": "j", "status": "running"}
        assert "data" not in events[1]
        assert waiting.events == []


def test_module_constant_not_shared(dispatcher: Dispatcher) -> None:
    """query-version answers a fresh dict each time; the constant stays intact."""
    with InProcessQMP(dispatcher) as qmp:
        version: Any = dispatcher.version
        version["qemu"]["major"] = 99
        answer: Any = qmp.execute("query-version")
        assert answer["qemu"]["major"] == 7
    assert _dispatch.QEMU_VERSION["major"] == 7


def test_arguments_from_the_table_then_the_model() -> None:
    """The shipped commands' arguments are checked from the table until a spec loads the model; then from it."""
    registry = TypeRegistry()
    dispatcher = Dispatcher(registry=registry)
    register_qom_commands(dispatcher)
    qom_get = dispatcher.get_command("qom-get")
    assert qom_get is not None
    missing = re.escape("Parameter 'property' is missing")
    with pytest.raises(ParameterError, match=missing):
        dispatcher.check_arguments(qom_get, {"path": "/"})
    assert registry.qapi_table() is not None  # no model loaded
    echo = dispatcher.register("echo", lambda args: args, {"text": "str"})  # a spec needs the model
    assert registry.qapi_table() is None
    with pytest.raises(ParameterError, match=missing):
        dispatcher.check_arguments(qom_get, {"path": "/"})
    assert dispatcher.check_arguments(qom_get, {"property": "type", "path": "/"}) == {"path": "/", "property": "type"}
    with pytest.raises(ParameterError, match=re.escape("Invalid parameter type for 'text', expected: string")):
        dispatcher.check_arguments(echo, {"text": 1})


def test_qapi_load_reaches_the_argument_checks() -> None:
    """A registry's qapi_load (a revision) is seen by a dispatcher that checked from the table."""
    registry = TypeRegistry()
    dispatcher = Dispatcher(registry=registry)
    quit_command = dispatcher.get_command("quit")
    assert quit_command is not None
    assert dispatcher.check_arguments(quit_command, {}) == {}
    registry.qapi_load("{ 'enum': 'Colour', 'data': ['red'] }")
    assert registry.qapi_table() is None
    with pytest.raises(ParameterError, match=re.escape("Parameter 'x' is unexpected")):
        dispatcher.check_arguments(quit_command, {"x": 1})
