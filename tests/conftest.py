"""Fixtures shared by every test: a clean default registry, a thread-leak check, a private schema cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import qom_py
import qom_py.testing
from qom_py import TypeRegistry


@pytest.fixture(autouse=True, scope="session")
def _private_schema_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the schema cache (`qom_py.qapi._loader`) out of the user's home, daemons included."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QOM_PY_CACHE_DIR", str(tmp_path_factory.mktemp("qom-py-cache")))
        yield


@pytest.fixture
def registry() -> TypeRegistry:
    """A fresh registry, so type-system tests never touch the default one."""
    return TypeRegistry()


@pytest.fixture(autouse=True)
def _clean_slate() -> Iterator[None]:
    """Every test starts and ends with the default registry as import left it."""
    qom_py.testing.builtin_type_names()
    yield
    qom_py.testing.reset()


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """Fail a test that leaves threads behind (after a short grace period)."""
    before = set(threading.enumerate())
    yield
    qom_py.testing.reset()
    leaked = qom_py.testing.wait_for_threads(before, timeout=5.0)
    assert not leaked, f"threads leaked: {[t.name for t in leaked]}"
