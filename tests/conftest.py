"""Fixtures shared by every test: a clean default registry, a thread-leak check, a private schema cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import qom_py
import qom_py.testing
from qom_py import TypeRegistry
from qom_py.loop import reset_main_aio_context


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


#: Seconds a test's leftover threads get to finish before they count as leaked.
LEAK_GRACE: float = 5.0


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """
    Fail a test that leaves threads behind (after a grace period): the suite's one leak check.

    The process-wide main context is reset first, so its threads never count
    for or against a test; `qom_py.testing.reset` afterwards stops what the
    test's objects started.
    """
    reset_main_aio_context()
    before = set(threading.enumerate())
    yield
    qom_py.testing.reset()
    leaked = qom_py.testing.wait_for_threads(before, timeout=LEAK_GRACE)
    assert not leaked, f"threads leaked: {sorted(t.name for t in leaked)}"
