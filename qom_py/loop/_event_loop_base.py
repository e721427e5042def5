"""
The QOM types ``event-loop-base`` (abstract) and the singleton ``main-loop``.

``event-loop-base`` carries ``aio-max-batch``, ``thread-pool-min`` and
``thread-pool-max`` (type ``int``, no description, no default value) and three
class slots its subclasses fill in, as QEMU's ``EventLoopBaseClass``:

* ``init(obj)`` -- called from user-creatable ``complete``;
* ``update_params(obj)`` -- called after every successful store on a live object;
* ``can_be_deleted(obj)`` -- user-creatable ``can_be_deleted`` forwards to it.

Setter pipeline (QOM-REFERENCE §2.3) with this project's decisions:

1. visit an int64 (the visitor's own message on a type error);
2. a negative value: ``<prop> value must be in range [0, 9223372036854775807]``;
3. store; 4. on a live object, ``update_params`` applies it -- and if that fails
   the old value is put back (decision 3: a failed set changes nothing).

During creation nothing is applied: the min/max pair is checked once every
property is set (``prepare``, decision 2: order-independent), and the values
reach the context at ``complete``.  A second ``main-loop`` is refused in
``complete`` before it touches the main context (decision 4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .._object import Object, ObjectClass
from .._registry import default_registry
from .._scalars import INT64_MAX
from .._typeinfo import TypeInfo
from .._user_creatable import TYPE_USER_CREATABLE
from .._visitors import InputVisitor
from ..errors import QOMError
from ._aio_context import AioContext, check_int64, check_thread_pool_params, main_aio_context, peek_main_aio_context

__all__ = [
    "INT64_MAX",
    "THREAD_POOL_MAX_DEFAULT",
    "TYPE_EVENT_LOOP_BASE",
    "TYPE_MAIN_LOOP",
    "add_int_property",
    "check_thread_pool_params",
    "main_loop_object",
]

TYPE_EVENT_LOOP_BASE: Final = "event-loop-base"
TYPE_MAIN_LOOP: Final = "main-loop"

#: QEMU's THREAD_POOL_MAX_THREADS_DEFAULT.
THREAD_POOL_MAX_DEFAULT: Final = 64


def is_live(obj: Object) -> bool:
    """Whether *obj* has completed (its values are applied to a context)."""
    return bool(getattr(obj, "_live", False))


def add_int_property(
    klass: ObjectClass, name: str, attr: str, on_change: Callable[[Object], None] | None
) -> None:
    """
    Add one of the six event-loop integer properties (type ``int``) to *klass*.

    *on_change(obj)* runs after a store on a live object; if it raises, the old
    value is restored and the error propagates.
    """

    def get(obj: Object) -> Any:
        return getattr(obj, attr)

    def set_(obj: Object, visitor: InputVisitor, pname: str, raw: object) -> None:
        value = visitor.type_int64(pname, raw)
        check_int64(name, value)
        old = getattr(obj, attr)
        setattr(obj, attr, value)
        if on_change is not None and is_live(obj):
            try:
                on_change(obj)
            except BaseException:
                setattr(obj, attr, old)
                raise

    klass.property_add(name, "int", get, set_)


def _update_params(obj: Object) -> None:
    hook = getattr(obj.klass, "update_params", None)
    if hook is not None:
        hook(obj)


def _event_loop_base_class_init(klass: ObjectClass, data: Any) -> None:
    add_int_property(klass, "aio-max-batch", "aio_max_batch", _update_params)
    add_int_property(klass, "thread-pool-min", "thread_pool_min", _update_params)
    add_int_property(klass, "thread-pool-max", "thread_pool_max", _update_params)
    # The user-creatable hooks live on the interface class, as in QEMU; the
    # event-loop-base slots (init, update_params, can_be_deleted) on the class.
    ucc = klass.dynamic_cast(TYPE_USER_CREATABLE)
    assert ucc is not None
    ucc.complete = _event_loop_base_complete  # type: ignore[attr-defined]  # class slot
    ucc.prepare = _event_loop_base_prepare  # type: ignore[attr-defined]  # class slot
    ucc.can_be_deleted = _event_loop_base_can_be_deleted  # type: ignore[attr-defined]
    klass.init = None  # type: ignore[attr-defined]
    klass.update_params = None  # type: ignore[attr-defined]
    klass.can_be_deleted = None  # type: ignore[attr-defined]


def _event_loop_base_instance_init(obj: Object) -> None:
    obj.aio_max_batch = 0  # type: ignore[attr-defined]  # per-object state
    obj.thread_pool_min = 0  # type: ignore[attr-defined]
    obj.thread_pool_max = THREAD_POOL_MAX_DEFAULT  # type: ignore[attr-defined]
    obj._live = False  # type: ignore[attr-defined]


def _event_loop_base_prepare(obj: Object) -> None:
    check_thread_pool_params(obj.thread_pool_min, obj.thread_pool_max)  # type: ignore[attr-defined]


def _event_loop_base_complete(obj: Object) -> None:
    init = getattr(obj.klass, "init", None)
    if init is not None:
        init(obj)
    obj._live = True  # type: ignore[attr-defined]


def _event_loop_base_can_be_deleted(obj: Object) -> bool:
    hook = getattr(obj.klass, "can_be_deleted", None)
    return True if hook is None else bool(hook(obj))


def apply_base_params(obj: Object, ctx: AioContext) -> None:
    """Apply ``aio-max-batch`` then the pool limits of *obj* to *ctx* (QEMU's order)."""
    ctx.set_aio_params(obj.aio_max_batch)  # type: ignore[attr-defined]
    ctx.set_thread_pool_params(obj.thread_pool_min, obj.thread_pool_max)  # type: ignore[attr-defined]


# -- main-loop ---------------------------------------------------------------------

_main_loop: list[Object] = []  # the singleton, when one exists (a list: no `global`)


def main_loop_object() -> Object | None:
    """The live ``main-loop`` object, if one was created."""
    return _main_loop[0] if _main_loop else None


def _main_loop_init(obj: Object) -> None:
    if _main_loop:
        raise QOMError("only one main-loop instance allowed")
    apply_base_params(obj, main_aio_context())
    _main_loop.append(obj)


def _main_loop_update_params(obj: Object) -> None:
    apply_base_params(obj, main_aio_context())


def _main_loop_finalize(obj: Object) -> None:
    # Decision 5: if the singleton ever goes away (a process reset in tests),
    # its slot is cleared and the main context gets QEMU's defaults back.
    if _main_loop and _main_loop[0] is obj:
        _main_loop.clear()
        ctx = peek_main_aio_context()
        if ctx is not None and not ctx.is_stopped():
            ctx.set_thread_pool_params(0, THREAD_POOL_MAX_DEFAULT)
            ctx.set_aio_params(0)


def _main_loop_class_init(klass: ObjectClass, data: Any) -> None:
    klass.init = _main_loop_init  # type: ignore[attr-defined]
    klass.update_params = _main_loop_update_params  # type: ignore[attr-defined]
    klass.can_be_deleted = lambda obj: False  # type: ignore[attr-defined]


default_registry.register(
    TypeInfo(
        TYPE_EVENT_LOOP_BASE,
        abstract=True,
        interfaces=(TYPE_USER_CREATABLE,),
        class_init=_event_loop_base_class_init,
        instance_init=_event_loop_base_instance_init,
    )
)
default_registry.register(
    TypeInfo(
        TYPE_MAIN_LOOP,
        parent=TYPE_EVENT_LOOP_BASE,
        class_init=_main_loop_class_init,
        instance_finalize=_main_loop_finalize,
    )
)
