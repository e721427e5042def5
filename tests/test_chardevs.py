"""
``/chardevs``: one ``chardev-socket`` object per ``--chardev``, as qemu-storage-daemon 7.2 has.

Each object lists ``type``, ``connected`` (bool) and ``addr`` (``SocketAddress``),
read-only; ``addr`` reads as the JSON object qsd answers (the unix or inet form).
Where qsd is installed the same session is run through it and must match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from qom_py import default_registry
from qom_py.daemon._chardev import TYPE_CHARDEV_SOCKET, chardev_socket_add, chardevs_remove, socket_address
from tests.daemon import MONITOR_ID, QOM_PY, QSD, connect_tcp, free_tcp_port, running, wait_for

_QSD = pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed (apt-get install qemu-utils)")


def _session(program: Sequence[str], port: int) -> dict[str, Any]:
    """What one daemon answers about its chardevs (paths made relative to its tmp dir)."""
    argv = [
        "--chardev", "socket,id=c1,path={tmp}/c1.sock,server=on,wait=off",
        "--chardev", f"socket,id=t1,host=127.0.0.1,port={port},server=on,wait=off",
        "--monitor", "t1",
    ]  # fmt: skip
    with running(argv, program=program) as daemon:
        conn = daemon.connect()
        out: dict[str, Any] = {}
        for path in ("/", "/chardevs", "/chardevs/c1", f"/chardevs/{MONITOR_ID}", "/chardevs/t1"):
            out[f"list {path}"] = conn.command("qom-list", path=path)
        for name in ("c1", MONITOR_ID, "t1"):
            for prop in ("type", "connected", "addr"):
                value = conn.command("qom-get", path=f"/chardevs/{name}", property=prop)
                if isinstance(value, dict) and "path" in value:
                    value["path"] = value["path"].replace(daemon.tmpdir, "{tmp}")
                out[f"get {name}.{prop}"] = value
        for prop, value in (("addr", {"path": "/x", "type": "unix"}), ("connected", False), ("type", "x")):
            out[f"set {prop}"] = conn.request("qom-set", {"path": "/chardevs/c1", "property": prop, "value": value})
        out["list-properties"] = conn.command("qom-list-properties", typename=TYPE_CHARDEV_SOCKET)
        out["types"] = conn.command("qom-list-types", implements="chardev-socket")
        return out


def test_chardevs_container() -> None:
    """qom-py shows every chardev under /chardevs, with qsd's properties and values."""
    port = free_tcp_port()
    got = _session(QOM_PY, port)
    assert got["list /"] == [
        {"name": "type", "type": "string"},
        {"name": "objects", "type": "child<container>"},
        {"name": "chardevs", "type": "child<container>"},
    ]
    assert sorted(p["name"] for p in got["list /chardevs"]) == sorted(["type", "c1", "t1", MONITOR_ID])
    assert all(p["type"] == "child<chardev-socket>" for p in got["list /chardevs"] if p["name"] != "type")
    props = [{"name": "type", "type": "string"}, {"name": "connected", "type": "bool"},
             {"name": "addr", "type": "SocketAddress"}]  # fmt: skip
    assert got["list /chardevs/c1"] == got["list /chardevs/t1"] == props
    assert got["list-properties"] == props
    assert got["get c1.type"] == TYPE_CHARDEV_SOCKET
    assert got["get c1.addr"] == {"path": "{tmp}/c1.sock", "type": "unix"}
    assert got[f"get {MONITOR_ID}.addr"] == {"path": "{tmp}/qmp.sock", "type": "unix"}
    assert got["get t1.addr"] == {"port": str(port), "ipv4": True, "host": "127.0.0.1", "type": "inet"}
    assert list(got["get t1.addr"]) == ["port", "ipv4", "host", "type"]  # qsd's member order
    assert got[f"get {MONITOR_ID}.connected"] is True  # this very connection
    assert got["get c1.connected"] is False
    assert got["get t1.connected"] is False
    for prop in ("addr", "connected", "type"):
        assert got[f"set {prop}"] == {
            "error": {"class": "GenericError", "desc": f"Property 'chardev-socket.{prop}' is not writable"}
        }
    assert got["types"] == [{"name": "chardev-socket", "parent": "chardev"}]


@_QSD
def test_chardevs_as_qsd() -> None:
    """The same session through qsd answers the same (the order of /chardevs' children aside)."""
    assert QSD is not None
    port = free_tcp_port()
    want = _session([QSD], port)
    port = free_tcp_port()
    got = _session(QOM_PY, port)
    for data in (want, got):
        data["list /chardevs"].sort(key=lambda p: p["name"])  # QEMU: hash-table order
        data["list /"] = [p for p in data["list /"] if p["name"] != "objects"]  # README difference 8
        data.pop("get t1.addr")  # the port differs between the runs
    assert got == want


def test_connected_follows_clients() -> None:
    """``connected`` is true exactly while a client is on that chardev's socket."""
    port = free_tcp_port()
    argv = ["--chardev", f"socket,id=t1,host=127.0.0.1,port={port},server=on,wait=off", "--monitor", "t1"]
    with running(argv) as daemon:
        conn = daemon.connect()
        assert conn.command("qom-get", path="/chardevs/t1", property="connected") is False

        with connect_tcp("127.0.0.1", port) as tcp:
            tcp.negotiate()
            assert conn.command("qom-get", path="/chardevs/t1", property="connected") is True
        # The server notices the hang-up asynchronously: poll (bounded).

        assert wait_for(lambda: conn.command("qom-get", path="/chardevs/t1", property="connected") is False)


def test_qmp_shorthand_has_a_chardev() -> None:
    """qom-py's ``--qmp`` shorthand creates its chardev object too."""
    with running(["--qmp", "unix:{tmp}/q2.sock,server=on,wait=off"]) as daemon:
        conn = daemon.connect()
        names = {p["name"] for p in conn.command("qom-list", path="/chardevs")}
        assert names == {"type", MONITOR_ID, "qmp2"}  # qmp<option index>
        assert conn.command("qom-get", path="/chardevs/qmp2", property="addr") == {
            "path": daemon.path("q2.sock"),
            "type": "unix",
        }


def test_library_objects_are_removed() -> None:
    """`chardevs_remove` (the daemon's exit) removes every chardev object and the container."""
    obj = chardev_socket_add("c", lambda: ("::1", 4444), lambda: False)
    assert obj.canonical_path == "/chardevs/c"
    assert obj.property_get("addr") == {"port": "4444", "ipv6": True, "host": "::1", "type": "inet"}
    chardevs_remove()
    assert obj.is_finalized
    assert default_registry.root.resolve_component("chardevs") is None


def test_socket_address_forms() -> None:
    """Unix paths, numeric hosts of both families, and a host name (no family flag)."""
    assert socket_address("/p") == {"path": "/p", "type": "unix"}
    assert socket_address(("127.0.0.1", 1)) == {"port": "1", "ipv4": True, "host": "127.0.0.1", "type": "inet"}
    assert socket_address(("::", 2)) == {"port": "2", "ipv6": True, "host": "::", "type": "inet"}
    assert socket_address(("localhost", 3)) == {"port": "3", "host": "localhost", "type": "inet"}


def _tree(program: Sequence[str]) -> list[str]:
    """
    What qom-tree prints (QEMU's python/qemu/utils/qom.py): every path, each non-child
    property with its value or error, children recursively; tmp dir and ports normalized.
    """
    argv = ["--chardev", "socket,id=c1,path={tmp}/c1.sock,server=on,wait=off"]
    with running(argv, program=program) as daemon:
        conn = daemon.connect()
        lines: list[str] = []

        def walk(path: str) -> None:
            lines.append(path)
            children = []
            for item in sorted(conn.command("qom-list", path=path), key=lambda p: p["name"]):
                if item["type"].startswith("child<"):
                    children.append(f"{path.rstrip('/')}/{item['name']}")
                    continue
                reply = conn.request("qom-get", {"path": path, "property": item["name"]})
                text = json.dumps(reply.get("return", reply.get("error")), sort_keys=True)
                lines.append(f"  {item['name']}: {text.replace(daemon.tmpdir, '{tmp}')} ({item['type']})")
            for child in children:
                walk(child)

        walk("/")
        return lines


def _without(lines: list[str], path: str) -> list[str]:
    """*lines* without *path*'s block (its own line and its property lines)."""
    out: list[str] = []
    skipping = False
    for line in lines:
        if not line.startswith(" "):
            skipping = line == path
        if not skipping:
            out.append(line)
    return out


@_QSD
def test_qom_tree_as_qsd() -> None:
    """The whole tree, as qom-tree walks it, is qsd's (qom-py's eager /objects aside: README difference 8)."""
    assert QSD is not None
    want = _tree([QSD])
    got = _tree(QOM_PY)
    assert "/objects" in got
    assert _without(got, "/objects") == want
    assert '  addr: {"path": "{tmp}/c1.sock", "type": "unix"} (SocketAddress)' in got
    assert "/chardevs/c1" in got and f"/chardevs/{MONITOR_ID}" in got
