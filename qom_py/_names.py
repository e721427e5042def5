"""The one mapping between Python names (``poll_max_ns``) and wire names (``poll-max-ns``)."""

from __future__ import annotations

__all__ = ["python_name", "wire_name"]


def wire_name(name: str) -> str:
    """``thread_pool_min`` -> ``thread-pool-min`` (QOM and QMP spell names in kebab-case)."""
    return name.replace("_", "-")


def python_name(name: str) -> str:
    """``thread-pool-min`` -> ``thread_pool_min``."""
    return name.replace("-", "_")
