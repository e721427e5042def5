"""
The QOM type ``iothread``: its own thread running its own `AioContext`.

Adds ``poll-max-ns`` (default 32768), ``poll-grow`` and ``poll-shrink`` to the
``event-loop-base`` properties.  ``complete`` creates the context, applies every
parameter, starts a thread named ``IO <id>`` and waits until that thread has
reported its native id.  Poll parameters set on a running iothread take effect at
once, as do ``aio-max-batch`` and the pool limits (through ``update_params``).
Finalization (``object-del``) stops the loop and joins the thread and every pool
worker.
"""

from __future__ import annotations

from typing import Any, Final

from .._object import Object, ObjectClass
from .._registry import default_registry
from .._typeinfo import TypeInfo
from ._aio_context import AioContext
from ._event_loop_base import TYPE_EVENT_LOOP_BASE, add_int_property, apply_base_params

__all__ = ["POLL_MAX_NS_DEFAULT", "TYPE_IOTHREAD", "query_iothreads"]

TYPE_IOTHREAD: Final = "iothread"
#: QEMU's IOTHREAD_POLL_MAX_NS_DEFAULT on POSIX hosts.
POLL_MAX_NS_DEFAULT: Final = 32768


def _context(obj: Object) -> AioContext | None:
    ctx: AioContext | None = getattr(obj, "aio_context", None)
    return ctx


def _apply_poll_params(obj: Object) -> None:
    ctx = _context(obj)
    if ctx is not None:
        ctx.set_poll_params(obj.poll_max_ns, obj.poll_grow, obj.poll_shrink)  # type: ignore[attr-defined]


def _iothread_update_params(obj: Object) -> None:
    ctx = _context(obj)
    if ctx is None:  # not started yet: values are applied by init
        return
    _apply_poll_params(obj)
    apply_base_params(obj, ctx)


def _iothread_init(obj: Object) -> None:
    name = obj.canonical_path_component or "iothread"
    ctx = AioContext(name)
    try:
        ctx.set_poll_params(obj.poll_max_ns, obj.poll_grow, obj.poll_shrink)  # type: ignore[attr-defined]
        apply_base_params(obj, ctx)
        ctx.start_thread(f"IO {name}")
    except BaseException:
        ctx.stop()
        raise
    obj.aio_context = ctx  # type: ignore[attr-defined]


def _iothread_instance_init(obj: Object) -> None:
    obj.poll_max_ns = POLL_MAX_NS_DEFAULT  # type: ignore[attr-defined]
    obj.poll_grow = 0  # type: ignore[attr-defined]
    obj.poll_shrink = 0  # type: ignore[attr-defined]
    #: The iothread's context once complete ran; None before.
    obj.aio_context = None  # type: ignore[attr-defined]


def _iothread_instance_finalize(obj: Object) -> None:
    ctx = _context(obj)
    if ctx is not None:
        obj.aio_context = None  # type: ignore[attr-defined]
        ctx.stop()


def _iothread_class_init(klass: ObjectClass, data: Any) -> None:
    add_int_property(klass, "poll-max-ns", "poll_max_ns", _apply_poll_params)
    add_int_property(klass, "poll-grow", "poll_grow", _apply_poll_params)
    add_int_property(klass, "poll-shrink", "poll_shrink", _apply_poll_params)
    klass.init = _iothread_init  # type: ignore[attr-defined]  # event-loop-base slot
    klass.update_params = _iothread_update_params  # type: ignore[attr-defined]


def iothread_thread_id(obj: Object) -> int:
    """The native id of *obj*'s thread, -1 before it runs."""
    ctx = _context(obj)
    return ctx.thread_id if ctx is not None else -1


def query_iothreads() -> list[dict[str, Any]]:
    """
    ``query-iothreads``: one entry per iothread directly under ``/objects``.

    Keys: ``id``, ``thread-id``, ``poll-max-ns``, ``poll-grow``, ``poll-shrink``,
    ``aio-max-batch`` (QEMU's ``IOThreadInfo``).
    """
    result = []
    for name, obj in default_registry.objects_root.children():
        if obj.dynamic_cast(TYPE_IOTHREAD) is None:
            continue
        result.append(
            {
                "id": name,
                "thread-id": iothread_thread_id(obj),
                "poll-max-ns": obj.poll_max_ns,  # type: ignore[attr-defined]
                "poll-grow": obj.poll_grow,  # type: ignore[attr-defined]
                "poll-shrink": obj.poll_shrink,  # type: ignore[attr-defined]
                "aio-max-batch": obj.aio_max_batch,  # type: ignore[attr-defined]
            }
        )
    return result


default_registry.register(
    TypeInfo(
        TYPE_IOTHREAD,
        parent=TYPE_EVENT_LOOP_BASE,
        class_init=_iothread_class_init,
        instance_init=_iothread_instance_init,
        instance_finalize=_iothread_instance_finalize,
    )
)
