"""
Start-up without the cyclic garbage collector: what start-up builds, it keeps.

Importing qom_py (its attrs classes, the registry) and starting the daemon (asyncio, the
QMP server, the first objects) allocate many objects and free almost none, so the
collections the allocations trigger find nothing to free: about 10% of the daemon's
start-up, measured.  `GCPause` pauses the collector for such a stretch and restores it
after, also when the stretch fails.
"""

from __future__ import annotations

import gc

__all__ = ["GCPause"]

# No typing import here: this module is imported before the pause starts.


class GCPause:
    """
    The cyclic garbage collector paused from ``__enter__`` until `resume` or the block's end.

    A collector that was already disabled (by the application) is left alone.
    """

    __slots__ = ("_paused",)

    def __init__(self) -> None:
        self._paused = False

    def __enter__(self) -> GCPause:
        self._paused = gc.isenabled()
        if self._paused:
            gc.disable()
        return self

    def resume(self, *, freeze: bool = False) -> None:
        """
        Enable the collector again now (if this pause disabled it).

        With *freeze*, first move every object tracked so far to the permanent
        generation (`gc.freeze`, the pattern Python's documentation gives for
        servers): the collector never scans them again.  The first collection after
        the pause would otherwise scan everything made during it (the daemon's: 5 ms
        before its first greeting, measured); the price is that the start-up's own
        garbage (attrs' discarded class bodies and field definitions: about a
        thousand objects, some 230 KiB, measured) is kept.
        """
        if self._paused:
            self._paused = False
            if freeze:
                gc.freeze()
            gc.enable()

    def __exit__(self, *exc_info: object) -> None:
        self.resume()
