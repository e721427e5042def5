"""What the schema-cache tests share: `load_table` as a new process runs it (the `parses` fixture is conftest.py's)."""

from __future__ import annotations

from qom_py.qapi import _loader
from qom_py.qapi._table import CheckTable


def clear_memo() -> None:
    _loader._shipped.cache_clear()
    _loader.load_table.cache_clear()


def load_fresh() -> CheckTable:
    """`load_table` as a new process would run it (the per-process memo cleared)."""
    clear_memo()
    return _loader.load_table()
