"""
Hostile input (issue 22, items 4-7): schema files, deep values, plugins, token floods.

Each case gets one line of error (or a clean result) and the process or
session goes on; every wait has a timeout.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qom_py.qapi._json import MAX_TOKEN_COUNT, JSONStreamParser
from tests.daemon import QOM_PY, child_env, monitor_args, running, short_tmpdir, wait_for
from tests.qmp.conftest import TIMEOUT, RawClient

QUERY_VERSION = b'{"execute":"query-version"}'
COUNT_LIMIT = b'{"error": {"class": "GenericError", "desc": "JSON token count limit exceeded"}}\r\n'


def _negotiate(client: RawClient) -> None:
    assert client.command(b'{"execute":"qmp_capabilities"}') == b'{"return": {}}\r\n'


# --- item 7: a message past a JSON limit gets one error -------------------------------


class TestTokenFlood:
    """After a limit error the rest of the message is skipped, not read as a million messages."""

    #: A 1M-element list: 2 Mi + 11 tokens, past QEMU's count limit.
    FLOOD = b'{"execute":"query-version","arguments":{"x":[' + b"1," * (1 << 20) + b"1]}}"

    def test_parser_one_error(self) -> None:
        """The streamer: one error, then the next message as usual."""
        assert 2 * self.FLOOD.count(b",") > MAX_TOKEN_COUNT  # each "1," is two tokens
        results = JSONStreamParser().feed(self.FLOOD + b'{"execute":"x"}')
        assert [str(r) for r in results[:1]] == ["JSON token count limit exceeded"]
        assert results[1:] == [{"execute": "x"}]

    def test_limits_end_at_the_message_end(self) -> None:
        """Size, count and nesting limits all skip to the end of their message, strings and all."""
        cases = [
            (JSONStreamParser(max_token_size=16), b'["aaaaaaaa", "bbbbbbbb", "]]]", [1]]'),
            (JSONStreamParser(max_token_count=4), b'{"a": [1, 2, {"b": "}}"}]}'),
            (JSONStreamParser(max_nesting=3), b"[[[[[[1]], [2]]]]]"),
        ]
        for parser, data in cases:
            results = parser.feed(data + b" [7]")
            assert len(results) == 2, data
            assert str(results[0]).endswith("limit exceeded")
            assert results[1] == [7]
            assert parser.is_idle

    def test_resynchronisation_still_ends_a_skip(self) -> None:
        """0xFF (a lexer error) ends a skipped message as it ends any: the client's way back."""
        parser = JSONStreamParser(max_nesting=2)
        results = parser.feed(b"[[[[ \xff\n[1]")
        assert [str(r) for r in results[:2]] == [
            "JSON nesting depth limit exceeded",
            "JSON parse error, stray '\ufffd'",
        ]
        assert results[2:] == [[1]]

    def test_daemon_one_reply_and_bystander_served(self) -> None:
        """Over QMP: one error reply, the session goes on, and another client is served meanwhile."""
        with running() as daemon:
            bystander = RawClient(daemon.socket_path)
            flooder = RawClient(daemon.socket_path)
            try:
                _negotiate(bystander)
                _negotiate(flooder)
                sent = threading.Event()

                def flood() -> None:
                    try:
                        flooder.send(self.FLOOD + QUERY_VERSION)
                    finally:
                        sent.set()

                thread = threading.Thread(target=flood, name="flooder")
                thread.start()
                times: list[float] = []
                try:
                    deadline = time.monotonic() + TIMEOUT
                    while (not sent.is_set() or len(times) < 5) and time.monotonic() < deadline:
                        start = time.perf_counter()
                        assert bystander.command(QUERY_VERSION).startswith(b'{"return": {"qemu": ')
                        times.append(time.perf_counter() - start)
                finally:
                    thread.join(TIMEOUT)
                assert not thread.is_alive()
                assert flooder.read_message() == COUNT_LIMIT
                assert flooder.read_message().startswith(b'{"return": {"qemu": ')
                # Nothing else was queued for the flood: the next reply is the next command's.
                assert flooder.command(b'{"execute":"query-version","id":2}').endswith(b', "id": 2}\r\n')
                assert len(times) >= 5
                # Generous: a loaded 2-core machine (before the fix, the 1.58M replies stalled ~400 ms).
                assert statistics.median(times) < 0.5, sorted(times)[-5:]
            finally:
                flooder.close()
                bystander.close()


# --- item 6: plugins that block, interrupt or exit --------------------------------------

#: A plugin that says it started (the file named by QOM_PY_TEST_MARK), then blocks.
BLOCKERS = {
    "sleeper": "time.sleep(3600)",
    "fifo_reader": "open(os.environ['QOM_PY_TEST_FIFO']).read()",
    "swallower": textwrap.dedent(
        """
        while True:
            try:
                time.sleep(3600)
            except BaseException:
                pass
        """
    ),
}


@pytest.fixture
def plugin_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment whose PYTHONPATH holds the plugins of this section."""
    for name, body in BLOCKERS.items():
        head = "import os, time\nopen(os.environ['QOM_PY_TEST_MARK'], 'w').close()\n"
        (tmp_path / f"{name}.py").write_text(head + body + "\n")
    (tmp_path / "interrupter.py").write_text("raise KeyboardInterrupt\n")
    (tmp_path / "exiter.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "quiet_exiter.py").write_text("import sys\nsys.exit()\n")
    os.mkfifo(tmp_path / "fifo")
    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH", "")]))
    env["QOM_PY_TEST_MARK"] = str(tmp_path / "started")
    env["QOM_PY_TEST_FIFO"] = str(tmp_path / "fifo")
    yield env


class TestPlugins:
    """Signals end a start-up stuck in a plugin; every plugin failure is one line and exit 1."""

    @pytest.mark.parametrize(
        ("plugin", "signals"),
        [
            ("sleeper", [signal.SIGTERM]),
            ("sleeper", [signal.SIGINT]),
            ("sleeper", [signal.SIGHUP]),
            ("fifo_reader", [signal.SIGTERM]),
            ("swallower", [signal.SIGTERM, signal.SIGTERM]),
        ],
        ids=["sleep-term", "sleep-int", "sleep-hup", "fifo-term", "swallowed-term"],
    )
    def test_signal_ends_blocked_start_up(self, plugin_env: dict[str, str], plugin: str, signals: list[int]) -> None:
        """The process dies by the signal, silently, leaving no socket and no pid file."""
        tmp = short_tmpdir()
        sock, pidfile = os.path.join(tmp, "qmp.sock"), os.path.join(tmp, "pid")
        argv = [*QOM_PY, *monitor_args(sock), "--pidfile", pidfile, "--plugin", plugin]
        mark = Path(plugin_env["QOM_PY_TEST_MARK"])
        proc = subprocess.Popen(argv, env=plugin_env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert wait_for(mark.exists), "the plugin did not start"
            time.sleep(0.1)  # into the blocking call
            for sig in signals:
                proc.send_signal(sig)
                time.sleep(0.2)
            _, stderr = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=TIMEOUT)
            leftovers = sorted(os.listdir(tmp))
            for name in leftovers:
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)
        assert proc.returncode == -signals[-1]
        assert stderr == b""
        assert leftovers == []

    @pytest.mark.parametrize(
        ("plugin", "why"),
        [("interrupter", "KeyboardInterrupt"), ("exiter", "SystemExit: 3"), ("quiet_exiter", "SystemExit")],
    )
    def test_base_exceptions_are_one_line(self, plugin_env: dict[str, str], plugin: str, why: str) -> None:
        """A plugin raising KeyboardInterrupt or calling sys.exit() fails start-up like any other."""
        for extra in ([], ["--print-schema"], ["--object", "iothread,help"]):
            proc = subprocess.run(
                [*QOM_PY, "--plugin", plugin, *extra], env=plugin_env, capture_output=True, timeout=TIMEOUT, check=False
            )
            assert (proc.returncode, proc.stderr.decode()) == (1, f"qom-py: --plugin {plugin}: {why}\n"), extra
            assert proc.stdout == b""
