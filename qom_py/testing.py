"""
Helpers for tests of code that uses qom_py: a clean slate, and a thread-leak check.

``reset()`` returns the process to its state right after ``import qom_py``: every
object under ``/objects`` is deleted (iothreads are stopped and joined), the
types registered since import are forgotten, and the main-loop singleton and
the (process-wide) main context are cleared.  ``reset(registry)`` does the same
for a standalone registry's objects and types, leaving the main context alone.  ``reset(keep=...)`` keeps the types named too: a fixture that keeps the
types registered before its test (by imports, ``conftest.py``, plugins) and forgets
only the test's own, as the pytest plugin's ``qmp`` fixture does::

    @pytest.fixture(autouse=True)
    def _qom_clean_slate():
        before = qom_py.testing.registered_type_names()
        yield
        qom_py.testing.reset(keep=before)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .qom._registry import TypeRegistry, default_registry

if TYPE_CHECKING:
    from .qmp import InProcessQMP

__all__ = [
    "add_reset_hook",
    "builtin_type_names",
    "qmp_client",
    "registered_type_names",
    "reset",
    "wait_for_threads",
    "wait_until",
]

_builtin: frozenset[str] | None = None
_reset_hooks: list[Callable[[], None]] = []


def builtin_type_names() -> frozenset[str]:
    """The types registered by qom_py itself (recorded on first use, after import)."""
    global _builtin
    if _builtin is None:
        _builtin = frozenset(default_registry.type_names(load=False))  # lazy ones too
    return _builtin


def registered_type_names(registry: TypeRegistry = default_registry) -> frozenset[str]:
    """Every type registered in *registry* now (promised ones too, without loading them): for `reset`'s *keep*."""
    return frozenset(registry.type_names(load=False))


def add_reset_hook(hook: Callable[[], None]) -> None:
    """Run *hook* on every `reset` of `default_registry` (for layers holding process-wide state)."""
    _reset_hooks.append(hook)


def reset(registry: TypeRegistry = default_registry, *, keep: Iterable[str] = ()) -> None:
    """
    Delete every user object of *registry*, forget the types registered since import, run reset hooks.

    Args:
        registry: the registry to reset.  For one other than `default_registry`,
            the types kept are the ones a new `TypeRegistry` has and the
            built-in ones it holds (`qom_py.install_builtin_types`,
            ``user-creatable``).
        keep: names of further types to keep, typically `registered_type_names`
            taken before a test: a module imported once (at collection, in a
            ``conftest.py``) registers its types once, so forgetting them would
            leave the next tests without them.

    The main `AioContext` (and its thread) is process-wide, not a registry's:
    only a reset of `default_registry` stops it and runs the `add_reset_hook`
    hooks.  A reset of another registry leaves them alone; a ``main-loop``
    object of that registry (the singleton is process-wide too: one at a time,
    in any registry) is deleted with its objects, which frees the singleton.

    QAPI definitions added with `qom_py.qapi_load` are kept (a test module
    loads its definitions once).
    """
    process = registry is default_registry
    builtins = builtin_type_names() if process else frozenset(TypeRegistry().type_names()).union(builtin_type_names())
    builtins = builtins.union(keep)
    root = registry.root
    objects = registry.objects_root
    for name, _ in list(objects.children()):
        objects.property_del(name)
    for name, _ in list(root.children()):
        if name != "objects":
            root.property_del(name)
    if process:
        for hook in list(_reset_hooks):
            hook()
        from .loop import reset_main_aio_context  # the loop layer sits above this helper's core

        reset_main_aio_context()
    for name in registry.type_names():
        if name not in builtins:
            registry.unregister(name)


def wait_for_threads(baseline: set[threading.Thread], timeout: float = 5.0) -> list[threading.Thread]:
    """
    Wait up to *timeout* seconds for threads not in *baseline* to end.

    Returns:
        the threads still alive after the wait (empty when nothing leaked).
    """
    deadline = time.monotonic() + timeout
    while True:
        extra = [t for t in threading.enumerate() if t not in baseline and t.is_alive()]
        if not extra or time.monotonic() >= deadline:
            return extra
        extra[0].join(max(0.0, min(0.05, deadline - time.monotonic())))


def qmp_client(registry: TypeRegistry = default_registry) -> InProcessQMP:
    """
    A QMP client talking to this process's objects without a socket.

    It has the commands the daemon has (``qom-get``, ``object-add``, ...) and goes
    through the same bytes as a socket client: ``qmp_client().execute("qom-get",
    {"path": "/objects/io0", "property": "poll-max-ns"})``.  Errors raise
    `qom_py.qmp.QMPError` with QEMU's class and description.  The commands
    serve *registry*.
    """
    from .qmp import Dispatcher, InProcessQMP, register_qom_commands

    dispatcher = Dispatcher(registry=registry)
    register_qom_commands(dispatcher)
    return InProcessQMP(dispatcher)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """
    Poll *predicate* every 2 ms until it holds or *timeout* seconds pass.

    Returns:
        the predicate's last answer (False after a time-out).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return predicate()
        time.sleep(0.002)
    return True
