"""
A typed QMP client: ``async with qom_py.client.connect(path) as qmp: await qmp.qom_get(...)``.

Needs the ``client`` extra (``qemu.qmp``, the client underneath).  `connect`
gives a `Client` with one coroutine per command of the server's schema (or
of a module written by ``python -m qom_py.qapi gen-python``); `connect_sync`
the same for scripts.  See docs/client.rst.
"""

from __future__ import annotations

from ._client import Client, QMPEvent, connect
from ._schema_info import schema_from_info
from ._sync import SyncClient, connect_sync

__all__ = ["Client", "QMPEvent", "SyncClient", "connect", "connect_sync", "schema_from_info"]
