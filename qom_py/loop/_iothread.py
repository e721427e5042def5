"""
The QOM type ``iothread``: its own thread running its own `AioContext`.

Adds ``poll-max-ns`` (default 32768), ``poll-grow`` and ``poll-shrink`` to the
``event-loop-base`` properties.  ``complete`` creates the context, applies every
parameter, starts a thread named ``IO <id>`` and waits until that thread has
reported its native id.  Poll parameters set on a running iothread take effect at
once, as do ``aio-max-batch`` and the pool limits (through ``update_params``);
attribute writes (``io.poll_max_ns = 0``) go through the same checks.
Finalization (``object-del``) stops the loop and joins the thread and every pool
worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..qom._declarative import declared_type_info, qom_type
from ..qom._object import ObjectClass
from ..qom._registry import TypeRegistry, default_registry
from ._event_loop_base import EventLoopBase, EventLoopBaseClass, apply_base_params, loop_int

if TYPE_CHECKING:
    from ._aio_context import AioContext

__all__ = ["POLL_MAX_NS_DEFAULT", "TYPE_IOTHREAD", "IOThread", "install_event_loop_types", "query_iothreads"]

TYPE_IOTHREAD: Final = "iothread"
#: QEMU's IOTHREAD_POLL_MAX_NS_DEFAULT on POSIX hosts.
POLL_MAX_NS_DEFAULT: Final = 32768


def _poll_changed(obj: IOThread) -> None:
    if obj.is_live:
        _apply_poll_params(obj)


def _apply_poll_params(obj: IOThread) -> None:
    ctx = obj.aio_context
    if ctx is not None:
        ctx.set_poll_params(obj.poll_max_ns, obj.poll_grow, obj.poll_shrink)


def _iothread_update_params(obj: EventLoopBase) -> None:
    assert isinstance(obj, IOThread)
    ctx = obj.aio_context
    if ctx is None:  # not started yet: values are applied by init
        return
    _apply_poll_params(obj)
    apply_base_params(obj, ctx)


def _iothread_init(obj: EventLoopBase) -> None:
    assert isinstance(obj, IOThread)
    name = obj.canonical_path_component or "iothread"
    from ._aio_context import AioContext  # asyncio: when the first iothread starts

    ctx = AioContext(name)
    try:
        ctx.set_poll_params(obj.poll_max_ns, obj.poll_grow, obj.poll_shrink)
        apply_base_params(obj, ctx)
        ctx.start_thread(f"IO {name}")
    except BaseException:
        ctx.stop()
        raise
    obj.aio_context = ctx


def _iothread_class_init(klass: ObjectClass, data: Any) -> None:
    assert isinstance(klass, EventLoopBaseClass)
    klass.init = _iothread_init
    klass.update_params = _iothread_update_params


@qom_type(TYPE_IOTHREAD)
class IOThread(EventLoopBase):
    """An ``iothread`` object: its thread and context once complete."""

    poll_max_ns = loop_int(_poll_changed, initial=POLL_MAX_NS_DEFAULT)
    poll_grow = loop_int(_poll_changed)
    poll_shrink = loop_int(_poll_changed)

    #: The iothread's context once complete ran; None before.
    aio_context: AioContext | None = None

    class_init = staticmethod(_iothread_class_init)

    def instance_finalize(self) -> None:
        ctx = self.aio_context
        if ctx is not None:
            self.aio_context = None
            ctx.stop()


def install_event_loop_types(registry: TypeRegistry) -> None:
    """
    Register ``event-loop-base``, ``main-loop`` and ``iothread`` (and ``user-creatable``) in *registry*.

    Types it has already are left alone (`default_registry` has these).  The
    main `AioContext` and the ``main-loop`` singleton stay process-wide: one
    ``main-loop`` object exists at a time, whichever registry holds it.
    """
    from ..qom._user_creatable import install_user_creatable
    from ._event_loop_base import MainLoop

    install_user_creatable(registry)
    registry.install(declared_type_info(cls) for cls in (EventLoopBase, MainLoop, IOThread))


def iothread_thread_id(obj: IOThread) -> int:
    """The native id of *obj*'s thread, -1 before it runs."""
    ctx = obj.aio_context
    return ctx.thread_id if ctx is not None else -1


def query_iothreads(registry: TypeRegistry = default_registry) -> list[dict[str, Any]]:
    """
    ``query-iothreads``: one entry per iothread directly under *registry*'s ``/objects``.

    Keys: ``id``, ``thread-id``, ``poll-max-ns``, ``poll-grow``, ``poll-shrink``,
    ``aio-max-batch`` (QEMU's ``IOThreadInfo``).
    """
    result = []
    for name, obj in registry.objects_root.children():
        if not isinstance(obj, IOThread):
            continue
        result.append(
            {
                "id": name,
                "thread-id": iothread_thread_id(obj),
                "poll-max-ns": obj.poll_max_ns,
                "poll-grow": obj.poll_grow,
                "poll-shrink": obj.poll_shrink,
                "aio-max-batch": obj.aio_max_batch,
            }
        )
    return result
