"""
The ``qom_py`` logger, as a library keeps one: a `logging.NullHandler` and no other handler.

Applications decide where records go; ``qom-py`` (`qom_py.daemon.cli`) sends them to stderr.
Child loggers (``qom_py.qmp``, ...) propagate here.
"""

from __future__ import annotations

import logging
from typing import Final

__all__ = ["blame", "blamed", "logger"]

logger: Final = logging.getLogger("qom_py")
logger.addHandler(logging.NullHandler())

_WHERE: Final = "_qom_py_where"


def blame(exc: BaseException, where: str) -> None:
    """
    Record on *exc* (raised by user code) *where* it came from, for whoever logs it.

    *where* names the hook and the object, e.g. ``complete() of type 'boom', id 'b0'``:
    the QMP dispatcher then logs that instead of calling the exception a qom_py bug.
    """
    exc.__dict__[_WHERE] = where


def blamed(exc: BaseException) -> str | None:
    """What `blame` recorded on *exc*, or None."""
    where = exc.__dict__.get(_WHERE)
    return where if isinstance(where, str) else None
