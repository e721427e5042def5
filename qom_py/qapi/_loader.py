"""
The schema files qom_py ships (``schemas/``, installed as the ``qom_py.schemas`` package).

`load_schema` reads ``qom-py.json``, the root that includes the others, once
per process and hands out copies (entities are shared: they are frozen).  The
parse and checks take a few milliseconds (see `tests/qapi/test_loader.py`);
a built `QAPISchema` pickles, so a later start-up cache can store it.
"""

from __future__ import annotations

import functools
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from ._schema import QAPISchema

__all__ = ["ROOT_SCHEMA", "load_schema", "schema_files"]

#: The root schema file: it includes every other file of ``schemas/``.
ROOT_SCHEMA: Final = "qom-py.json"


def schema_files() -> Traversable:
    """The folder of the shipped schema files (``qom_py.schemas``, or ``schemas/`` of a source tree)."""
    import importlib.resources

    try:
        return importlib.resources.files("qom_py.schemas")
    except ModuleNotFoundError:  # running from a source checkout, not an installed wheel
        return Path(__file__).resolve().parent.parent.parent / "schemas"


def _read_shipped(name: str) -> str:
    folder = schema_files()
    try:
        return folder.joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise FileNotFoundError(err.errno, "No such file or directory", name) from None


@functools.cache
def _shipped(root: str) -> QAPISchema:
    return QAPISchema.from_file(root, _read_shipped)


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
