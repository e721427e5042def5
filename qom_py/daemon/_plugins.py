"""
Daemon plugins: modules whose import registers users' types, for ``qom-py``.

Two sources, both loaded before any ``--object`` is processed:

1. every entry point of the group ``qom_py.plugins`` of the installed
   distributions (sorted by distribution, then entry point name, for a stable
   order); its value is a module (``mypkg.qom_types``), imported, or a callable
   (``mypkg.qom_types:register``), called without arguments;
2. each ``qom-py --plugin MODULE``, imported in command-line order.

A failure is a `PluginError`: ``qom-py`` prints its text as a one-line start-up error.
Any exception a plugin raises counts, ``KeyboardInterrupt`` and ``SystemExit``
included.  Within `interruptible` (``qom-py`` loads its plugins so), SIGTERM,
SIGINT and SIGHUP interrupt a plugin that blocks, with `PluginInterrupted`; a
second one, if a plugin swallowed the first, kills the process at once.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Final, NoReturn

from .._log import logger
from ..errors import QOMError

__all__ = [
    "ENTRY_POINT_GROUP",
    "INTERRUPTING_SIGNALS",
    "PluginError",
    "PluginInterrupted",
    "describe_failure",
    "group_may_be_declared",
    "interruptible",
    "load_entry_points",
    "load_module",
]

#: The entry-point group whose members ``qom-py`` loads at start.
ENTRY_POINT_GROUP: Final = "qom_py.plugins"


class PluginError(QOMError):
    """A plugin could not be loaded; the text names it and says why."""


#: The signals that end ``qom-py`` (as they end the running daemon) while plugins load.
INTERRUPTING_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class PluginInterrupted(BaseException):
    """
    A signal arrived while plugins were loading (`interruptible`).

    A `BaseException`, so that a plugin's ``except Exception`` does not catch it
    and `load_module` does not report it as the plugin's failure.  The process
    should clean up, then `die` by the signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        #: The signal's number.
        self.signum = signum

    def die(self) -> NoReturn:
        """End the process as the signal would have, had nothing handled it."""
        _die(self.signum)


def _die(signum: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached: the default action of these signals ends the process


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """
    Let `INTERRUPTING_SIGNALS` interrupt the block with `PluginInterrupted` (main thread only).

    The signal handlers in place before are put back afterwards.  If the first
    signal's exception is swallowed (a plugin catching ``BaseException``), the
    next signal ends the process at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if raised:
            _die(signum)
        raised.append(signum)
        raise PluginInterrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in INTERRUPTING_SIGNALS}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


def describe_failure(exc: BaseException) -> str:
    """One line saying why a plugin failed: QEMU-worded errors and import errors as they are."""
    if isinstance(exc, QOMError | ImportError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def load_module(name: str) -> types.ModuleType:
    """
    Import the plugin module *name* (its import registers its types).

    Raises:
        PluginError: ``--plugin NAME: WHY``.
    """
    try:
        module = importlib.import_module(name)
    except PluginInterrupted:
        raise
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: the plugin's failure too
        logger.debug("--plugin %s failed", name, exc_info=exc)
        msg = f"--plugin {name}: {describe_failure(exc)}"
        raise PluginError(msg) from exc
    logger.debug("plugin %s loaded from %s", name, getattr(module, "__file__", None) or "(no file)")
    return module


def _declares_group(entry_points_txt: str) -> bool:
    try:
        with open(entry_points_txt, encoding="utf-8", errors="replace") as f:
            return ENTRY_POINT_GROUP in f.read()
    except OSError:
        return False


def group_may_be_declared() -> bool:
    """
    Whether some distribution may declare `ENTRY_POINT_GROUP`: a quick scan of ``sys.path``.

    False only when every ``sys.path`` entry is a directory (or missing) and no
    ``*.dist-info``, ``*.egg-info`` or ``*.egg`` in them has an ``entry_points.txt``
    mentioning the group, and no import hook but the standard path finder can list
    distributions: then `importlib.metadata` (slow to import) would find nothing.
    Anything else (a zip on the path, another finder) answers True, and
    `importlib.metadata` decides.
    """
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return True
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip file: let importlib.metadata look inside
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                if _declares_group(os.path.join(folder, name, "entry_points.txt")):
                    return True
            elif name.endswith(".egg") and _declares_group(os.path.join(folder, name, "EGG-INFO", "entry_points.txt")):
                return True
    return False


def load_entry_points() -> list[str]:
    """
    Load every entry point of `ENTRY_POINT_GROUP`; return their descriptions, in load order.

    Raises:
        PluginError: ``entry point NAME = VALUE (group qom_py.plugins, DIST): WHY``.
    """
    if not group_may_be_declared():
        return []
    import importlib.metadata  # ~15 ms of imports (email, zipfile, ...): only when needed

    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    ordered = sorted(found, key=lambda ep: ((ep.dist.name if ep.dist else ""), ep.name))
    loaded = []
    for ep in ordered:
        dist = f", {ep.dist.name}" if ep.dist is not None else ""
        label = f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP}{dist})"
        try:
            target = ep.load()
            if not isinstance(target, types.ModuleType):
                if not callable(target):
                    msg = f"{ep.value} is neither a module nor a callable"
                    raise PluginError(msg)
                call: Callable[[], object] = target
                call()
        except PluginInterrupted:
            raise
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: the plugin's failure too
            logger.debug("%s failed", label, exc_info=exc)
            msg = f"{label}: {describe_failure(exc)}"
            raise PluginError(msg) from exc
        logger.debug("%s loaded", label)
        loaded.append(f"{ep.name} ({ep.value})")
    return loaded
