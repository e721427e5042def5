"""
A QMP server limited to 64 file descriptors, on the unix socket ``argv[1]``.

Run as a child process by ``tests/qmp/test_reliability.py`` and ``bench/stress.py``
(descriptor exhaustion): it prints ``ready`` once listening, logs to stderr, and
stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import sys

from qom_py.qmp import Dispatcher, QMPServer


async def main(path: str) -> None:
    server = QMPServer(Dispatcher())
    await server.listen_unix(path)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(server.close()))
    print("ready", flush=True)
    await server.wait_closed()


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    asyncio.run(main(sys.argv[1]))
