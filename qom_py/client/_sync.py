"""`connect_sync`: `qom_py.client.connect` for scripts, each call run to completion on a private event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from ._client import CONNECT_TIMEOUT, Client, QMPEvent, connect

__all__ = ["SyncClient", "connect_sync"]


class SyncClient:
    """The commands of a `Client` as plain functions (``client.qom_get(path=..., property=...)``)."""

    def __init__(self, client: Client, loop: asyncio.AbstractEventLoop) -> None:
        #: The asynchronous client underneath.
        self.client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        call = getattr(self.client, name)

        def run(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(call(*args, **kwargs))

        run.__name__ = name
        return run

    def event(self, timeout: float | None = None) -> QMPEvent:
        """The next event (`Client.event`)."""
        return self._loop.run_until_complete(self.client.event(timeout))


@contextlib.contextmanager
def connect_sync(
    address: str | tuple[str, int], *, module: ModuleType | None = None, timeout: float = CONNECT_TIMEOUT
) -> Iterator[SyncClient]:
    """`qom_py.client.connect` without asyncio: a `SyncClient`; disconnects (and closes its loop) on exit."""
    loop = asyncio.new_event_loop()
    try:
        manager = connect(address, module=module, timeout=timeout)
        client = loop.run_until_complete(manager.__aenter__())
        try:
            yield SyncClient(client, loop)
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()
