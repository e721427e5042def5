"""
The schema files qom_py ships (``schemas/``, installed as the ``qom_py.schemas`` package).

`load_schema` reads ``qom-py.json``, the root that includes the others, once
per process and hands out copies (entities are shared: they are frozen).  The
parse and checks take 5-9 ms; the built `QAPISchema` is cached across runs as a
pickle (loaded in ~1 ms), as Python caches bytecode.  `load_table` gives the
schema's check table (`qom_py.qapi._table`), cached beside it with `marshal`:
what a daemon's checks need, loaded without pickle or the entity model (whose
15 attrs classes alone take ~20 ms to import).  Both files follow one set of rules:

* where: ``$QOM_PY_CACHE_DIR`` if set (empty: no cache), else
  ``$XDG_CACHE_HOME/qom-py`` or ``~/.cache/qom-py`` -- the user's own cache, not
  the package folder, which is often read-only or shared between users;
* valid while the key matches (one key for both files): qom_py's version, the
  Python version, and the size and modification time of every schema file and
  of the modules whose classes are pickled or that derive the table (a source
  checkout's edits count too);
* written to a temporary file in the same folder, then renamed over the old one
  (concurrent writers: the last rename wins, a reader sees a whole file);
* best effort: an unwritable or missing folder, a corrupt, truncated or stale
  file -- the schema is parsed (the table derived) as if there were no cache,
  and no error is raised.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable
    from pathlib import Path

    from ._schema import QAPISchema
    from ._table import CheckTable

__all__ = ["ROOT_SCHEMA", "cache_dir", "load_schema", "load_table", "schema_files"]

#: The root schema file: it includes every other file of ``schemas/``.
ROOT_SCHEMA: Final = "qom-py.json"


def schema_files() -> Traversable:
    """The folder of the shipped schema files (``qom_py.schemas``, or ``schemas/`` of a source tree)."""
    import importlib.resources
    from pathlib import Path

    try:
        return importlib.resources.files("qom_py.schemas")
    except ModuleNotFoundError:  # running from a source checkout, not an installed wheel
        return Path(__file__).resolve().parent.parent.parent / "schemas"


#: The ``qom_py`` package folder.
_PACKAGE_DIR: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _plain_folder() -> str | None:
    """
    `schema_files` as a plain directory, found with `os.path` alone; None if it is not one.

    Installed: ``qom_py/schemas/``; a source checkout: ``schemas/`` beside ``qom_py/``.
    importlib.resources, and pathlib which it imports, cost a few milliseconds of
    every daemon start; they are left to `schema_files`, for a zipped install.
    """
    parent = os.path.dirname(_PACKAGE_DIR)
    folders = [os.path.join(_PACKAGE_DIR, "schemas")]
    if os.path.exists(os.path.join(parent, "pyproject.toml")):  # a source checkout
        folders.append(os.path.join(parent, "schemas"))
    return next((f for f in folders if os.path.isfile(os.path.join(f, ROOT_SCHEMA))), None)


def _folder() -> str | Traversable:
    """The shipped folder: a plain directory's path if it is one, else `schema_files`."""
    plain = _plain_folder()
    if plain is not None:
        return plain
    found = schema_files()
    from pathlib import Path  # imported by importlib.resources anyway

    return str(found) if isinstance(found, Path) else found


def _read_shipped(name: str) -> str:
    folder = _folder()
    try:
        if isinstance(folder, str):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                return f.read()
        return folder.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise FileNotFoundError(err.errno, "No such file or directory", name) from None


#: Bumped when the cache file's layout changes.
_CACHE_FORMAT: Final = 2


def cache_dir() -> Path | None:
    """The folder of the schema cache (see the module docstring); None when disabled."""
    from pathlib import Path

    folder = _cache_folder()
    return None if folder is None else Path(folder)


def _cache_folder() -> str | None:
    """`cache_dir` as a string (without pathlib)."""
    explicit = os.environ.get("QOM_PY_CACHE_DIR")
    if explicit is not None:
        return explicit or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "qom-py")


#: The modules the cached files depend on: the pickled classes' and the table's.
_KEY_MODULES: Final = ("_doc", "_entities", "_pragma", "_schema", "_source", "_table")


def _cache_key(root: str) -> tuple[Any, ...] | None:
    """What the cached files depend on; None if the files are not plain files (no cache)."""
    from .._version import __version__

    folder = _folder()
    if not isinstance(folder, str):
        return None  # inside a zip, say: not worth caching
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        stats = [(n, (st := os.stat(os.path.join(folder, n))).st_size, st.st_mtime_ns) for n in names]
        # Stat the modules' files: importing them would cost what the table saves.
        modules = [(f"{__package__}.{m}", os.stat(os.path.join(here, m + ".py")).st_mtime_ns) for m in _KEY_MODULES]
    except OSError:
        return None
    return (_CACHE_FORMAT, __version__, sys.version, root, stats, modules)


def _cache_path(root: str, suffix: str) -> str | None:
    """The cache file of *root*'s schema (``.pickle``) or table (``.table``); None when disabled."""
    folder = _cache_folder()
    if folder is None:
        return None
    return os.path.join(folder, f"schema-{os.path.splitext(os.path.basename(root))[0]}{suffix}")


def _load_cached(path: str, key: tuple[Any, ...], load: Callable[[IO[bytes]], Any]) -> Any:
    """The value stored in *path* under *key* by `_store_cached`, or None."""
    try:
        with open(path, "rb") as f:
            if load(f) != key:  # the key first: a stale file is not read further
                return None
            return load(f)
    except Exception:  # noqa: BLE001 - missing, unreadable, corrupt, truncated: rebuild instead
        return None


def _store_cached(path: str, key: tuple[Any, ...], value: object, dump: Callable[[object, IO[bytes]], None]) -> None:
    """Write *key*, then *value*, to *path* atomically; never raise."""
    try:
        import tempfile  # a few ms of imports (shutil, random): only when the cache is written

        folder, name = os.path.split(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=name + ".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                dump(key, f)
                dump(value, f)
            os.replace(tmp, path)  # atomic: readers see the old file or the new one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except Exception:  # noqa: BLE001, S110 - a cache: never an error (read-only home, full disk, ...)
        pass


def _pickle_load(f: IO[bytes]) -> Any:
    import pickle  # the schema model's cache only: a daemon's checks need the table alone

    return pickle.load(f)


def _pickle_dump(value: object, f: IO[bytes]) -> None:
    import pickle

    pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)


def _marshal_dump(value: Any, f: IO[bytes]) -> None:
    marshal.dump(value, f)


@functools.cache
def _shipped(root: str) -> QAPISchema:
    from ._schema import QAPISchema

    path = _cache_path(root, ".pickle")
    key = _cache_key(root) if path is not None else None
    # Without the doc comments: serving needs none, and they would triple the pickle.
    if path is None or key is None:
        return QAPISchema.from_file(root, _read_shipped).without_docs()
    schema = _load_cached(path, key, _pickle_load)
    if not isinstance(schema, QAPISchema):
        schema = QAPISchema.from_file(root, _read_shipped).without_docs()
        _store_cached(path, key, schema, _pickle_dump)
    return schema


def _is_table(value: object) -> bool:
    """Whether *value* has a check table's shape (a file of another layout does not)."""
    return (
        type(value) is dict
        and value.keys() == {"types", "commands"}
        and type(value["types"]) is dict
        and type(value["commands"]) is dict
    )


@functools.cache
def load_table(root: str = ROOT_SCHEMA) -> CheckTable:
    """
    Return the check table of the shipped file *root*'s schema (`qom_py.qapi._table.check_table`).

    Loaded from the cache when it is valid, without the schema model; else
    derived from `load_schema`'s schema and stored.  Shared: do not modify it.

    Raises:
        OSError: *root* is not a shipped file.
        QAPISchemaError: a shipped file is malformed (a packaging bug).
    """
    path = _cache_path(root, ".table")
    key = _cache_key(root) if path is not None else None
    if path is not None and key is not None:
        table = _load_cached(path, key, marshal.load)
        if _is_table(table):
            return table  # type: ignore[no-any-return]  # shape checked
    from ._table import check_table

    table = check_table(_shipped(root))
    if path is not None and key is not None:
        _store_cached(path, key, table, _marshal_dump)
    return table


def load_schema(root: str = ROOT_SCHEMA) -> QAPISchema:
    """
    Return the schema of the shipped file *root* (and its includes), as a fresh copy.

    The files are read and checked once per process; each call returns a
    `QAPISchema.copy`, which the caller may extend.  The copy carries no doc
    comments (`QAPISchema.without_docs`); `QAPISchema.from_file` keeps them.

    Raises:
        OSError: *root* is not a shipped file.
        QAPISchemaError: a shipped file is malformed (a packaging bug).
    """
    return _shipped(root).copy()
