"""The on-disk cache of the shipped schema's check table (`qom_py.qapi._loader`): hit, invalidation, failures."""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import qom_py._version
from qom_py.qapi import QAPISchema, _loader, check_table
from qom_py.qapi._table import CheckTable
from tests.qapi.cache_helpers import clear_memo, load_fresh

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of schemas/ as the shipped folder, a private cache folder, no memo."""
    folder = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    monkeypatch.setattr(_loader, "schema_files", lambda: folder)
    monkeypatch.setattr(_loader, "_plain_folder", lambda: None)  # found through schema_files
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(tmp_path / "cache"))
    clear_memo()
    yield folder
    clear_memo()  # later tests get the real shipped schema back


def parsed_table() -> CheckTable:
    """The table derived from a fresh parse of the shipped files (no cache)."""
    return check_table(QAPISchema.from_file(_loader.ROOT_SCHEMA, _loader._read_shipped))


def table_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "schema-qom-py.table.json"


def test_hit(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run derives and stores the table; the next reads the file and loads no model."""
    reference = parsed_table()
    parses.clear()
    assert load_fresh() == reference
    assert parses == ["qom-py.json"]
    assert sorted(p.name for p in table_file(tmp_path).parent.iterdir()) == [table_file(tmp_path).name, "secret"]

    def no_model(root: str) -> QAPISchema:
        raise AssertionError("the cached table needs no schema model")

    clear_memo()
    monkeypatch.setattr(_loader, "_shipped", no_model)
    assert _loader.load_table() == reference
    monkeypatch.undo()  # before the fixture clears the memo


def test_file_is_signed_json(schemas: Path, tmp_path: Path) -> None:
    """The file: the keyed BLAKE2b-256 of the rest under the folder's secret, the key, the table as JSON."""
    import hashlib
    import json

    table = load_fresh()
    mac, key, text = table_file(tmp_path).read_bytes().split(b"\n", 2)
    secret = (tmp_path / "cache" / "secret").read_bytes()
    assert len(secret) == 32
    assert mac == hashlib.blake2b(key + b"\n" + text, key=secret, digest_size=32).hexdigest().encode()
    assert key == _loader._cache_key(_loader.ROOT_SCHEMA)
    assert json.loads(text) == json.loads(json.dumps(table))


def test_no_pickle_or_marshal() -> None:
    """No module of qom_py imports pickle or marshal (they can run or build code from a file)."""
    offenders = []
    for path in (ROOT / "qom_py").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in {"pickle", "marshal", "shelve"}]
    assert offenders == []


def test_model_is_parsed_each_process(schemas: Path, parses: list[str], tmp_path: Path) -> None:
    """The schema model is not cached (it was a pickle): `load_schema` parses once per process."""
    first = _loader.load_schema()
    second = _loader.load_schema()
    assert parses == ["qom-py.json"]
    assert [e.name for e in second] == [e.name for e in first]
    clear_memo()
    _loader.load_schema()
    assert len(parses) == 2
    assert not (tmp_path / "cache").exists()


def test_schema_change_invalidates(schemas: Path, parses: list[str]) -> None:
    """Editing a schema file (size or time) makes the next run derive the table again, and see the edit."""
    load_fresh()
    qom = schemas / "qom.json"
    qom.write_text(qom.read_text() + "\n##\n# @CacheProbe:\n##\n{ 'struct': 'CacheProbe', 'data': {} }\n")
    assert "CacheProbe" in load_fresh()["types"]
    assert len(parses) == 2
    assert "CacheProbe" in load_fresh()["types"]
    assert len(parses) == 2  # and that result is cached in turn


def test_touch_invalidates(schemas: Path, parses: list[str]) -> None:
    """Only the modification time changed: derived again (as Python's bytecode cache does)."""
    load_fresh()
    stat = (schemas / "misc.json").stat()
    os.utime(schemas / "misc.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    load_fresh()
    assert len(parses) == 2


def test_version_change_invalidates(schemas: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Another qom_py version does not use this version's cache."""
    load_fresh()
    monkeypatch.setattr(qom_py._version, "__version__", "99.0.0")
    load_fresh()
    assert len(parses) == 2


def test_key_stats_the_table_modules() -> None:
    """The key names the modules that read the schema and derive the table by their files, without importing them."""
    import json

    key = _loader._cache_key(_loader.ROOT_SCHEMA)
    assert key is not None
    modules = dict(json.loads(key)[-1])
    assert set(modules) == {f"qom_py.{m}" for m in _loader._KEY_MODULES}
    from qom_py.qapi import _entities

    assert modules["qom_py.qapi._entities"] == Path(_entities.__file__).stat().st_mtime_ns
    assert {"qom_py.qapi._parser", "qom_py.qapi._table", "qom_py.qapi._table_json"} <= set(modules)


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"0" * 64 + b"\n", b"\x80\x05\x95", b"key-then-nothing", b"half"],
    ids=["empty", "garbage", "mac-only", "pickle-header", "key-then-nothing", "truncated"],
)
def test_corrupt_file(schemas: Path, parses: list[str], tmp_path: Path, content: bytes) -> None:
    """A corrupt or truncated table file is ignored and replaced by a good one."""
    reference = load_fresh()
    good = table_file(tmp_path).read_bytes()
    if content == b"key-then-nothing":
        content = good[: good.index(b"\n", 65) + 1]
    elif content == b"half":
        content = good[: len(good) // 2]
    table_file(tmp_path).write_bytes(content)
    assert load_fresh() == reference
    assert len(parses) == 2
    assert table_file(tmp_path).read_bytes() == good  # rewritten (same secret, same key)
    load_fresh()
    assert len(parses) == 2


def test_unwritable_dir(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder that cannot be created is no error: the table is derived every time."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(blocker / "cache"))  # a folder under a file: ENOTDIR
    reference = load_fresh()
    assert load_fresh() == reference
    assert len(parses) == 2


def test_failing_write(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing write (read-only folder, full disk) is no error and leaves no temporary file."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)  # the module's os: the one os
    assert load_fresh() == parsed_table()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["secret"]  # linked into place, not replaced


def test_disabled(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty ``QOM_PY_CACHE_DIR`` turns the cache off."""
    monkeypatch.setenv("QOM_PY_CACHE_DIR", "")
    assert _loader.cache_dir() is None
    load_fresh()
    load_fresh()
    assert len(parses) == 2
    assert not (tmp_path / "cache").exists()


def test_default_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without ``QOM_PY_CACHE_DIR``: ``$XDG_CACHE_HOME/qom-py``, else ``~/.cache/qom-py``."""
    monkeypatch.delenv("QOM_PY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _loader.cache_dir() == tmp_path / "qom-py"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _loader.cache_dir() == tmp_path / "home" / ".cache" / "qom-py"


def test_plain_folder_is_schema_files() -> None:
    """The loader's quick look-up (no importlib.resources) finds the folder `schema_files` gives."""
    plain = _loader._plain_folder()
    assert plain is not None
    assert Path(plain).resolve() == Path(str(_loader.schema_files())).resolve()
