"""
The schema files qom_py ships (``schemas/``, installed as the ``qom_py.schemas`` package).

`load_schema` reads ``qom-py.json``, the root that includes the others, once
per process and hands out copies (entities are shared: they are frozen); the
parse and checks take 5-9 ms, paid only by what needs the model.  `load_table`
gives the schema's check table (`qom_py.qapi._table`), what a daemon's checks
need, cached across runs as Python caches bytecode, so that a daemon loads
neither the schema model (whose 15 attrs classes alone take ~20 ms to import)
nor its reader.  The cache trusts nothing it has not checked:

* where: ``$QOM_PY_CACHE_DIR`` if set (empty: no cache), else
  ``$XDG_CACHE_HOME/qom-py`` or ``~/.cache/qom-py`` -- the user's own cache, not
  the package folder, which is often read-only or shared between users;
* whose: the folder is used only if it is a directory (not a symlink) owned by
  the effective uid and not group/other-writable, a file in it only if it is a
  regular file (no symlink, FIFO, device) with that owner and mode, of bounded
  size, opened non-blocking (`qom_py._private_files`); folders made ``0o700``,
  files ``0o600``, whatever the umask;
* what: JSON data (`qom_py.qapi._table_json`), never pickle or marshal: reading
  it cannot run code; the table is validated (shape, every type it names
  defined) before use;
* bound: the file carries a keyed BLAKE2b MAC of its key and table under a random
  secret (``secret``, ``0o600``, in the folder), so that only a process that
  could read the secret wrote it; the key is qom_py's version, the Python
  version, and the size and modification time of every schema file and of the
  modules that derive the table (a source checkout's edits count too);
* written to a temporary file in the same folder, then renamed over the old one
  (concurrent writers: the last rename wins, a reader sees a whole file);
* best effort: an unusable folder or file, a stale, forged, corrupt or
  truncated one -- the table is derived as if there were no cache (and
  rewritten where the folder can be trusted), and no error is raised.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Final

from .._private_files import create_file, open_folder, read_file, replace_file

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
_CACHE_FORMAT: Final = 4

#: The largest table file read (the shipped table's is ~7 KiB).
_TABLE_LIMIT: Final = 1 << 20

#: The secret that signs the folder's tables, and its size.
_SECRET: Final = "secret"
_SECRET_SIZE: Final = 32


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


#: The modules the table depends on (they read the schema and derive it), under ``qom_py/``.
_KEY_MODULES: Final = (
    "_util.names",
    "qapi._builtin_types",
    "qapi._doc",
    "qapi._entities",
    "qapi._expr",
    "qapi._parser",
    "qapi._pragma",
    "qapi._schema",
    "qapi._source",
    "qapi._table",
    "qapi._table_json",
)


def _cache_key(root: str) -> bytes | None:
    """What the cached table depends on, as one line of JSON; None if the files are not plain files (no cache)."""
    import json  # imported by qom_py's JSON reader anyway

    from .._version import __version__

    folder = _folder()
    if not isinstance(folder, str):
        return None  # inside a zip, say: not worth caching
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
        stats = [(n, (st := os.stat(os.path.join(folder, n))).st_size, st.st_mtime_ns) for n in names]
        # Stat the modules' files: importing them would cost what the table saves.
        modules = [
            (f"qom_py.{m}", os.stat(os.path.join(_PACKAGE_DIR, *m.split(".")) + ".py").st_mtime_ns)
            for m in _KEY_MODULES
        ]
    except OSError:
        return None
    key = (_CACHE_FORMAT, __version__, sys.version, root, stats, modules)
    return json.dumps(key, separators=(",", ":")).encode()


def _table_name(root: str) -> str:
    """The cache file of *root*'s table."""
    return f"schema-{os.path.splitext(os.path.basename(root))[0]}.table.json"


def _mac(secret: bytes, body: bytes) -> bytes:
    """
    The signature of *body* under *secret*: keyed BLAKE2b-256 (a MAC by design, RFC 7693), in hex.

    Taken from ``_blake2``, the module `hashlib` itself serves BLAKE2 from:
    `hashlib` and `hmac` import OpenSSL's ``_hashlib`` first (~1.5 ms of every daemon start).
    """
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter without CPython's private module
        from hashlib import blake2b
    return blake2b(body, key=secret, digest_size=32).hexdigest().encode()


def _same(a: bytes, b: bytes) -> bool:
    """*a* == *b* in time independent of where they differ (`hmac.compare_digest`, without OpenSSL's import)."""
    try:
        from _operator import _compare_digest as compare
    except ImportError:
        from hmac import compare_digest as compare  # type: ignore[no-redef]  # the same function
    return compare(a, b)


def _secret(folder: int, *, create: bool) -> bytes | None:
    """The folder's secret; with *create*, a new one if it has none (or a broken one)."""
    secret = _read_secret(folder)
    if secret is not None or not create:
        return secret
    new = os.urandom(_SECRET_SIZE)
    if create_file(folder, _SECRET, new):  # atomic, exclusive: a reader never sees half a secret
        return new
    secret = _read_secret(folder)  # made meanwhile by another process
    if secret is not None:
        return secret
    replace_file(folder, _SECRET, new)  # not a usable secret: what was signed with it is void
    return new


def _read_secret(folder: int) -> bytes | None:
    secret = read_file(folder, _SECRET, _SECRET_SIZE)
    return secret if secret is not None and len(secret) == _SECRET_SIZE else None


def _load_cached_table(root: str, key: bytes) -> CheckTable | None:
    """The table of *root* stored by `_store_cached_table` under *key*, if every check passes; else None."""
    path = _cache_folder()
    folder = None if path is None else open_folder(path, create=False)
    if folder is None:
        return None
    try:
        data = read_file(folder, _table_name(root), _TABLE_LIMIT)
        secret = None if data is None else _secret(folder, create=False)
    finally:
        os.close(folder)
    if data is None or secret is None:
        return None
    mac, _, body = data.partition(b"\n")
    stored_key, _, text = body.partition(b"\n")
    if not _same(mac, _mac(secret, body)) or stored_key != key:
        return None  # written by someone without the secret, or stale
    from ._table_json import table_from_json

    return table_from_json(text)


def _store_cached_table(root: str, key: bytes, table: CheckTable) -> None:
    """Store *table* under *key*, signed, atomically; never raise."""
    path = _cache_folder()
    folder = None if path is None else open_folder(path, create=True)
    if folder is None:
        return
    try:
        from ._table_json import table_to_json

        secret = _secret(folder, create=True)
        if secret is not None:
            body = key + b"\n" + table_to_json(table)
            replace_file(folder, _table_name(root), _mac(secret, body) + b"\n" + body)
    except Exception:  # noqa: BLE001, S110 - a cache: never an error (read-only folder, full disk, ...)
        pass
    finally:
        os.close(folder)


@functools.cache
def _shipped(root: str) -> QAPISchema:
    from ._schema import QAPISchema

    return QAPISchema.from_file(root, _read_shipped)


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
    key = _cache_key(root) if _cache_folder() is not None else None
    if key is not None:
        table = _load_cached_table(root, key)
        if table is not None:
            return table
    from ._table import check_table

    table = check_table(_shipped(root))
    if key is not None:
        _store_cached_table(root, key, table)
    return table


def load_schema(root: str = ROOT_SCHEMA) -> QAPISchema:
    """
    Return the schema of the shipped file *root* (and its includes), as a fresh copy.

    The files are read and checked once per process; each call returns a
    `QAPISchema.copy`, which the caller may extend.

    Raises:
        OSError: *root* is not a shipped file.
        QAPISchemaError: a shipped file is malformed (a packaging bug).
    """
    return _shipped(root).copy()
