"""
The ``qom-py`` command line, end to end: a subprocess per test, as users run it.

Start-up errors are qemu-storage-daemon 7.2's, word for word, with ``qom-py: `` in
front and exit status 1; where qsd is installed the same command lines are run
through it too.  Then the life cycle: sockets, the pid file, signals, ``quit``,
``--daemonize``, several clients, ``pretty=on``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.daemon import (
    QOM_PY,
    QSD,
    TIMEOUT,
    QMPConnection,
    child_env,
    connect_tcp,
    connect_unix,
    free_tcp_port,
    monitor_args,
    pid_alive,
    run,
    running,
    short_tmpdir,
    wait_for,
)

_HINT = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
_SOCKET = "socket,id=m,path={tmp}/s,server=on,wait=off"


# ---------------------------------------------------------------------------
# Help and version.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["--he"], ["--help", "--foo"], ["-hx"], ["extra", "--help"]])
def test_help(argv: list[str]) -> None:
    """``--help`` prints the usage and exits 0, before any later option is looked at."""
    result = run(argv)
    assert result.returncode == 0, result
    assert result.stdout.startswith("Usage: qom-py")
    assert "--object" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("argv", [["-V"], ["--version"], ["--ver"], ["-V", "--foo"], ["-Vh"]])
def test_version(argv: list[str]) -> None:
    """``-V`` prints the version and exits 0."""
    result = run(argv)
    assert result.returncode == 0, result
    assert result.stdout.startswith("qom-py version ")
    assert result.stderr == ""


def test_print_schema() -> None:
    """``--print-schema`` prints a JSON Schema of every creatable type and exits 0."""
    result = run(["--print-schema"])
    assert result.returncode == 0, result
    schema = json.loads(result.stdout)
    assert [variant["title"] for variant in schema["oneOf"]] == ["iothread", "main-loop"]
    assert schema["oneOf"][0]["required"] == ["qom-type", "id"]
    assert "poll-max-ns" in schema["oneOf"][0]["properties"]
    assert "poll-max-ns" not in schema["oneOf"][1]["properties"]


def test_object_help_lists_types() -> None:
    """``--object help`` lists the creatable types; nothing is left running."""
    result = run(["--pidfile", "{tmp}/pid", "--object", "help"], monitor=True)
    assert result.returncode == 0, result
    assert result.stdout == "List of user creatable objects:\n  iothread\n  main-loop\n"
    assert result.stderr == ""
    assert result.leftovers == []


def test_object_type_help_lists_properties() -> None:
    """``--object iothread,help`` lists iothread's properties as qsd does; nothing is left."""
    result = run(["--pidfile", "{tmp}/pid", "--object", "iothread,help"], monitor=True)
    assert result.returncode == 0, result
    assert result.stdout == (
        "iothread options:\n"
        "  aio-max-batch=<int>\n"
        "  poll-grow=<int>\n"
        "  poll-max-ns=<int>\n"
        "  poll-shrink=<int>\n"
        "  thread-pool-max=<int>\n"
        "  thread-pool-min=<int>\n"
    )
    assert result.stderr == ""
    assert result.leftovers == []


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_object_type_help_as_qsd() -> None:
    """``--object iothread,help`` prints what qemu-storage-daemon prints."""
    assert QSD is not None
    ours = run(["--object", "iothread,help"])
    theirs = run(["--object", "iothread,help"], program=[QSD])
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)


# ---------------------------------------------------------------------------
# Start-up errors.
# ---------------------------------------------------------------------------
#: (argv, stderr after "qom-py: ", also qsd's answer).  ``{tmp}`` is a tmp dir.
STARTUP_ERRORS: list[tuple[list[str], str, bool]] = [
    (["--foo"], "unrecognized option '--foo'", True),
    (["--foo=1"], "unrecognized option '--foo=1'", True),
    (["--object"], "option '--object' requires an argument", True),
    (["--pid"], "option '--pidfile' requires an argument", True),
    (["--daemonize=1"], "option '--daemonize' doesn't allow an argument", True),
    (["-x"], "invalid option -- 'x'", True),
    (["extra", "-x"], "invalid option -- 'x'", True),
    (["-T"], "option requires an argument -- 'T'", True),
    (["extra"], "extra: Unexpected argument", True),
    (["-"], "-: Unexpected argument", True),
    (["extra", "--object", "iothread,id=1bad"], "extra: Unexpected argument", True),
    (["--monitor", "nosuch"], '--monitor nosuch: chardev "nosuch" not found', True),
    (["--monitor", "m,foo=1"], "--monitor m,foo=1: Parameter 'foo' is unexpected", True),
    # Checked by the schema engine as qsd's visitor checks MonitorOptions: leftovers in QEMU's hash order.
    (["--monitor", "chardev=m,foo=1,bar=2"], "--monitor chardev=m,foo=1,bar=2: Parameter 'bar' is unexpected", True),
    (["--monitor", "m,mode=bogus"], "--monitor m,mode=bogus: Parameter 'mode' does not accept value 'bogus'", True),
    (["--monitor", "id=x"], "--monitor id=x: Parameter 'chardev' is missing", True),
    (["--monitor", "m,chardev.x=1"], "--monitor m,chardev.x=1: Parameters 'chardev.*' used inconsistently", True),
    (
        ["--monitor", "m,pretty=maybe,foo=1"],
        "--monitor m,pretty=maybe,foo=1: Parameter 'pretty' expects 'on' or 'off'",
        True,
    ),
    (
        ["--monitor", "m,max-clients=0"],
        "--monitor m,max-clients=0: Parameter 'max-clients' expects a positive integer",
        False,
    ),
    (["--monitor", "m,max-clients=x"], "--monitor m,max-clients=x: Parameter 'max-clients' expects integer", False),
    (
        ["--chardev", _SOCKET, "--monitor", "m,pretty=maybe"],
        "--monitor m,pretty=maybe: Parameter 'pretty' expects 'on' or 'off'",
        True,
    ),
    (["--chardev", _SOCKET, "--monitor", "m,mode=readline"], "--monitor m,mode=readline: Only QMP is supported", True),
    (["--chardev", "bogus,id=m"], "--chardev bogus,id=m: 'bogus' is not a valid char driver name", True),
    (["--chardev", _SOCKET + ",foo=1"], f"--chardev {_SOCKET},foo=1: Invalid parameter 'foo'", True),
    (["--chardev", "socket,path={tmp}/s"], "--chardev socket,path={tmp}/s: chardev: no id specified", True),
    (
        ["--chardev", _SOCKET, "--chardev", "socket,id=m,path={tmp}/t,server=on,wait=off"],
        "--chardev socket,id=m,path={tmp}/t,server=on,wait=off: duplicate yank instance",
        True,
    ),
    (
        ["--object", "iothread,id=1bad"],
        f"--object iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}",
        True,
    ),
    (["--ob", "iothread,id=1bad"], f"--ob iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}", True),
    (["--object=iothread,id=1bad"], f"--object=iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}", True),
    (["--o", "x"], "--o x: Parameter 'qom-type' does not accept value 'x'", True),
    # Refused on purpose: qom-py hosts no block layer and no trace events (qsd differs).
    (
        ["--blockdev", "null-co,node-name=n"],
        "--blockdev null-co,node-name=n: --blockdev is not supported by qom-py (it hosts QOM objects, not block devices)",
        False,
    ),
    (["-T", "foo"], "-T foo: -T is not supported by qom-py (QEMU's trace events do not exist here)", False),
    (
        ["--object", "iothread,id=1bad", "extra"],
        f"--object iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}",
        True,
    ),
    (
        ["--object", "main-loop,id=ml", "--object", "main-loop,id=ml2"],
        "--object main-loop,id=ml2: only one main-loop instance allowed",
        True,
    ),
    (
        ["--pidfile", "{tmp}/no/such/pid"],
        "cannot create PID file: Could not create '{tmp}/no/such/pid': No such file or directory",
        True,
    ),
    # qom-py's extension: -object (qsd: "invalid option -- 'o'").
    (
        ["-object", "iothread,id=1bad"],
        f"-object iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}",
        False,
    ),
]


@pytest.mark.parametrize(("argv", "message", "as_qsd"), STARTUP_ERRORS, ids=[" ".join(a) for a, _, _ in STARTUP_ERRORS])
def test_startup_error(argv: list[str], message: str, as_qsd: bool) -> None:
    """A bad command line gets one qsd-worded message on stderr and exit status 1."""
    result = run(argv)
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert result.stderr == "qom-py: " + message.replace("{tmp}", result.tmpdir) + "\n"
    assert result.leftovers == []


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
@pytest.mark.parametrize(
    "argv", [a for a, _, as_qsd in STARTUP_ERRORS if as_qsd], ids=[" ".join(a) for a, _, q in STARTUP_ERRORS if q]
)
def test_startup_error_as_qsd(argv: list[str]) -> None:
    """qemu-storage-daemon prints the same message (with its own name)."""
    assert QSD is not None
    theirs = run(argv, program=[QSD])
    ours = run(argv)
    assert theirs.returncode == ours.returncode == 1
    # glibc's getopt messages name argv[0], which is qsd's full path here.
    expected = re.sub(r"^\S*qemu-storage-daemon: ", "qom-py: ", theirs.stderr.replace(theirs.tmpdir, "{tmp}"))
    assert expected == ours.stderr.replace(ours.tmpdir, "{tmp}")


def test_failed_startup_leaves_nothing() -> None:
    """A failure after the monitor is listening removes the socket; no pid file is made."""
    result = run(
        ["--pidfile", "{tmp}/pid", "--object", "iothread,id=io0", "--object", "iothread,id=1bad"], monitor=True
    )
    assert result.returncode == 1, result
    assert result.leftovers == []


def test_double_dash_ends_options() -> None:
    """Everything after ``--`` is ignored, as by qsd's getopt."""
    with running(["--", "--object", "iothread,id=1bad", "extra"]) as daemon:
        conn = daemon.connect()
        assert conn.command("qom-list", path="/objects") == [{"name": "type", "type": "string"}]


# ---------------------------------------------------------------------------
# Sockets.
# ---------------------------------------------------------------------------
def test_single_dash_object() -> None:
    """``-object`` is a synonym of ``--object``."""
    with running(["-object", "iothread,id=io0,poll-max-ns=7"]) as daemon:
        conn = daemon.connect()
        assert conn.command("qom-get", path="/objects/io0", property="poll-max-ns") == 7


@pytest.mark.parametrize("spec", ["unix:{sock}", "unix:{sock},server=on,wait=off"])
def test_qmp_unix_shorthand(spec: str) -> None:
    """``--qmp unix:PATH`` serves QMP on a unix socket of mode 0600."""
    with running(["--qmp", spec, "--object", "iothread,id=io0"], monitor=False, wait_for_socket="{sock}") as daemon:
        assert stat.S_IMODE(os.stat(daemon.socket_path).st_mode) == 0o600
        conn = daemon.connect()
        assert conn.command("qom-get", path="/objects/io0", property="poll-max-ns") == 32768


def test_qmp_tcp_shorthand() -> None:
    """``--qmp tcp:127.0.0.1:PORT`` serves QMP on TCP; ``quit`` ends it."""
    port = free_tcp_port()
    with running(["--qmp", f"tcp:127.0.0.1:{port}", "--object", "iothread,id=io0"], monitor=False) as daemon:

        def accepts() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
            return True

        assert wait_for(lambda: accepts() or not daemon.is_running()), daemon.stderr()
        with connect_tcp("127.0.0.1", port) as conn:
            conn.negotiate()
            assert conn.command("qom-get", path="io0", property="poll-grow") == 0
            assert conn.request("quit") == {"return": {}}
        assert daemon.wait() == 0


def test_chardev_tcp() -> None:
    """``--chardev socket,host=,port=`` with ``--monitor`` serves QMP on TCP."""
    port = free_tcp_port()
    argv = ["--chardev", f"socket,id=t,host=127.0.0.1,port={port},server=on,wait=off", "--monitor", "t"]
    with running(argv) as daemon:
        conn = None
        deadline = time.monotonic() + TIMEOUT
        while conn is None:
            try:
                conn = connect_tcp("127.0.0.1", port)
            except OSError:
                assert time.monotonic() < deadline and daemon.is_running(), daemon.stderr()
                time.sleep(0.01)
        with conn:
            conn.negotiate()
            assert conn.command("qom-list-types", implements="iothread") == [
                {"name": "iothread", "parent": "event-loop-base"}
            ]


def test_unix_socket_mode() -> None:
    """The monitor's unix socket has mode 0600 whatever the umask."""
    old = os.umask(0)
    try:
        with running() as daemon:
            assert stat.S_IMODE(os.stat(daemon.socket_path).st_mode) == 0o600
            assert stat.S_ISSOCK(os.stat(daemon.socket_path).st_mode)
    finally:
        os.umask(old)


def test_several_clients_at_once() -> None:
    """Clients on one socket are served side by side, each with its own replies."""
    with running(["--object", "iothread,id=io0"]) as daemon:
        clients = [daemon.connect(negotiate=False) for _ in range(4)]
        for conn in clients:
            assert conn.greeting["QMP"]["capabilities"] == ["oob"]
        clients[0].negotiate()
        # Negotiation is per client.
        reply = clients[1].request("qom-list", {"path": "/objects"})
        assert reply["error"]["class"] == "CommandNotFound"
        for conn in clients[1:]:
            conn.negotiate()
        for i, conn in enumerate(clients):
            conn.send({"execute": "object-add", "arguments": {"qom-type": "iothread", "id": f"c{i}"}, "id": i})
        for i, conn in enumerate(clients):
            assert conn.read_reply() == {"return": {}, "id": i}
        names = {entry["name"] for entry in clients[3].command("qom-list", path="/objects")}
        assert names == {"type", "io0", "c0", "c1", "c2", "c3"}
        for i, conn in enumerate(clients):
            assert conn.request("qom-get", {"path": f"c{i}", "property": "poll-max-ns"}, id=f"x{i}") == {
                "return": 32768,
                "id": f"x{i}",
            }
        clients[2].close()
        assert clients[1].command("qom-get", path="io0", property="poll-grow") == 0


# ---------------------------------------------------------------------------
# Pid file, signals, quit.
# ---------------------------------------------------------------------------
def test_pidfile() -> None:
    """``--pidfile`` holds the pid (mode 0600) while running and is removed at exit."""
    with running(["--pidfile", "{tmp}/pid"]) as daemon:
        pidfile = Path(daemon.path("pid"))
        assert wait_for(lambda: pidfile.exists() and pidfile.read_text().endswith("\n"))
        assert pidfile.read_text() == f"{daemon.pid}\n"
        assert stat.S_IMODE(pidfile.stat().st_mode) == 0o600
        daemon.stop()
        assert not pidfile.exists()


def test_pidfile_locked() -> None:
    """A second daemon on a locked pid file fails as qsd does, and leaves the file alone."""
    with running(["--pidfile", "{tmp}/pid"]) as daemon:
        pidfile = Path(daemon.path("pid"))
        assert wait_for(lambda: pidfile.exists() and pidfile.read_text().endswith("\n"))
        result = run(["--pidfile", str(pidfile)])
        assert result.returncode == 1
        assert (
            result.stderr == "qom-py: cannot create PID file: Cannot lock pid file: Resource temporarily unavailable\n"
        )
        assert pidfile.read_text() == f"{daemon.pid}\n"


_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


@pytest.mark.parametrize("signum", _SIGNALS, ids=[s.name for s in _SIGNALS])
def test_signal_ends_daemon(signum: signal.Signals) -> None:
    """
    SIGTERM, SIGINT and SIGHUP end the daemon with status 0, removing socket and pid file.

    Every negotiated client gets ``SHUTDOWN`` first, as qemu-system sends it
    (qsd 7.2 sends none), and then end of file; a client still negotiating gets no event.
    """
    with running(["--pidfile", "{tmp}/pid", "--object", "iothread,id=io0"]) as daemon:
        pidfile = Path(daemon.path("pid"))
        assert wait_for(pidfile.exists)
        clients = [daemon.connect(), daemon.connect()]
        unnegotiated = daemon.connect(negotiate=False)
        clients[0].command("qom-list", path="/objects")  # serving, not starting
        daemon.proc.send_signal(signum)
        for conn in clients:
            event = conn.wait_event("SHUTDOWN")
            assert event["data"] == {"guest": False, "reason": "host-signal"}
            assert set(event["timestamp"]) == {"seconds", "microseconds"}
            conn.read_eof()
            assert [e["event"] for e in conn.events] == ["SHUTDOWN"]
        unnegotiated.read_eof()
        assert unnegotiated.events == []
        assert daemon.wait() == 0
        assert not os.path.exists(daemon.socket_path)
        assert not pidfile.exists()
        assert daemon.stderr() == ""


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
@pytest.mark.parametrize("signum", _SIGNALS, ids=[s.name for s in _SIGNALS])
def test_qsd_sends_no_shutdown_on_signals(signum: signal.Signals) -> None:
    """qsd 7.2 closes its client without any event on these signals (the documented difference 9)."""
    assert QSD is not None
    with running(["--object", "iothread,id=io0"], program=[QSD]) as daemon:
        conn = daemon.connect()
        conn.command("qom-list", path="/objects")
        daemon.proc.send_signal(signum)
        conn.read_eof()
        assert conn.events == []
        assert daemon.wait() == 0


def test_signal_during_startup() -> None:
    """SIGTERM while the objects are still being created still ends cleanly, status 0."""
    argv = [arg for i in range(64) for arg in ("--object", f"iothread,id=io{i}")]
    with running(["--pidfile", "{tmp}/pid", *argv]) as daemon:
        daemon.proc.send_signal(signal.SIGTERM)  # the socket exists: start-up is under way
        assert daemon.wait() == 0, daemon.stderr()
        assert not os.path.exists(daemon.socket_path)
        assert not os.path.exists(daemon.path("pid"))
        assert daemon.stderr() == ""


def test_quit() -> None:
    """``quit`` answers, then sends ``SHUTDOWN`` and closes; the daemon exits 0 and cleans up."""
    with running(["--pidfile", "{tmp}/pid", "--object", "iothread,id=io0"]) as daemon:
        pidfile = Path(daemon.path("pid"))
        assert wait_for(pidfile.exists)
        other = daemon.connect()
        conn = daemon.connect()
        assert conn.request("quit", id="q") == {"return": {}, "id": "q"}
        assert conn.events == []  # the return comes first ...
        event = conn.wait_event("SHUTDOWN")  # ... then the event
        assert event["data"] == {"guest": False, "reason": "host-qmp-quit"}
        assert set(event["timestamp"]) == {"seconds", "microseconds"}
        conn.read_eof()
        other.read_eof()
        assert [e["event"] for e in other.events] == ["SHUTDOWN"]
        assert daemon.wait() == 0
        assert not os.path.exists(daemon.socket_path)
        assert not pidfile.exists()


@pytest.mark.parametrize("how", ["quit", "SIGTERM"])
def test_iothreads_stopped_at_exit(how: str) -> None:
    """Iothreads and pool workers are stopped at exit: the daemon exits promptly."""
    argv = [
        "--object", "iothread,id=io0,thread-pool-min=4,thread-pool-max=8",
        "--object", "iothread,id=io1,poll-max-ns=0",
        "--object", "main-loop,id=ml,thread-pool-min=2",
    ]  # fmt: skip
    with running(argv) as daemon:
        conn = daemon.connect()
        conn.command("object-add", **{"qom-type": "iothread", "id": "io2", "thread-pool-min": 1})
        threads = len(os.listdir(f"/proc/{daemon.pid}/task"))
        assert threads >= 4, threads  # main + three iothreads at least
        started = time.monotonic()
        if how == "quit":
            assert conn.request("quit") == {"return": {}}
        else:
            daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=5.0) == 0
        assert time.monotonic() - started < 5.0
        assert daemon.stderr() == ""


# ---------------------------------------------------------------------------
# --daemonize.
# ---------------------------------------------------------------------------
def test_daemonize() -> None:
    """The parent exits 0 once the socket exists; the daemon serves until ``quit``."""
    tmpdir = short_tmpdir()
    sock = os.path.join(tmpdir, "qmp.sock")
    pidfile = Path(tmpdir, "pid")
    argv = [*QOM_PY, "--daemonize", "--pidfile", str(pidfile), *monitor_args(sock), "--object", "iothread,id=io0"]
    daemon_pid = None
    try:
        with open(os.path.join(tmpdir, "out"), "wb") as out:
            parent = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=child_env())
        try:
            assert parent.wait(TIMEOUT) == 0, Path(tmpdir, "out").read_text()
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait(TIMEOUT)
        assert os.path.exists(sock)  # start-up was complete when the parent left
        daemon_pid = int(pidfile.read_text())
        assert daemon_pid != parent.pid
        assert pid_alive(daemon_pid)
        with connect_unix(sock) as conn:
            conn.negotiate()
            assert conn.command("qom-get", path="/objects/io0", property="poll-max-ns") == 32768
            assert conn.command("query-iothreads")[0]["id"] == "io0"
            assert conn.request("quit") == {"return": {}}
            conn.read_eof()
        assert wait_for(lambda: not pid_alive(daemon_pid)), "the daemon did not exit"
        assert wait_for(lambda: not pidfile.exists())
        assert not os.path.exists(sock)
        assert Path(tmpdir, "out").read_text() == ""
    finally:
        if daemon_pid is not None and pid_alive(daemon_pid):
            os.kill(daemon_pid, signal.SIGKILL)
        shutil.rmtree(tmpdir, ignore_errors=True)


def test_daemonize_startup_failure() -> None:
    """A start-up failure with ``--daemonize`` exits 1 with the message; nothing is left."""
    result = run(["--daemonize", "--pidfile", "{tmp}/pid", "--object", "iothread,id=1bad"], monitor=True)
    assert result.returncode == 1, result
    assert result.stderr == f"qom-py: --object iothread,id=1bad: Parameter 'id' expects an identifier\n{_HINT}\n"
    assert result.leftovers == []


# ---------------------------------------------------------------------------
# pretty=on.
# ---------------------------------------------------------------------------
#: Recorded from qemu-storage-daemon 7.2.22 with ``--monitor m,pretty=on``.
_PRETTY_QSD = (
    b'{\r\n    "return": 32768,\r\n    "id": [\r\n        1,\r\n        {\r\n            "a": [\r\n'
    b"            ]\r\n        }\r\n    ]\r\n}\r\n"
    b'{\r\n    "id": "x",\r\n    "error": {\r\n        "class": "CommandNotFound",\r\n'
    b'        "desc": "The command nosuch has not been found"\r\n    }\r\n}\r\n'
    b'{\r\n    "return": [\r\n        {\r\n            "name": "type",\r\n            "type": "string"\r\n'
    b'        },\r\n        {\r\n            "name": "io0",\r\n            "type": "child<iothread>"\r\n'
    b"        }\r\n    ]\r\n}\r\n"
    b'{\r\n    "return": {\r\n    }\r\n}\r\n'
)
_PRETTY_REQUESTS = (
    b'{"execute":"qom-get","arguments":{"path":"/objects/io0","property":"poll-max-ns"},"id":[1,{"a":[]}]}'
    b'{"execute":"nosuch","id":"x"}'
    b'{"execute":"qom-list","arguments":{"path":"/objects"}}'
    b'{"execute":"qom-set","arguments":{"path":"io0","property":"poll-grow","value":2}}'
)


def _pretty_transcript(program: tuple[str, ...] | list[str]) -> tuple[bytes, bytes]:
    """(greeting and negotiation, the replies to `_PRETTY_REQUESTS`) as raw bytes."""
    with running(["--object", "iothread,id=io0"], program=program, pretty=True) as daemon:
        conn: QMPConnection = daemon.connect(negotiate=False)
        conn.negotiate()
        start = len(conn.raw)
        conn.send_raw(_PRETTY_REQUESTS)
        for _ in range(4):
            conn.read_reply()
        head = bytes(conn.raw[:start])
        # qsd's start-up race may greet twice (tests/daemon.py's QMPConnection): keep one.
        greeting = head[: head.index(b"\n}\r\n") + 4]
        copies = 1 + len(conn.repeated_greetings)
        assert head.startswith(greeting * copies), head
        return greeting + head[len(greeting) * copies :], bytes(conn.raw[start:])


def test_pretty_output() -> None:
    """``pretty=on`` lays replies out exactly as qemu-storage-daemon does (CRLF, 4 spaces)."""
    greeting, replies = _pretty_transcript(QOM_PY)
    assert replies == _PRETTY_QSD
    assert greeting.startswith(b'{\r\n    "QMP": {\r\n        "version": {\r\n            "qemu": {\r\n')
    assert greeting.endswith(b'{\r\n    "return": {\r\n    }\r\n}\r\n')


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_pretty_output_as_qsd() -> None:
    """The pretty layout equals a live qemu-storage-daemon's, greeting included (bar versions)."""
    assert QSD is not None
    our_greeting, ours = _pretty_transcript(QOM_PY)
    qsd_greeting, theirs = _pretty_transcript([QSD])
    assert ours == theirs

    def layout(raw: bytes) -> bytes:
        # Versions differ; every other byte must not.
        raw = re.sub(rb'("micro": )\d+', rb"\1N", raw)
        return re.sub(rb'("package": )"[^"]*"', rb'\1"P"', raw)

    assert layout(our_greeting) == layout(qsd_greeting)
