"""
Start-up without the cyclic garbage collector: what start-up builds, it keeps.

Importing qom_py and starting the daemon (asyncio, the QMP server, the first objects)
allocate many objects and free almost none, so the collections the allocations trigger
find next to nothing to free.  `GCPause` pauses the collector for such a stretch and
restores it after, also when the stretch fails.

A pause must not end in a plain enable: the next young collection would then scan
everything made during the pause at once, which measured slower than the collections it
replaced (``import qom_py``: one 11-24 ms collection instead of 21 taking 7-12 ms in all).
So `GCPause.resume` moves what exists to the oldest generation first (`gc.freeze`, then
`gc.unfreeze`), as if it had survived the young collections: a full collection still
examines it and frees its garbage.  The daemon, whose start-up objects live as long as it
does, resumes with ``freeze=True`` instead: they stay in the permanent generation, never
scanned again (the pattern Python's documentation gives for servers), at the price of
start-up's own garbage (attrs' discarded class bodies and field definitions: about a
thousand objects, some 230 KiB, measured) being kept.
"""

from __future__ import annotations

import gc

__all__ = ["GCPause"]

# No typing import here: qom_py imports this module before its pause starts.


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

        What exists joins the oldest generation first, or, with *freeze*, the
        permanent one.  Objects the application froze itself stay frozen: then
        nothing is moved.
        """
        if not self._paused:
            return
        self._paused = False
        if freeze:
            gc.freeze()
        elif gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()  # everything frozen a moment ago now sits in the oldest generation
        gc.enable()

    def __exit__(self, *exc_info: object) -> None:
        self.resume()
