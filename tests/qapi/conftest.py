"""Fixtures of the QAPI tests: counting the schema parses (cache misses)."""

from __future__ import annotations

import pytest

from qom_py.qapi import QAPISchema


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
