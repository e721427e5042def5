"""
The event-loop properties' pure checks, apart from `AioContext` so that the QOM
types ``event-loop-base``, ``iothread`` and ``main-loop`` can be defined (and
their help printed) without importing asyncio.
"""

from __future__ import annotations

from typing import Final

from ..errors import ParameterError, QOMError
from ..qapi._scalars import INT64_MAX

__all__ = ["INT_MAX", "check_int64", "check_thread_pool_params"]

#: C's INT_MAX: the upper bound of ``thread-pool-min`` / ``thread-pool-max``.
INT_MAX: Final = 2147483647


def check_thread_pool_params(min_threads: int, max_threads: int) -> None:
    """
    QEMU's ``aio_context_set_thread_pool_params`` check of a min/max pair.

    Raises:
        QOMError: ``bad thread-pool-min/thread-pool-max values`` if min > max,
            max <= 0, min < 0, or either exceeds `INT_MAX`.
    """
    if (
        min_threads > max_threads
        or max_threads <= 0
        or min_threads < 0
        or min_threads > INT_MAX
        or max_threads > INT_MAX
    ):
        msg = "bad thread-pool-min/thread-pool-max values"
        raise QOMError(msg)


def check_int64(name: str, value: int) -> None:
    """
    The event-loop properties' range check: ``<name> value must be in range [0, 2^63-1]``.

    Raises:
        ParameterError: *value* is out of range.
    """
    if not 0 <= value <= INT64_MAX:
        msg = f"{name} value must be in range [0, {INT64_MAX}]"
        raise ParameterError(msg)
