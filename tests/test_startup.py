"""
Start-up work that is deferred (issue 12): what ``import qom_py`` and ``qom-py --object help``
do not import, the registry's lazily registered types, the quick entry-point scan.

No timings here: ``bench/startup.py`` measures; these tests pin the behaviour.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

import qom_py
import qom_py.loop
from qom_py import TypeInfo, TypeRegistry
from qom_py.daemon._plugins import ENTRY_POINT_GROUP, group_may_be_declared
from qom_py.errors import TypeRegistrationError
from tests.daemon import child_env

#: Modules `import qom_py` leaves for first use: the event loops (asyncio), QMP, the
#: object schema and the QAPI engine (reader, model, checker, cache), the creation path
#: (logging), the chardevs; the rarely needed standard modules (exact decimals for
#: subnormal floats, IP addresses, pathlib).
DEFERRED = [
    "asyncio",
    "asyncio.base_events",
    "decimal",
    "fractions",
    "importlib.metadata",
    "importlib.resources",
    "ipaddress",
    "logging",
    "pathlib",
    "qom_py.daemon._chardev",
    "qom_py.loop",
    "qom_py.loop._aio_context",
    "qom_py.loop._thread_pool",
    "qom_py.qapi._checker",
    "qom_py.qapi._entities",
    "qom_py.qapi._loader",
    "qom_py.qapi._parser",
    "qom_py.qapi._schema",
    "qom_py.qapi._table",
    "qom_py.qmp",
    "qom_py.qom._creation",
    "qom_py.qom._object_schema",
    "qom_py.qom._user_creatable",
    "ssl",
]


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n' + repr(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=child_env(), timeout=60, check=True
    )
    return set(ast.literal_eval(result.stdout.splitlines()[-1]))


@functools.cache
def _interpreter_modules() -> frozenset[str]:
    return frozenset(_modules_after("pass"))


def imported_after(code: str) -> set[str]:
    """
    The modules a fresh interpreter imports to run *code* (stdout is left to *code*).

    The interpreter's own start-up modules are left out: ``site`` and its ``.pth``
    hooks (an editable install's finder imports pathlib, say) are not qom_py's doing.
    """
    return _modules_after(code) - _interpreter_modules()


def test_import_qom_py_defers() -> None:
    """``import qom_py`` imports none of the deferred modules."""
    modules = imported_after("import qom_py")
    assert sorted(set(DEFERRED) & modules) == []


def test_builtin_types_after_import() -> None:
    """``object_class_by_name("iothread")`` works right after import, still without asyncio."""
    code = (
        "import qom_py\n"
        "assert qom_py.object_class_by_name('iothread').type_name == 'iothread'\n"
        "assert qom_py.object_class_by_name('main-loop') is not None\n"
        "assert qom_py.object_class_by_name('chardev-socket') is not None\n"
    )
    modules = imported_after(code)
    assert "qom_py.loop._iothread" in modules
    assert {"asyncio", "qom_py.loop._aio_context", "qom_py.qmp"} & modules == set()


def test_daemon_modules_defer() -> None:
    """The daemon's modules (CLI, QMP, the schema) leave pathlib and importlib.resources alone."""
    code = "import qom_py.daemon.cli, qom_py.qmp\nfrom qom_py.qom._object_schema import object_schema\nobject_schema()"
    imported_after(code)  # the first run may fill the schema cache
    modules = imported_after(code)
    assert {"pathlib", "importlib.resources", "importlib.metadata", "decimal", "ipaddress"} & modules == set()
    # A schema from the cache needs neither the schema reader nor the definition checks.
    assert {"qom_py.qapi._parser", "qom_py.qapi._expr"} & modules == set()


#: The schema model and what only it needs: a daemon's checks work from the cached check table.
MODEL = ["pickle", "qom_py.qapi._entities", "qom_py.qapi._expr", "qom_py.qapi._parser", "qom_py.qapi._schema"]

#: The daemon's start-up work in-process: two objects (as ``--object``), then a QMP argument check.
DAEMON_CHECKS = """\
import qom_py, qom_py.daemon.cli, qom_py.qmp
from qom_py.qom._user_creatable import object_option_parse
object_option_parse("main-loop,id=ml,thread-pool-min=1")
qom_py.object_add("iothread", id="io0", poll_max_ns=5)
dispatcher = qom_py.qmp.Dispatcher()
qom_py.qmp.register_qom_commands(dispatcher)
command = dispatcher.get_command("qom-get")
assert dispatcher.check_arguments(command, {"path": "/objects/io0", "property": "poll-max-ns"})
try:
    dispatcher.check_arguments(command, {"path": "/objects/io0"})
except qom_py.QOMError as exc:
    assert str(exc) == "Parameter 'property' is missing", exc
else:
    raise AssertionError("no error")
"""


#: What else a daemon's start-up leaves alone: users' command specs, the in-process client,
#: structured properties, the pool statistics record (each an attrs class to build).
RARELY_NEEDED = [
    "qom_py.qom._qapi_property",
    "qom_py.loop._pool_statistics",
    "qom_py.qmp._inprocess",
    "qom_py.qmp._specs",
]


def test_daemon_checks_need_no_model() -> None:
    """With a warm cache, ``--object`` options and QMP arguments are checked without the schema model."""
    imported_after(DAEMON_CHECKS)  # the first run may fill the cache
    assert sorted(set(MODEL + RARELY_NEEDED) & imported_after(DAEMON_CHECKS)) == []


def test_object_help_defers() -> None:
    """``qom-py --object help`` and ``TYPE,help`` need no asyncio, QMP or importlib.metadata."""
    for request in ("help", "iothread,help"):
        code = f"from qom_py.daemon.cli import main\nassert main(['--object', {request!r}]) == 0"
        modules = imported_after(code)
        assert {"asyncio", "qom_py.qmp", "qom_py.loop._aio_context", "importlib.metadata"} & modules == set()
    # The list of types needs no schema engine: it is the registry's.
    modules = imported_after("from qom_py.daemon.cli import main\nassert main(['--object', 'help']) == 0")
    assert {
        "qom_py.qapi._entities",
        "qom_py.qapi._schema",
        "qom_py.qom._object_schema",
        "qom_py.qapi._json_streamer",
    } & modules == set()


def test_lazy_public_names() -> None:
    """The deferred public names resolve, to the defining modules' objects."""
    from qom_py.loop import _aio_context
    from qom_py.qom import _user_creatable

    assert qom_py.object_add is _user_creatable.object_add
    assert qom_py.main_aio_context is _aio_context.main_aio_context
    assert qom_py.TYPE_IOTHREAD == qom_py.loop.TYPE_IOTHREAD
    assert qom_py.TYPE_MAIN_LOOP == qom_py.loop.TYPE_MAIN_LOOP
    assert qom_py.TYPE_EVENT_LOOP_BASE == qom_py.loop.TYPE_EVENT_LOOP_BASE
    assert qom_py.TYPE_USER_CREATABLE == _user_creatable.TYPE_USER_CREATABLE
    assert qom_py.loop.ThreadPool is qom_py.loop._thread_pool.ThreadPool
    with pytest.raises(AttributeError, match="module 'qom_py.loop' has no attribute 'nope'"):
        qom_py.loop.nope  # noqa: B018 - the point of the test


def test_builtin_type_names_include_lazy_ones() -> None:
    """`qom_py.testing.builtin_type_names` counts the lazily registered built-ins."""
    assert {"iothread", "main-loop", "event-loop-base", "user-creatable", "chardev"} <= (
        qom_py.testing.builtin_type_names()
    )


# -- TypeRegistry.register_lazy ---------------------------------------------------------------

PROVIDER = """
from qom_py import TypeInfo
import {registry_module} as holder
holder.REGISTRY.register(TypeInfo("lazy-a"))
holder.REGISTRY.register(TypeInfo("lazy-b", parent="lazy-a"))
"""


@pytest.fixture
def lazy_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TypeRegistry:
    """A fresh registry promised ``lazy-a`` and ``lazy-b`` by a module not yet imported."""
    registry = TypeRegistry()
    holder = tmp_path / "lazy_holder.py"
    holder.write_text("REGISTRY = None\n")
    (tmp_path / "lazy_provider.py").write_text(PROVIDER.format(registry_module="lazy_holder"))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_holder", "lazy_provider"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import lazy_holder  # type: ignore[import-not-found]

    lazy_holder.REGISTRY = registry
    registry.register_lazy("lazy_provider", ["lazy-a", "lazy-b"])
    return registry


def test_lazy_lookup_imports(lazy_registry: TypeRegistry) -> None:
    """A lookup of a promised name imports its module; nothing is imported before."""
    assert "lazy_provider" not in sys.modules
    assert "lazy-a" in lazy_registry.type_names(load=False)
    assert "lazy_provider" not in sys.modules
    klass = lazy_registry.class_by_name("lazy-b")
    assert klass is not None
    assert klass.parent_class is not None and klass.parent_class.type_name == "lazy-a"
    assert "lazy_provider" in sys.modules


@pytest.mark.parametrize("how", ["type_names", "type_info", "class_get_list"])
def test_listing_imports(lazy_registry: TypeRegistry, how: str) -> None:
    """Listing the types (or reading a promised declaration) imports the promised modules."""
    if how == "type_names":
        assert "lazy-b" in lazy_registry.type_names()
    elif how == "type_info":
        info = lazy_registry.type_info("lazy-a")
        assert info is not None and info.name == "lazy-a"
    else:
        assert "lazy-b" in [k.type_name for k in lazy_registry.class_get_list()]
    assert "lazy_provider" in sys.modules


def test_unknown_name_imports_nothing(lazy_registry: TypeRegistry) -> None:
    """A name nobody promised is unknown at once, without importing the promised modules."""
    assert lazy_registry.class_by_name("nonesuch") is None
    assert "lazy_provider" not in sys.modules


def test_registering_a_promised_name_elsewhere(lazy_registry: TypeRegistry) -> None:
    """Someone else registering a promised name gets the duplicate error eager import would give."""
    with pytest.raises(TypeRegistrationError, match="Registering `lazy-a' which already exists"):
        lazy_registry.register(TypeInfo("lazy-a"))
    assert "lazy_provider" in sys.modules


def test_unregister_promised(lazy_registry: TypeRegistry) -> None:
    """Unregistering a promised name loads the promise first, so it stays away."""
    lazy_registry.unregister("lazy-a")
    assert "lazy-a" not in lazy_registry.type_names()
    assert "lazy-b" in lazy_registry.type_names()


# -- the entry-point scan -----------------------------------------------------------------------


def dist(where: Path, name: str, entry_points: str | None) -> None:
    info = where / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_scan_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Distributions without the group (or without entry points) mean: skip importlib.metadata."""
    dist(tmp_path, "plain", None)
    dist(tmp_path, "other", "[console_scripts]\nx = y:z\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "missing")])
    assert group_may_be_declared() is False


def test_scan_finds_the_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution declaring the group is found, in a dist-info or an egg."""
    dist(tmp_path, "gadgets", f"[{ENTRY_POINT_GROUP}]\ng = gadgets\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert group_may_be_declared() is True
    egg = tmp_path / "egg"
    (egg / "old.egg" / "EGG-INFO").mkdir(parents=True)
    (egg / "old.egg" / "EGG-INFO" / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ng = old\n")
    monkeypatch.setattr(sys, "path", [str(egg)])
    assert group_may_be_declared() is True


def test_scan_defers_to_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip on the path, or another finder that lists distributions: importlib.metadata decides."""
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert group_may_be_declared() is True

    class Finder:
        @staticmethod
        def find_distributions(*args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert group_may_be_declared() is True


# -- the collector paused during start-up (qom_py._gc_pause) ------------------------------


def test_gc_pause_restores_the_collector() -> None:
    """The pause disables the collector for the block only, also when the block raises."""
    import gc

    from qom_py._gc_pause import GCPause

    assert gc.isenabled()
    with GCPause():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), GCPause():
        raise KeyError("x")
    assert gc.isenabled()
    with GCPause() as pause:
        pause.resume()
        assert gc.isenabled()
        pause.resume()  # a second resume changes nothing
    assert gc.isenabled()


def test_gc_pause_resume_can_freeze() -> None:
    """``resume(freeze=True)`` moves what exists to the permanent generation, then enables the collector."""
    import gc

    from qom_py._gc_pause import GCPause

    assert gc.get_freeze_count() == 0
    try:
        with GCPause() as pause:
            pause.resume(freeze=True)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_gc_pause_ages_what_it_made() -> None:
    """Resumed, the pause's objects sit in the oldest generation: no young collection scans them all."""
    import gc

    from qom_py._gc_pause import GCPause

    with GCPause():
        made = [[] for _ in range(20_000)]
        assert gc.get_count()[0] >= 20_000
    young, _, _ = gc.get_count()
    assert young < 1000, gc.get_count()
    assert gc.get_freeze_count() == 0
    assert any(made is obj for obj in gc.get_objects(generation=2))
    del made


def test_gc_pause_keeps_the_applications_freeze() -> None:
    """Objects the application froze stay frozen through a pause."""
    import gc

    from qom_py._gc_pause import GCPause

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with GCPause():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_gc_pause_leaves_a_disabled_collector_alone() -> None:
    """An application that disabled the collector finds it still disabled afterwards."""
    import gc

    from qom_py._gc_pause import GCPause

    gc.disable()
    try:
        with GCPause() as pause:
            pause.resume()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_import_and_cli_leave_the_collector_enabled() -> None:
    """``import qom_py`` and a CLI run (help, an error) end with the collector as they found it."""
    code = (
        "import gc, qom_py\n"
        "assert gc.isenabled()\n"
        "from qom_py.daemon.cli import main\n"
        "assert main(['--object', 'help']) == 0 and gc.isenabled()\n"
        "assert main(['--object', 'iothread,id=1bad']) == 1 and gc.isenabled()\n"
        "assert main(['--version']) == 0 and gc.isenabled()\n"
    )
    imported_after(code)  # raises if an assertion failed (check=True)


def test_daemon_resumes_the_collector_once_ready(tmp_path: Path) -> None:
    """The collector is paused during the daemon's start-up only: serving, it runs."""
    sock = tmp_path / "m.sock"
    code = f"""\
import gc, json, os, socket, threading, time
from qom_py.daemon.cli import main
seen = []
def client():
    deadline = time.monotonic() + 10
    while not os.path.exists({str(sock)!r}):
        assert time.monotonic() < deadline, "no socket"
        time.sleep(0.005)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect({str(sock)!r})
        f = s.makefile("rw")
        f.readline()  # the greeting: start-up is over
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        for cmd in ("qmp_capabilities", "quit"):
            f.write(json.dumps({{"execute": cmd}}) + "\\n")
            f.flush()
            f.readline()
thread = threading.Thread(target=client)
thread.start()
assert main(["--object", "iothread,id=io0", "--qmp", "unix:{sock}"]) == 0
thread.join(10)
assert seen == [(True, True)], seen
"""
    imported_after(code)
