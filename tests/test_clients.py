"""
Real QMP clients against the ``qom-py`` daemon: ``qemu.qmp``'s async `QMPClient`,
its synchronous ``legacy.QEMUMonitorProtocol``, and a scripted ``qmp-shell``.

Each test runs the daemon as a subprocess (tests/daemon.py); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from qemu.qmp import EventListener, ExecuteError, QMPClient
from qemu.qmp.legacy import QEMUMonitorProtocol

from tests.daemon import TIMEOUT, child_env, running

_EVENT_LOOP_BASE_TYPES = [
    {"name": "iothread", "parent": "event-loop-base"},
    {"name": "main-loop", "parent": "event-loop-base"},
]


def _sorted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda e: str(sorted(e.items())))


# ---------------------------------------------------------------------------
# qemu.qmp.QMPClient (asyncio).
# ---------------------------------------------------------------------------
async def _async_session(path: str) -> None:
    qmp = QMPClient("qom-py-test")
    async with asyncio.timeout(TIMEOUT):
        await qmp.connect(path)
        try:
            assert qmp.greeting is not None
            version = qmp.greeting.QMP.version  # a dict below the model's top level
            assert version["qemu"] == {"micro": 0, "minor": 2, "major": 7}
            package = version["package"]
            assert isinstance(package, str) and package.startswith("qom-py ")

            args = {"qom-type": "iothread", "id": "io0", "poll-max-ns": 1000, "thread-pool-max": 4}
            assert await qmp.execute("object-add", args) == {}
            assert await qmp.execute("qom-get", {"path": "/objects/io0", "property": "poll-max-ns"}) == 1000
            assert await qmp.execute("qom-set", {"path": "io0", "property": "poll-grow", "value": 2}) == {}
            assert await qmp.execute("qom-get", {"path": "io0", "property": "poll-grow"}) == 2
            assert await qmp.execute("qom-get", {"path": "io0", "property": "thread-pool-max"}) == 4

            iothreads = await qmp.execute("query-iothreads")
            assert isinstance(iothreads, list) and len(iothreads) == 1
            (info,) = iothreads
            assert isinstance(info, dict)
            assert isinstance(info["thread-id"], int) and info["thread-id"] > 0
            assert {k: v for k, v in info.items() if k != "thread-id"} == {
                "id": "io0",
                "poll-max-ns": 1000,
                "poll-grow": 2,
                "poll-shrink": 0,
                "aio-max-batch": 0,
            }

            types = await qmp.execute("qom-list-types", {"implements": "event-loop-base"})
            assert isinstance(types, list)
            assert _sorted(types) == _EVENT_LOOP_BASE_TYPES

            with pytest.raises(ExecuteError) as err:
                await qmp.execute("qom-set", {"path": "io0", "property": "poll-max-ns", "value": -1})
            assert err.value.error_class == "GenericError"
            assert str(err.value) == "poll-max-ns value must be in range [0, 9223372036854775807]"

            assert await qmp.execute("object-del", {"id": "io0"}) == {}
            assert await qmp.execute("query-iothreads") == []
            with pytest.raises(ExecuteError) as err:
                await qmp.execute("qom-get", {"path": "/objects/io0", "property": "poll-max-ns"})
            assert err.value.error_class == "DeviceNotFound"

            listener = EventListener("SHUTDOWN")
            with qmp.listen(listener):
                assert await qmp.execute("quit") == {}
                event = await listener.get()
            assert event["data"] == {"guest": False, "reason": "host-qmp-quit"}
        finally:
            # After quit the server hangs up first: qemu.qmp reports that as EOFError.
            with contextlib.suppress(EOFError):
                await qmp.disconnect()


def test_qmp_client() -> None:
    """The asyncio client adds, reads, sets, lists and deletes, and sees SHUTDOWN."""
    with running() as daemon:
        asyncio.run(_async_session(daemon.socket_path))
        assert daemon.wait() == 0


async def _async_events(path: str) -> None:
    """Two async clients: one sees the SHUTDOWN that the other's quit causes."""
    watcher, quitter = QMPClient("watcher"), QMPClient("quitter")
    async with asyncio.timeout(TIMEOUT):
        await watcher.connect(path)
        await quitter.connect(path)
        try:
            listing = await watcher.execute("qom-list", {"path": "/objects"})
            assert isinstance(listing, list)
            assert _sorted(listing) == _sorted(
                [{"name": "io0", "type": "child<iothread>"}, {"name": "type", "type": "string"}]
            )
            with watcher.listener("SHUTDOWN") as listener:
                assert await quitter.execute("quit") == {}
                event = await listener.get()
            assert event["event"] == "SHUTDOWN"
        finally:
            for client in (quitter, watcher):
                with contextlib.suppress(EOFError):
                    await client.disconnect()


def test_qmp_client_events_reach_every_client() -> None:
    """Events go to every negotiated client, not just the one that caused them."""
    with running(["--object", "iothread,id=io0"]) as daemon:
        asyncio.run(_async_events(daemon.socket_path))
        assert daemon.wait() == 0


# ---------------------------------------------------------------------------
# qemu.qmp.legacy.QEMUMonitorProtocol (synchronous).
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def _own_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The legacy client runs on the thread's current loop: give it one, then close it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_legacy_client() -> None:
    """The synchronous client runs the same flow through ``cmd``, ``cmd_obj`` and ``cmd_raw``."""
    with running(["--object", "main-loop,id=ml,thread-pool-min=1,thread-pool-max=2"]) as daemon, _own_event_loop():
        qmp = QEMUMonitorProtocol(daemon.socket_path)
        qmp.settimeout(TIMEOUT)
        try:
            greeting = qmp.connect()
            assert greeting is not None
            assert greeting["QMP"]["version"]["qemu"] == {"micro": 0, "minor": 2, "major": 7}
            assert greeting["QMP"]["capabilities"] == ["oob"]

            assert qmp.cmd("object-add", **{"qom-type": "iothread", "id": "io1", "poll-shrink": 2}) == {}
            assert qmp.cmd("qom-get", path="io1", property="poll-shrink") == 2
            reply = qmp.cmd_obj(
                {
                    "execute": "qom-set",
                    "arguments": {"path": "io1", "property": "aio-max-batch", "value": 9},
                    "id": "s1",
                }
            )
            assert reply == {"return": {}, "id": "s1"}
            reply = qmp.cmd_obj(
                {"execute": "qom-get", "arguments": {"path": "/objects/io1", "property": "aio-max-batch"}, "id": "g1"}
            )
            assert reply == {"return": 9, "id": "g1"}
            assert qmp.cmd_raw("qom-get", {"path": "ml", "property": "thread-pool-max"}) == {"return": 2}

            iothreads = qmp.cmd("query-iothreads")
            assert isinstance(iothreads, list) and len(iothreads) == 1
            info = iothreads[0]
            assert info["id"] == "io1" and info["aio-max-batch"] == 9 and info["thread-id"] > 0

            types = qmp.cmd("qom-list-types", implements="event-loop-base")
            assert isinstance(types, list) and _sorted(types) == _EVENT_LOOP_BASE_TYPES

            # Errors: cmd_obj returns them, cmd raises them.
            assert qmp.cmd_obj({"execute": "nosuch", "id": "n"}) == {
                "id": "n",
                "error": {"class": "CommandNotFound", "desc": "The command nosuch has not been found"},
            }
            assert qmp.cmd_raw("qom-set", {"path": "ml", "property": "thread-pool-min", "value": 3}) == {
                "error": {"class": "GenericError", "desc": "bad thread-pool-min/thread-pool-max values"}
            }
            with pytest.raises(ExecuteError) as err:
                qmp.cmd("object-add", **{"qom-type": "iothread", "id": "io1"})
            assert str(err.value) == "attempt to add duplicate property 'io1' to object (type 'container')"

            assert qmp.cmd("object-del", id="io1") == {}
            assert qmp.cmd("query-iothreads") == []

            assert qmp.cmd("quit") == {}
            event = qmp.pull_event(wait=TIMEOUT)
            assert event is not None and event["event"] == "SHUTDOWN"
        finally:
            with contextlib.suppress(EOFError):
                qmp.close()
        assert daemon.wait() == 0


# ---------------------------------------------------------------------------
# qmp-shell.
# ---------------------------------------------------------------------------
def test_qmp_shell() -> None:
    """A scripted ``qmp-shell`` session prints the replies qsd would give."""
    script = "\n".join(
        [
            "qom-get path=/objects/io0 property=poll-max-ns",
            "object-add qom-type=iothread id=io1 poll-grow=2",
            "qom-get path=io1 property=poll-grow",
            "qom-set path=io1 property=poll-shrink value=3",
            "qom-get path=/objects/io1 property=poll-shrink",
            "qom-get path=nosuch property=x",
            "qom-list-types implements=iothread",
            "object-del id=io1",
            "qom-list path=/objects",
            "",
        ]
    )
    with running(["--object", "iothread,id=io0"]) as daemon:
        shell = subprocess.run(
            [sys.executable, "-m", "qemu.qmp.qmp_shell", daemon.socket_path],
            input=script,
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=TIMEOUT * 2,
        )
        assert shell.returncode == 0, shell.stderr
        assert "Traceback" not in shell.stderr, shell.stderr
    assert "Connected to QEMU 7.2.0" in shell.stdout
    # qmp-shell prints each reply as one line of JSON after its prompt.
    replies = [
        json.loads(line.removeprefix("(QEMU) ")) for line in shell.stdout.splitlines() if line.startswith("(QEMU) {")
    ]
    listing = replies.pop()
    assert replies == [
        {"return": 32768},
        {"return": {}},
        {"return": 2},
        {"return": {}},
        {"return": 3},
        {"error": {"class": "DeviceNotFound", "desc": "Device 'nosuch' not found"}},
        {"return": [{"name": "iothread", "parent": "event-loop-base"}]},
        {"return": {}},
    ]
    assert _sorted(listing["return"]) == _sorted(
        [{"name": "type", "type": "string"}, {"name": "io0", "type": "child<iothread>"}]
    )
