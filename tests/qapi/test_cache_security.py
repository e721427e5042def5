"""
The schema cache trusts nothing it has not checked (issue 22, items 1-3).

Planted files that would run code if unpickled or unmarshalled never do; a folder
or file someone else could write is not used; a FIFO neither hangs the library,
``qom-py --object help`` nor a daemon; a table that is inconsistent, or not signed
with the folder's secret, is rebuilt.  The tests that need another user run as
root and use ``nobody`` (uid 65534): a folder chowned to it, and a real process
with its uid (``setpriv``) trying to plant files.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qom_py.qapi import QAPISchema, _loader, check_table
from qom_py.qapi._table import CheckTable
from qom_py.qapi._table_json import table_to_json
from tests.daemon import TIMEOUT, child_env, run, running
from tests.qapi.cache_helpers import clear_memo, load_fresh

NOBODY: int = 65534
SETPRIV = shutil.which("setpriv")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: files owned by another user (nobody)")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache folder (not created yet) and no per-process memo."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(folder))
    clear_memo()
    yield folder
    clear_memo()


#: The real parse, bound now: `parses` counts the loader's calls only.
_FROM_FILE = QAPISchema.from_file


def reference() -> CheckTable:
    """The table derived from a fresh parse of the shipped files (no cache; not counted as a parse)."""
    return check_table(_FROM_FILE(_loader.ROOT_SCHEMA, _loader._read_shipped))


def table_path(folder: Path) -> Path:
    return folder / _loader._table_name(_loader.ROOT_SCHEMA)


def key() -> bytes:
    found = _loader._cache_key(_loader.ROOT_SCHEMA)
    assert found is not None
    return found


def signed(secret: bytes, table_json: bytes) -> bytes:
    """A table file as the loader writes it, signed with *secret*."""
    body = key() + b"\n" + table_json
    return _loader._mac(secret, body) + b"\n" + body


def wrong_but_consistent() -> CheckTable:
    """A table that passes every consistency check but is not the schema's (``quit`` takes arguments)."""
    table = reference()
    table["commands"]["quit"] = table["commands"]["qom-get"]
    return table


# -- planted code ------------------------------------------------------------------


class _Payload:
    """Unpickled, it creates the marker file (as a planted ``os.system`` would run a command)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


def payloads(marker: Path) -> dict[str, bytes]:
    """Files that run code (create *marker*) or crash if loaded with pickle or marshal."""
    import marshal

    evil_pickle = pickle.dumps(_Payload(marker))
    code = compile(f"open({str(marker)!r}, 'w')", "<planted>", "exec")
    return {
        "pickle": evil_pickle,
        "pickle-after-a-mac-line": b"0" * 64 + b"\n" + key() + b"\n" + evil_pickle,
        "marshal-code": marshal.dumps(code),
        "marshal-truncated": marshal.dumps(code)[:-7],
    }


LIBRARY_RUN = """\
import sys
from qom_py.qapi import load_schema, load_table, check_table
from qom_py.qom._user_creatable import object_option_parse
table = load_table()
assert table == check_table(load_schema()), "not the schema's table"
object_option_parse("iothread,id=io0,poll-max-ns=5")
print("ok", "pickle" in sys.modules)
"""


@pytest.mark.parametrize("kind", ["pickle", "pickle-after-a-mac-line", "marshal-code", "marshal-truncated"])
def test_planted_payload_never_runs(cache: Path, tmp_path: Path, kind: str) -> None:
    """A payload at every name the cache uses or used: not run, not crashing; the table is right, and rebuilt."""
    marker = tmp_path / "marker"
    payload = payloads(marker)[kind]
    cache.mkdir(mode=0o700)
    names = ["schema-qom-py.pickle", "schema-qom-py.table", table_path(cache).name, "secret"]
    for name in names:
        (cache / name).write_bytes(payload)
    env = child_env()
    for argv in ([sys.executable, "-c", LIBRARY_RUN], [sys.executable, "-m", "qom_py", "--print-schema"]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert not marker.exists(), f"planted code ran: {argv}"
    assert result.stdout.startswith("{")  # the JSON Schema
    again = subprocess.run([sys.executable, "-c", LIBRARY_RUN], env=env, capture_output=True, text=True, timeout=60)
    assert again.stdout.split() == ["ok", "False"]  # pickle is never even imported
    with running(["--object", "iothread,id=io0"]) as daemon, daemon.connect() as qmp:
        assert qmp.command("qom-get", path="/objects/io0", property="poll-max-ns") == 32768
    assert not marker.exists()
    assert table_path(cache).read_bytes() != payload  # replaced by a signed table


# -- who may write the folder --------------------------------------------------------


def test_happy_path_hits(cache: Path, parses: list[str]) -> None:
    """With a trusted folder the table is derived once, then read (the happy path still caches)."""
    assert load_fresh() == reference()
    parses.clear()
    assert load_fresh() == reference()
    assert parses == []
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in cache.iterdir()} == {
        table_path(cache).name: 0o600,
        "secret": 0o600,
    }


@pytest.mark.parametrize("mode", [0o720, 0o702, 0o777, 0o1777])
def test_writable_by_others_folder_refused(cache: Path, parses: list[str], mode: int) -> None:
    """A folder group or others can write is neither read nor written."""
    load_fresh()
    os.chmod(cache, mode)
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]  # not read
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before  # not written


@pytest.mark.parametrize("name", ["table", "secret"])
@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_writable_by_others_file_refused(cache: Path, parses: list[str], name: str, mode: int) -> None:
    """A table or secret file group or others can write is not used, and is replaced by a private one."""
    load_fresh()
    path = table_path(cache) if name == "table" else cache / "secret"
    os.chmod(path, mode)
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    parses.clear()
    load_fresh()
    assert parses == []


def test_symlinked_folder_refused(
    tmp_path: Path, cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``QOM_PY_CACHE_DIR`` a symlink (even to a good cache of ours): not used, nothing written through it."""
    load_fresh()
    link = tmp_path / "link"
    link.symlink_to(cache)
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(link))
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before


@pytest.mark.parametrize("name", ["table", "secret"])
def test_symlinked_file_refused(tmp_path: Path, cache: Path, parses: list[str], name: str) -> None:
    """A table or secret that is a symlink (to a good copy) is not followed, and is replaced by a file."""
    load_fresh()
    path = table_path(cache) if name == "table" else cache / "secret"
    elsewhere = tmp_path / "elsewhere"
    shutil.copy(path, elsewhere)
    os.chmod(elsewhere, 0o600)
    path.unlink()
    path.symlink_to(elsewhere)
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    assert not path.is_symlink()
    assert path.is_file()


def test_size_cap(cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A table file over the size limit is not read."""
    load_fresh()
    monkeypatch.setattr(_loader, "_TABLE_LIMIT", table_path(cache).stat().st_size - 1)
    parses.clear()
    load_fresh()
    assert parses == ["qom-py.json"]


UMASK_RUN = """\
import os, sys
os.umask(int(sys.argv[1], 8))
from qom_py.qapi import load_table
load_table()
"""


@pytest.mark.parametrize("umask", ["000", "277"])
def test_modes_whatever_the_umask(tmp_path: Path, umask: str) -> None:
    """Under umask 000 (or one removing the owner's bits) folders are 0o700, parents made too, files 0o600."""
    folder = tmp_path / "made" / "by" / "us"
    env = {**child_env(), "QOM_PY_CACHE_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", UMASK_RUN, umask], env=env, timeout=60, check=True)
    for made in (tmp_path / "made", tmp_path / "made" / "by", folder):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {
        table_path(folder).name: 0o600,
        "secret": 0o600,
    }


@needs_root
def test_folder_owned_by_another_user_refused(cache: Path, parses: list[str], caplog: pytest.LogCaptureFixture) -> None:
    """A good cache folder chowned to nobody is neither read nor written (a debug line says why)."""
    load_fresh()
    os.chown(cache, NOBODY, NOBODY)
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    parses.clear()
    with caplog.at_level("DEBUG", logger="qom_py"):
        assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before
    assert f"owner {NOBODY}" in caplog.text


@needs_root
@pytest.mark.parametrize("name", ["table", "secret"])
def test_file_owned_by_another_user_refused(cache: Path, parses: list[str], name: str) -> None:
    """A table or secret owned by nobody (in our folder) is not used, and is replaced by our own."""
    load_fresh()
    path = table_path(cache) if name == "table" else cache / "secret"
    os.chown(path, NOBODY, NOBODY)
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    assert path.stat().st_uid == os.geteuid()


# -- a real second user --------------------------------------------------------------

#: Run as nobody: try the actions argv[4] (comma-separated) on the folder argv[1], planting a
#: table signed with nobody's own secret; report how each went.  argv[2]: the table file's
#: name, argv[3]: the key (computable from world-readable files), stdin: the table.
ATTACKER = """\
import hashlib, json, os, sys
folder, name, key, actions = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4].split(",")
table = sys.stdin.buffer.read()
done = []
def attempt(what, action):
    try:
        action()
        done.append([what, "ok"])
    except OSError as err:
        done.append([what, err.strerror])
def plant():
    secret = b"s" * 32
    body = key + b"\\n" + table
    mac = hashlib.blake2b(body, key=secret, digest_size=32).hexdigest().encode()
    with open(os.path.join(folder, "secret"), "wb") as f:
        f.write(secret)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(mac + b"\\n" + body)
how = {
    "mkdir": lambda: os.mkdir(folder, 0o777),
    "chmod": lambda: os.chmod(folder, 0o777),
    "plant": plant,
    "move-aside": lambda: os.rename(folder, folder + ".old"),
}
for action in actions:
    attempt(action, how[action])
print(json.dumps(done))
"""


def as_nobody(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run *argv* as nobody (real and effective uid and gid 65534, no supplementary groups)."""
    assert SETPRIV is not None
    user = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run([*user, *argv], input=stdin, capture_output=True, timeout=60, check=False)


def attack(folder: Path, *actions: str) -> dict[str, str]:
    """Run `ATTACKER` as nobody on *folder*, planting `wrong_but_consistent`; how each action went."""
    argv = [sys.executable, "-I", "-S", "-c", ATTACKER, str(folder), table_path(folder).name, key().decode()]
    result = as_nobody(*argv, ",".join(actions), stdin=table_to_json(wrong_but_consistent()))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp (sticky, world-writable) that both users can reach."""
    base = Path(tempfile.mkdtemp(prefix="qp-shared-", dir="/tmp"))
    try:
        os.chmod(base, 0o1777)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


needs_setpriv = pytest.mark.skipif(
    os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv: runs a process as nobody"
)


@needs_setpriv
def test_second_user_precreated_folder(
    shared: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """nobody creates the victim's cache folder first and plants a correctly signed table: the victim refuses it."""
    folder = shared / "cache"
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(folder))
    clear_memo()
    try:
        assert attack(folder, "mkdir", "chmod", "plant") == {"mkdir": "ok", "chmod": "ok", "plant": "ok"}
        planted = table_path(folder).read_bytes()
        parses.clear()
        table = load_fresh()
        assert table == reference()
        assert table["commands"]["quit"] is None  # not the planted table's
        assert parses == ["qom-py.json"]
        assert table_path(folder).read_bytes() == planted  # nothing written into nobody's folder either
    finally:
        clear_memo()


@needs_setpriv
def test_second_user_cannot_plant_in_victims_folder(
    shared: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The victim's own folder (0o700): nobody can neither write into it nor move it aside; the victim's cache holds."""
    folder = shared / "cache"
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(folder))
    try:
        load_fresh()
        assert attack(folder, "mkdir", "chmod", "plant", "move-aside") == {
            "mkdir": "File exists",
            "chmod": "Operation not permitted",
            "plant": "Permission denied",
            "move-aside": "Operation not permitted",  # the sticky bit
        }
        parses.clear()
        assert load_fresh() == reference()
        assert parses == []  # still our cache
    finally:
        clear_memo()


@needs_setpriv
def test_second_user_replaces_folder_in_open_parent(
    shared: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    In a parent anyone can write (not sticky), nobody moves the victim's folder aside and puts
    its own, with a signed table, in its place: the victim refuses it (the owner check).
    """
    parent = shared / "open"
    parent.mkdir()
    os.chmod(parent, 0o777)
    folder = parent / "cache"
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(folder))
    try:
        load_fresh()
        os.chmod(folder, 0o755)  # let the attacker see that it exists; still ours alone to write
        moved = as_nobody("mv", str(folder), str(parent / "ours"))
        assert moved.returncode == 0, moved.stderr
        assert attack(folder, "mkdir", "chmod", "plant") == {"mkdir": "ok", "chmod": "ok", "plant": "ok"}
        parses.clear()
        table = load_fresh()
        assert table == reference() and table["commands"]["quit"] is None
        assert parses == ["qom-py.json"]
    finally:
        clear_memo()


# -- what the table says ------------------------------------------------------------


def test_inconsistent_signed_table_rebuilt(cache: Path, parses: list[str]) -> None:
    """A table signed with the folder's own secret but naming an undefined type (issue 22 item 2) is rebuilt."""
    load_fresh()
    bad: Any = json.loads(table_to_json(reference()))
    bad["commands"]["qmp_capabilities"] = "q_obj_NoSuchType-arg"
    table_path(cache).write_bytes(signed((cache / "secret").read_bytes(), json.dumps(bad).encode()))
    parses.clear()
    assert load_fresh() == reference()
    assert parses == ["qom-py.json"]
    parses.clear()
    assert load_fresh() == reference()
    assert parses == []  # rewritten


def test_inconsistent_signed_table_daemon(cache: Path) -> None:
    """The same planted table does not poison a daemon: ``qmp_capabilities`` works."""
    load_fresh()
    bad: Any = json.loads(table_to_json(reference()))
    bad["commands"]["qmp_capabilities"] = "q_obj_NoSuchType-arg"
    table_path(cache).write_bytes(signed((cache / "secret").read_bytes(), json.dumps(bad).encode()))
    with running(["--object", "iothread,id=io0"]) as daemon, daemon.connect(negotiate=False) as qmp:
        assert qmp.request("qmp_capabilities") == {"return": {}}


def test_table_signed_with_another_secret_refused(cache: Path, parses: list[str]) -> None:
    """A consistent table under the right key, signed with another secret (copied, forged): rebuilt."""
    load_fresh()
    table_path(cache).write_bytes(signed(os.urandom(32), table_to_json(wrong_but_consistent())))
    parses.clear()
    table = load_fresh()
    assert table == reference()
    assert table["commands"]["quit"] is None
    assert parses == ["qom-py.json"]


@pytest.mark.parametrize("content", [b"", b"short", b"x" * 33])
def test_broken_secret_replaced(cache: Path, parses: list[str], content: bytes) -> None:
    """A secret of the wrong size voids the table signed with it; a new secret is made."""
    load_fresh()
    (cache / "secret").write_bytes(content)
    parses.clear()
    load_fresh()
    assert parses == ["qom-py.json"]
    assert len((cache / "secret").read_bytes()) == 32
    parses.clear()
    load_fresh()
    assert parses == []


# -- FIFOs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("names", [("table",), ("secret",), ("table", "secret")], ids="+".join)
def test_fifo_does_not_hang_the_library(tmp_path: Path, names: tuple[str, ...]) -> None:
    """FIFOs at the cache's paths: `load_table` in a fresh process returns at once, and replaces them."""
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    paths = {"table": table_path(folder), "secret": folder / "secret"}
    for name in names:
        os.mkfifo(paths[name], 0o600)
    env = {**child_env(), "QOM_PY_CACHE_DIR": str(folder)}
    code = "from qom_py.qapi import load_table; load_table()"
    subprocess.run([sys.executable, "-c", code], env=env, timeout=TIMEOUT, check=True)
    for path in paths.values():
        assert stat.S_ISREG(path.lstat().st_mode), path
    table_fifo = folder / "x"
    os.mkfifo(table_fifo)  # a FIFO beside them changes nothing
    subprocess.run([sys.executable, "-c", code], env=env, timeout=TIMEOUT, check=True)


def _fifo_cache(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    os.mkfifo(table_path(folder), 0o600)
    os.mkfifo(folder / "secret", 0o600)


def test_fifo_does_not_hang_object_help(cache: Path) -> None:
    """``qom-py --object help`` with FIFOs in the cache: answers, within the timeout."""
    _fifo_cache(cache)
    finished = run(["--object", "help"], timeout=TIMEOUT)
    assert finished.returncode == 0, finished
    assert "iothread" in finished.stdout


def test_fifo_does_not_hang_the_daemon(cache: Path) -> None:
    """A daemon with an ``--object`` and FIFOs in the cache starts, serves, and SIGTERM ends it."""
    _fifo_cache(cache)
    with running(["--object", "iothread,id=io0"], check=False) as daemon:
        with daemon.connect() as qmp:
            assert qmp.command("qom-get", path="/objects/io0", property="poll-max-ns") == 32768
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.wait(TIMEOUT) == 0
        assert not os.path.exists(daemon.socket_path)
    assert stat.S_ISREG(table_path(cache).lstat().st_mode)  # replaced by the daemon's table
