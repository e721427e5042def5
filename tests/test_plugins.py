"""
``qom-py --plugin MODULE`` and the ``qom_py.plugins`` entry points: users' types in the daemon.

Each plugin lives in a temporary directory put on the daemon's ``PYTHONPATH``; the
entry point comes from a hand-written ``*.dist-info`` there (no build, no network).
Also the daemon's logging: quiet by default, ``-v`` for a start-up summary, a user
type's failing ``complete()`` blamed on that type and id.
"""

from __future__ import annotations

import logging
import os
import textwrap
from pathlib import Path

import pytest

import qom_py
from qom_py import TypeInfo, type_register
from qom_py.qmp import QMPError
from qom_py.testing import qmp_client
from tests.daemon import run, running

COUNTER = textwrap.dedent(
    """
    from qom_py import TypeInfo, type_register

    def _class_init(klass, data):
        klass.property_add_int("count", lambda o: getattr(o, "count", 0), lambda o, v: setattr(o, "count", v))

        def complete(obj):
            if obj.property_get("count") == 13:
                raise RuntimeError("unlucky")

        klass.complete = complete

    type_register(TypeInfo("{name}", interfaces=["user-creatable"], class_init=_class_init))
    """
)


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on the daemon's ``PYTHONPATH`` with plugins ``counter_plugin`` and ``broken_plugin``."""
    (tmp_path / "counter_plugin.py").write_text(COUNTER.format(name="counter"))
    (tmp_path / "broken_plugin.py").write_text('raise ValueError("no luck today")\n')
    old = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), old])))
    return tmp_path


def write_dist(where: Path, value: str, *, name: str = "gadgets") -> None:
    """A minimal installed distribution ``qom-gadgets`` with one ``qom_py.plugins`` entry point."""
    info = where / "qom_gadgets-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qom-gadgets\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[qom_py.plugins]\n{name} = {value}\n")


def test_plugin_types_are_hosted(plugin_dir: Path) -> None:
    """A ``--plugin`` written after the ``--object`` that needs its type is still loaded first."""
    with running(["--object", "counter,id=c0,count=7", "--plugin", "counter_plugin"]) as daemon:
        with daemon.connect() as qmp:
            assert qmp.command("qom-get", path="/objects/c0", property="count") == 7
            assert qmp.command("object-add", **{"qom-type": "counter", "id": "c1"}) == {}
        assert daemon.stderr() == ""  # quiet by default, as qsd is


def test_plugins_in_command_line_order(plugin_dir: Path) -> None:
    """Several ``--plugin`` are imported in command-line order (the second sees the first's type)."""
    (plugin_dir / "second_plugin.py").write_text(
        "import qom_py\nassert qom_py.object_class_by_name('counter') is not None, 'counter first'\n"
    )
    result = run(["--plugin", "counter_plugin", "--plugin=second_plugin", "--object", "counter,help"])
    assert result.returncode == 0, result
    assert "count=<int>" in result.stdout
    reverse = run(["--plugin", "second_plugin", "--plugin", "counter_plugin"])
    assert reverse.returncode == 1
    assert reverse.stderr == "qom-py: --plugin second_plugin: AssertionError: counter first\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--plugin", "no_such_plugin"], "qom-py: --plugin no_such_plugin: No module named 'no_such_plugin'\n"),
        (["--plugin", "broken_plugin"], "qom-py: --plugin broken_plugin: ValueError: no luck today\n"),
        (
            ["--plugin", "counter_plugin", "--plugin", "broken_plugin"],
            "qom-py: --plugin broken_plugin: ValueError: no luck today\n",
        ),
    ],
)
def test_failing_plugin(plugin_dir: Path, argv: list[str], message: str) -> None:
    """A failing plugin is one line naming it, exit 1, and nothing is left (the socket is removed)."""
    result = run([*argv, "--pidfile", "{tmp}/pid"], monitor=True)
    assert (result.returncode, result.stderr, result.stdout) == (1, message, "")
    assert result.leftovers == []


def test_failing_plugin_verbose_traceback(plugin_dir: Path) -> None:
    """With ``-v`` the failed plugin's traceback is logged before the one-line error."""
    result = run(["-v", "--plugin", "broken_plugin"])
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "qom-py: debug: --plugin broken_plugin failed"
    assert "Traceback (most recent call last):" in lines
    assert lines[-2:] == ["ValueError: no luck today", "qom-py: --plugin broken_plugin: ValueError: no luck today"]


def test_plugin_before_print_schema(plugin_dir: Path) -> None:
    """``--print-schema`` includes the types of the plugins given before it."""
    result = run(["--plugin", "counter_plugin", "--print-schema"])
    assert result.returncode == 0, result
    assert '"counter"' in result.stdout


def test_entry_point_module(plugin_dir: Path) -> None:
    """An installed distribution's ``qom_py.plugins`` entry point naming a module is imported at start."""
    write_dist(plugin_dir, "counter_plugin")
    result = run(["--object", "counter,id=c0,count=13"])
    assert result.returncode == 1
    assert result.stderr == (
        "qom-py: --object counter,id=c0,count=13: complete() of type 'counter', id 'c0' raised RuntimeError: unlucky\n"
    )


def test_entry_point_callable(plugin_dir: Path) -> None:
    """An entry point naming a callable is called at start; ``-v`` lists it in the summary."""
    (plugin_dir / "gadget_hooks.py").write_text(
        f"import textwrap\nSOURCE = {COUNTER.format(name='gadget')!r}\ndef register():\n    exec(SOURCE, {{}})\n"
    )
    write_dist(plugin_dir, "gadget_hooks:register")
    with running(["-v", "--object", "gadget,id=g0", "--plugin", "counter_plugin"]) as daemon:
        with daemon.connect() as qmp:
            assert qmp.command("qom-get", path="g0", property="type") == "gadget"
        info = [line for line in daemon.stderr().splitlines() if line.startswith("qom-py: info: ")]
        assert info[:3] == [
            "qom-py: info: plugins: gadgets (gadget_hooks:register), counter_plugin",
            "qom-py: info: objects: g0 (gadget)",
            f"qom-py: info: monitors: unix:{daemon.socket_path}",
        ]
        assert info[3].startswith(f"qom-py: info: ready, pid {daemon.pid}")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("no_such_module", "No module named 'no_such_module'"),
        ("counter_plugin:nothing", "AttributeError: module 'counter_plugin' has no attribute 'nothing'"),
        (
            "counter_plugin:COUNTER_NOT_CALLABLE",
            "counter_plugin:COUNTER_NOT_CALLABLE is neither a module nor a callable",
        ),
    ],
)
def test_entry_point_failing(plugin_dir: Path, value: str, why: str) -> None:
    """A failing entry point is one line naming it, its distribution and why; exit 1."""
    with (plugin_dir / "counter_plugin.py").open("a") as f:
        f.write("COUNTER_NOT_CALLABLE = 42\n")
    write_dist(plugin_dir, value)
    result = run(["--object", "iothread,id=io0"], monitor=True)
    assert result.returncode == 1
    assert result.stderr == f"qom-py: entry point gadgets = {value} (group qom_py.plugins, qom-gadgets): {why}\n"
    assert result.leftovers == []


def test_help_documents_plugins() -> None:
    """``--help`` names ``--plugin``, the entry-point group and ``--verbose``."""
    result = run(["--help"])
    assert "--plugin <module>" in result.stdout
    assert "qom_py.plugins" in result.stdout
    assert "-v, --verbose" in result.stdout


@pytest.mark.parametrize("spelling", ["--v", "--ver"])
def test_verbose_needs_full_spelling(spelling: str) -> None:
    """``--verbose`` is matched only in full: qsd's abbreviations of ``--version`` still work."""
    result = run([spelling])
    assert result.returncode == 0
    assert result.stdout.startswith("qom-py version ")


def test_library_logger_has_only_a_null_handler() -> None:
    """Importing qom_py configures no output: the ``qom_py`` logger has a `logging.NullHandler` only."""
    handlers = logging.getLogger("qom_py").handlers
    assert [type(h) for h in handlers] == [logging.NullHandler]


def test_complete_failure_logged_with_type_and_id(caplog: pytest.LogCaptureFixture) -> None:
    """A user type's ``complete()`` raising is logged with its type and id, not as a qom_py bug."""

    def class_init(klass: qom_py.ObjectClass, data: object) -> None:
        klass.complete = lambda obj: 1 // 0  # type: ignore[attr-defined]

    type_register(TypeInfo("boom", interfaces=["user-creatable"], class_init=class_init))
    qmp = qmp_client()
    with caplog.at_level(logging.ERROR, logger="qom_py"):
        with pytest.raises(QMPError) as info:
            qmp.execute("object-add", {"qom-type": "boom", "id": "b0"})
    assert (info.value.error_class, info.value.desc) == ("GenericError", "integer division or modulo by zero")
    (record,) = caplog.records
    assert record.getMessage() == (
        "complete() of type 'boom', id 'b0' raised ZeroDivisionError: integer division or modulo by zero"
    )
    assert record.exc_info is not None
    assert "(a bug)" not in caplog.text
    assert qom_py.object_resolve_path("/objects/b0") is None


def test_complete_failure_in_daemon_stderr(plugin_dir: Path) -> None:
    """In the daemon, a plugin type's failing ``complete()`` is one stderr line naming type and id."""
    with running(["--plugin", "counter_plugin"]) as daemon:
        with daemon.connect() as qmp:
            reply = qmp.request("object-add", {"qom-type": "counter", "id": "c13", "count": 13})
            assert reply["error"] == {"class": "GenericError", "desc": "unlucky"}
        assert daemon.stderr() == "qom-py: complete() of type 'counter', id 'c13' raised RuntimeError: unlucky\n"


def test_failed_plugin_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Loading a failing plugin logs the failure with its traceback on the ``qom_py`` logger."""
    from qom_py.daemon._plugins import PluginError, load_module

    with caplog.at_level(logging.DEBUG, logger="qom_py"):
        with pytest.raises(PluginError, match="^--plugin qom_py_no_such_plugin: No module named"):
            load_module("qom_py_no_such_plugin")
    (record,) = caplog.records
    assert record.getMessage() == "--plugin qom_py_no_such_plugin failed"
    assert record.exc_info is not None
