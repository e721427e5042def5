"""
The daemon's start-up without the cyclic garbage collector: what start-up builds, it keeps.

Starting the daemon (asyncio, the QMP server, the first objects) allocates many objects
and frees almost none, so the collections the allocations trigger find next to nothing
to free.  `GCPause` pauses the collector for such a stretch and restores it after, also
when the stretch fails; `GCPause.resume` with ``freeze`` then moves what exists to the
permanent generation, so that no collection scans it again.

Only a pause that ends in a freeze saves time: one that ends in a plain enable gathers
the skipped collections into one over everything made meanwhile, which measured slower
than the collections it replaced (``import qom_py``: one 11-24 ms collection instead of
21 taking 7-12 ms in all).  So the library's import is left alone; the CLI pauses from
`qom_py.cli.main` until the daemon is ready.
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
