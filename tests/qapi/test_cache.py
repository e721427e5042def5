"""The on-disk cache of the shipped schema (`qom_py.qapi._loader`): hit, invalidation, failures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import qom_py._version
from qom_py.qapi import QAPISchema, _loader

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of schemas/ as the shipped folder, a private cache folder, no memo."""
    folder = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    monkeypatch.setattr(_loader, "schema_files", lambda: folder)
    monkeypatch.setattr(_loader, "_plain_folder", lambda: None)  # found through schema_files
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(tmp_path / "cache"))
    _loader._shipped.cache_clear()
    yield folder
    _loader._shipped.cache_clear()  # later tests get the real shipped schema back


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The roots `QAPISchema.from_file` parsed (that is: cache misses)."""
    calls: list[str] = []
    real = QAPISchema.from_file.__func__  # type: ignore[attr-defined]

    def counting(cls: type[QAPISchema], file: str, *args: object) -> QAPISchema:
        calls.append(file)
        return real(cls, file, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(QAPISchema, "from_file", classmethod(counting))
    return calls


def load_fresh() -> QAPISchema:
    """`load_schema` as a new process would run it (the per-process memo cleared)."""
    _loader._shipped.cache_clear()
    return _loader.load_schema()


def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "schema-qom-py.pickle"


def test_hit(schemas: Path, parses: list[str], tmp_path: Path) -> None:
    """The first run parses and stores; the next reads the file and parses nothing."""
    first = load_fresh()
    assert parses == ["qom-py.json"]
    assert cache_file(tmp_path).is_file()
    second = load_fresh()
    assert parses == ["qom-py.json"]
    assert [e.name for e in second] == [e.name for e in first]
    assert second.files == first.files
    assert [p.name for p in cache_file(tmp_path).parent.iterdir()] == [cache_file(tmp_path).name]  # no temp files


def test_schema_change_invalidates(schemas: Path, parses: list[str]) -> None:
    """Editing a schema file (size or time) makes the next run parse it again, and see the edit."""
    load_fresh()
    qom = schemas / "qom.json"
    qom.write_text(qom.read_text() + "\n##\n# @CacheProbe:\n##\n{ 'struct': 'CacheProbe', 'data': {} }\n")
    schema = load_fresh()
    assert len(parses) == 2
    assert "CacheProbe" in schema
    load_fresh()
    assert len(parses) == 2  # and that result is cached in turn


def test_touch_invalidates(schemas: Path, parses: list[str]) -> None:
    """Only the modification time changed: parsed again (as Python's bytecode cache does)."""
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


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05\x95"], ids=["empty", "garbage", "truncated"])
def test_corrupt_file(schemas: Path, parses: list[str], tmp_path: Path, content: bytes) -> None:
    """A corrupt cache file is ignored and replaced by a good one."""
    reference = [e.name for e in load_fresh()]
    cache_file(tmp_path).write_bytes(content)
    assert [e.name for e in load_fresh()] == reference
    assert len(parses) == 2
    load_fresh()
    assert len(parses) == 2  # rewritten


def test_truncated_after_key(schemas: Path, parses: list[str], tmp_path: Path) -> None:
    """A file cut short after a valid key (a writer without rename would leave one) is ignored."""
    load_fresh()
    data = cache_file(tmp_path).read_bytes()
    cache_file(tmp_path).write_bytes(data[: len(data) // 2])
    assert "ObjectOptions" in load_fresh()
    assert len(parses) == 2


def test_unwritable_dir(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache folder that cannot be created is no error: the schema is parsed every time."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("QOM_PY_CACHE_DIR", str(blocker / "cache"))  # a folder under a file: ENOTDIR
    assert "ObjectOptions" in load_fresh()
    assert "ObjectOptions" in load_fresh()
    assert len(parses) == 2


def test_read_only_dir(schemas: Path, parses: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing write (read-only folder, full disk) is no error and leaves no temporary file."""
    (tmp_path / "cache").mkdir()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_loader.os, "replace", refuse)
    assert "ObjectOptions" in load_fresh()
    assert list((tmp_path / "cache").iterdir()) == []


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
