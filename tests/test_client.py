"""qom_py.client, the typed QMP client, against qom-py, qemu-storage-daemon 7.2 and qemu-system-x86_64 7.2."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

pytest.importorskip("qemu.qmp", reason="qom_py.client needs qemu.qmp (the client extra)")

from qemu.qmp import ExecuteError  # noqa: E402

import qom_py.client  # noqa: E402
from qom_py.qapi._cli import main as qapi_main  # noqa: E402
from qom_py.qmp import QMPError  # noqa: E402
from tests.daemon import QSD, TIMEOUT, Daemon, running  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QEMU_SYSTEM = shutil.which("qemu-system-x86_64")

#: Bad arguments: each must be refused locally with the very error the server gives.
BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("qom-get", {"path": "/objects"}),
    ("qom-get", {"path": 1, "property": "x"}),
    ("qom-get", {"path": "/", "property": "x", "extra": 1}),
    ("qom-list", {}),
    ("object-add", {"id": "io9"}),
    ("object-add", {"qom-type": "no-such-kind", "id": "io9"}),
    ("object-add", {"qom-type": "iothread", "id": "io9", "poll-max-ns": "x"}),
    ("object-del", {"id": ["io9"]}),
]


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT * 3))


async def _same_errors_as_the_server(qmp: qom_py.client.Client) -> None:
    """Every bad call is refused before sending, with the server's own error (asked with the raw client)."""
    for command, arguments in BAD_CALLS:
        entity = qmp.schema.command(command)
        assert entity is not None, command
        with pytest.raises(QMPError) as local:
            qmp.arguments(entity, (arguments,), {})
        with pytest.raises(ExecuteError) as remote:
            await qmp.qmp.execute(command, arguments)
        assert (local.value.error_class, local.value.desc) == (remote.value.error_class, str(remote.value)), command


# -- qom-py ------------------------------------------------------------------------------


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    with running() as d:
        yield d


def test_typed_calls_against_qom_py(daemon: Daemon) -> None:
    async def session() -> None:
        async with qom_py.client.connect(daemon.socket_path) as qmp:
            assert {"qom_get", "object_add", "query_iothreads", "query_qmp_schema"} <= set(qmp.command_names)
            assert await qmp.object_add(qom_type="iothread", id="io1", poll_max_ns=0, poll_grow=2) is None
            (info,) = await qmp.query_iothreads()
            assert attrs.has(type(info)) and info.id == "io1" and info.poll_max_ns == 0 and info.poll_grow == 2
            assert await qmp.qom_get(path="/objects/io1", property="poll-grow") == 2
            with pytest.raises(QMPError, match=r"^Parameter 'property' is missing$") as err:
                await qmp.qom_get(path="/objects/io1")
            assert err.value.error_class == "GenericError"
            with pytest.raises(QMPError, match=r"^Invalid parameter type for 'poll-max-ns', expected: integer$"):
                await qmp.object_add(qom_type="iothread", id="io2", poll_max_ns="fast")
            assert [i.id for i in await qmp.query_iothreads()] == ["io1"]  # the bad call sent nothing
            with pytest.raises(QMPError) as err:  # the server's own refusal
                await qmp.qom_get(path="/objects/nothing", property="x")
            assert (err.value.error_class, err.value.desc) == ("DeviceNotFound", "Device '/objects/nothing' not found")
            with pytest.raises(AttributeError, match="no command 'no-such-command'"):
                qmp.no_such_command  # noqa: B018
            await _same_errors_as_the_server(qmp)

    _run(session())


def _generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    out = tmp_path / "qompy_client_types.py"
    assert qapi_main(["gen-python", str(REPO / "schemas" / "qom-py.json"), "-o", str(out)]) == 0
    spec = importlib.util.spec_from_file_location(out.stem, out)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, out.stem, module)
    spec.loader.exec_module(module)
    return module


def test_a_generated_module_gives_the_commands_and_classes(
    daemon: Daemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _generated(tmp_path, monkeypatch)

    async def session() -> None:
        async with qom_py.client.connect(daemon.socket_path, module=module) as qmp:
            await qmp.object_add(module.ObjectOptions_iothread(id="io3", poll_max_ns=5))
            (info,) = await qmp.query_iothreads()
            assert type(info) is module.IOThreadInfo and info.poll_max_ns == 5
            with pytest.raises(QMPError, match=r"^Parameter 'id' is missing$"):
                await qmp.object_del()

    _run(session())


def test_sync_wrapper(daemon: Daemon) -> None:
    with qom_py.client.connect_sync(daemon.socket_path) as qmp:
        qmp.object_add(qom_type="iothread", id="io4")
        assert qmp.qom_get(path="io4", property="poll-max-ns") == 32768
        assert [i.id for i in qmp.query_iothreads()] == ["io4"]
        with pytest.raises(QMPError, match=r"^Parameter 'path' is missing$"):
            qmp.qom_list()


# -- QEMU 7.2 ----------------------------------------------------------------------------


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_against_qemu_storage_daemon() -> None:
    assert QSD is not None
    with running(program=(QSD,)) as qsd:

        async def session() -> None:
            async with qom_py.client.connect(qsd.socket_path) as qmp:
                await qmp.object_add(qom_type="iothread", id="io1", poll_max_ns=0)
                children = await qmp.qom_list(path="/objects")
                assert attrs.has(type(children[0])) and "io1" in [c.name for c in children]
                assert await qmp.qom_get(path="/objects/io1", property="poll-max-ns") == 0
                with pytest.raises(QMPError, match=r"^Parameter 'property' is missing$"):
                    await qmp.qom_get(path="/objects/io1")
                await _same_errors_as_the_server(qmp)

        _run(session())


@pytest.mark.skipif(QEMU_SYSTEM is None, reason="qemu-system-x86_64 is not installed")
def test_against_qemu_system_and_its_events() -> None:
    assert QEMU_SYSTEM is not None
    argv = ["-machine", "none", "-nodefaults", "-display", "none", "-qmp", "unix:{sock},server=on,wait=off"]
    with running(argv, program=(QEMU_SYSTEM,), monitor=False, wait_for_socket="{sock}", check=False) as qemu:

        async def session() -> None:
            async with qom_py.client.connect(qemu.socket_path) as qmp:
                status = await qmp.query_status()
                assert attrs.has(type(status)) and isinstance(status.running, bool)
                await qmp.stop()
                event = await qmp.event(timeout=TIMEOUT)
                assert event.name == "STOP" and "seconds" in event.timestamp
                assert (await qmp.query_status()).running is False
                await _same_errors_as_the_server(qmp)

        _run(session())
