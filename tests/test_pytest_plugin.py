"""
The pytest plugin (`qom_py.pytest_plugin`): fixtures ``qmp`` and ``qom_daemon``, marker ``qom_daemon``.

Run through ``pytester`` in a subprocess, as a user's test suite would load it: from the
``pytest11`` entry point of the installed qom-py.
"""

from __future__ import annotations

import os

import pytest

from qom_py.pytest_plugin import QOMDaemon
from qom_py.qmp import InProcessQMP
from tests.daemon import child_env, connect_unix, pid_alive

pytest_plugins = ["pytester"]


@pytest.fixture
def user_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A user's test directory: the child pytest sees the qom_py under test (also from a checkout)."""
    monkeypatch.setenv("PYTHONPATH", child_env().get("PYTHONPATH", ""))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return pytester


def test_registered_by_entry_point(user_suite: pytest.Pytester) -> None:
    """The plugin is autoloaded under the entry point's name and registers its marker."""
    user_suite.makepyfile(
        """
        def test_loaded(pytestconfig):
            plugin = pytestconfig.pluginmanager.get_plugin("qom_py")
            assert plugin is not None and plugin.__name__ == "qom_py.pytest_plugin"
        """
    )
    result = user_suite.runpytest_subprocess("--strict-markers")
    result.assert_outcomes(passed=1)
    markers = user_suite.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.qom_daemon(args=(), *, timeout=10.0, env=None): *"])


def test_qmp_fixture_resets_the_model(user_suite: pytest.Pytester) -> None:
    """``qmp`` talks to this process's objects; types and objects are gone after each test."""
    user_suite.makepyfile(
        """
        import qom_py
        from qom_py import TypeInfo, type_register

        def _class_init(klass, data):
            klass.property_add_int("count", lambda o: getattr(o, "count", 0), lambda o, v: setattr(o, "count", v))

        def test_first(qmp):
            type_register(TypeInfo("counter", interfaces=["user-creatable"], class_init=_class_init))
            assert qmp.execute("object-add", {"qom-type": "counter", "id": "c0", "count": 3}) == {}
            assert qmp.execute("object-add", {"qom-type": "main-loop", "id": "ml"}) == {}
            assert qmp.execute("qom-get", {"path": "c0", "property": "count"}) == 3

        def test_second(qmp):
            assert qom_py.object_class_by_name("counter") is None
            assert qom_py.object_resolve_path("/objects/c0") is None
            # The main-loop singleton was cleared: a new one may be created.
            assert qmp.execute("object-add", {"qom-type": "main-loop", "id": "ml2"}) == {}
        """
    )
    result = user_suite.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_qmp_fixture_keeps_types_registered_before_the_test(user_suite: pytest.Pytester) -> None:
    """Types registered at import, in ``conftest.py`` or by a plugin survive each test; a test's own go."""
    user_suite.makepyfile(
        lampmod="""
        from qom_py import TypeInfo, type_register

        def _class_init(klass, data):
            klass.property_add_bool("on", lambda o: getattr(o, "on", False), lambda o, v: setattr(o, "on", v))

        type_register(TypeInfo("lamp", interfaces=["user-creatable"], class_init=_class_init))
        """,
        userplugin="""
        from qom_py import TypeInfo, type_register

        type_register(TypeInfo("plugged", interfaces=["user-creatable"]))
        """,
    )
    user_suite.makeconftest(
        """
        from qom_py import TypeInfo, type_register

        type_register(TypeInfo("shade", interfaces=["user-creatable"]))
        """
    )
    user_suite.makepyfile(
        test_lamps="""
        import pytest
        import qom_py

        import lampmod

        @pytest.fixture
        def led_type():
            # Registered by a fixture of the test, set up before qmp: the test's, forgotten after it.
            qom_py.type_register(qom_py.TypeInfo("led", parent="lamp"))

        @pytest.mark.parametrize("run", [1, 2, 3])
        def test_lamp(led_type, qmp, run):
            for qom_type in ("lamp", "shade", "plugged", "led"):
                assert qmp.execute("object-add", {"qom-type": qom_type, "id": f"{qom_type}0"}) == {}
            assert qmp.execute("qom-get", {"path": "lamp0", "property": "on"}) is False
            # Registered by this test: forgotten after it.
            assert qom_py.object_class_by_name("bulb") is None
            qom_py.type_register(qom_py.TypeInfo("bulb", parent="lamp"))
            assert qmp.execute("object-add", {"qom-type": "bulb", "id": "b0", "on": True}) == {}

        def test_after(qmp):
            assert qom_py.object_class_by_name("lamp") is not None
            assert qom_py.object_class_by_name("led") is None and qom_py.object_class_by_name("bulb") is None
        """
    )
    result = user_suite.runpytest_subprocess("-p", "no:randomly", "-p", "userplugin")
    result.assert_outcomes(passed=4)


def test_qom_daemon_fixture(user_suite: pytest.Pytester) -> None:
    """``qom_daemon`` runs a daemon with the marker's options; it is stopped and cleaned up after."""
    user_suite.makepyfile(
        """
        import json, os, socket
        import pytest

        def _qmp(path, *commands):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                sock.connect(path)
                reader = sock.makefile("rb")
                json.loads(reader.readline())  # greeting
                replies = []
                for execute, arguments in (("qmp_capabilities", {}), *commands):
                    sock.sendall(json.dumps({"execute": execute, "arguments": arguments}).encode())
                    replies.append(json.loads(reader.readline()))
                return replies[1:]

        def test_plain(qom_daemon):
            assert os.path.exists(qom_daemon.socket_path)
            (reply,) = _qmp(qom_daemon.socket_path, ("qom-list", {"path": "/objects"}))
            assert reply["return"] == [{"name": "type", "type": "string"}]
            with open("where", "w") as f:
                f.write(f"{qom_daemon.pid} {qom_daemon.socket_path}")

        @pytest.mark.qom_daemon(args=["--object", "iothread,id=io0,thread-pool-min=2", "--pidfile", "{tmp}/pid"])
        def test_marker(qom_daemon):
            (reply,) = _qmp(qom_daemon.socket_path, ("qom-get", {"path": "io0", "property": "thread-pool-min"}))
            assert reply == {"return": 2}
            with open(os.path.join(qom_daemon.directory, "pid")) as f:
                assert int(f.read()) == qom_daemon.pid

        @pytest.mark.qom_daemon(args=["--object", "nosuch,id=x"])
        def test_startup_error(qom_daemon):
            pass
        """
    )
    result = user_suite.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*qom-py exited with status 1 at start-up: qom-py: --object nosuch,id=x: *"])
    pid, path = (user_suite.path / "where").read_text().split()
    assert not pid_alive(int(pid))
    assert not os.path.exists(path)


def test_local_fixture_overrides(user_suite: pytest.Pytester) -> None:
    """A user's own ``qmp`` fixture in conftest.py wins over the plugin's."""
    user_suite.makeconftest(
        """
        import pytest

        @pytest.fixture
        def qmp():
            return "mine"
        """
    )
    user_suite.makepyfile("def test_mine(qmp):\n    assert qmp == 'mine'\n")
    user_suite.runpytest_subprocess().assert_outcomes(passed=1)


# --- the project's own tests use the plugin ----------------------------------------------


@pytest.mark.qom_daemon(args=["--object", "main-loop,id=ml,thread-pool-min=1"])
def test_own_daemon(qom_daemon: QOMDaemon) -> None:
    """This suite's own use of ``qom_daemon``: a main-loop's pool as the daemon reports it."""
    with connect_unix(qom_daemon.socket_path) as conn:
        conn.negotiate()
        pools = conn.command("query-thread-pools")
    assert [p["min-threads"] for p in pools if p["id"] == "main-loop"] == [1]
    assert qom_daemon.stop() == 0
    assert not os.path.exists(qom_daemon.socket_path)


def test_own_qmp(qmp: InProcessQMP) -> None:
    """This suite's own use of ``qmp``."""
    assert qmp.execute("object-add", {"qom-type": "iothread", "id": "io0"}) == {}
    assert qmp.execute("qom-get", {"path": "io0", "property": "poll-max-ns"}) == 32768
