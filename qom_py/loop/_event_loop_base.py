"""
The QOM types ``event-loop-base`` (abstract) and the singleton ``main-loop``.

``event-loop-base`` carries ``aio-max-batch``, ``thread-pool-min`` and
``thread-pool-max`` (type ``int``, no description, no default value), declared
as the library's typed properties (`qom_py.prop`), so an attribute write
(``obj.thread_pool_min = 2``) is checked and applied exactly as ``property_set``
is.  Its class (`EventLoopBaseClass`, QEMU's ``EventLoopBaseClass``) has three
slots its subclasses fill in:

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
from typing import TYPE_CHECKING, Any, Final

from ..errors import QOMError
from ..qapi._scalars import INT64_MAX
from ..qom._declarative import OnChange, Property, qom_type
from ..qom._object import Object, ObjectClass
from ..qom._property import int_kind
from ..qom._user_creatable import TYPE_USER_CREATABLE
from ._params import check_thread_pool_params

if TYPE_CHECKING:
    from ._aio_context import AioContext

# `AioContext` (and asyncio with it) is imported when a main-loop object is completed,
# not with the types: help and the schema need the types only.

__all__ = [
    "INT64_MAX",
    "THREAD_POOL_MAX_DEFAULT",
    "TYPE_EVENT_LOOP_BASE",
    "TYPE_MAIN_LOOP",
    "EventLoopBase",
    "EventLoopBaseClass",
    "MainLoop",
    "check_thread_pool_params",
    "loop_int",
    "main_loop_object",
]

TYPE_EVENT_LOOP_BASE: Final = "event-loop-base"
TYPE_MAIN_LOOP: Final = "main-loop"

#: QEMU's THREAD_POOL_MAX_THREADS_DEFAULT.
THREAD_POOL_MAX_DEFAULT: Final = 64


def loop_int(on_change: OnChange, *, initial: int = 0) -> Property[int]:
    """
    One of the six event-loop integer properties (type ``int``, no default value).

    A negative value is refused with ``<name> value must be in range [0, 2^63-1]``;
    *on_change(obj)* runs after a store (and undoes it by raising).
    """
    # A declared range (help and the JSON Schema know it) in event-loop-base's own words.
    kind = int_kind(minimum=0, range_message="{name} value must be in range [{minimum}, {maximum}]")
    return Property(kind, initial=initial, on_change=on_change)


class EventLoopBaseClass(ObjectClass):
    """The class of ``event-loop-base`` types: QEMU's ``EventLoopBaseClass`` slots."""

    #: ``init(obj)``: start using the values (user-creatable ``complete``).
    init: Callable[[EventLoopBase], None] | None = None
    #: ``update_params(obj)``: apply changed values to a live object.
    update_params: Callable[[EventLoopBase], None] | None = None
    #: ``can_be_deleted(obj)``: whether ``object-del`` may delete it (default: yes).
    can_be_deleted: Callable[[EventLoopBase], bool] | None = None


def _params_changed(obj: EventLoopBase) -> None:
    if obj.is_live:
        hook = obj.loop_class.update_params
        if hook is not None:
            hook(obj)


def _event_loop_base_class_init(klass: ObjectClass, data: Any) -> None:
    # The user-creatable hooks live on the interface class, as in QEMU; the
    # event-loop-base slots (init, update_params, can_be_deleted) on the class.
    ucc = klass.dynamic_cast(TYPE_USER_CREATABLE)
    assert ucc is not None
    # Class slots, set by name: ObjectClass declares none of them.
    for slot, hook in (
        ("complete", _event_loop_base_complete),
        ("prepare", _event_loop_base_prepare),
        ("can_be_deleted", _event_loop_base_can_be_deleted),
    ):
        setattr(ucc, slot, hook)


@qom_type(TYPE_EVENT_LOOP_BASE, abstract=True, interfaces=[TYPE_USER_CREATABLE], class_class=EventLoopBaseClass)
class EventLoopBase(Object):
    """An ``event-loop-base`` object: the pool limits and batch size of one event loop."""

    aio_max_batch = loop_int(_params_changed)
    thread_pool_min = loop_int(_params_changed)
    thread_pool_max = loop_int(_params_changed, initial=THREAD_POOL_MAX_DEFAULT)

    #: Whether ``complete`` ran (the values are applied to a context since).
    is_live: bool = False

    class_init = staticmethod(_event_loop_base_class_init)

    @property
    def loop_class(self) -> EventLoopBaseClass:
        """The object's class, with the event-loop-base slots."""
        klass = self.klass
        assert isinstance(klass, EventLoopBaseClass)
        return klass


def _event_loop_base_prepare(obj: Object) -> None:
    assert isinstance(obj, EventLoopBase)
    check_thread_pool_params(obj.thread_pool_min, obj.thread_pool_max)


def _event_loop_base_complete(obj: Object) -> None:
    assert isinstance(obj, EventLoopBase)
    init = obj.loop_class.init
    if init is not None:
        init(obj)
    obj.is_live = True


def _event_loop_base_can_be_deleted(obj: Object) -> bool:
    assert isinstance(obj, EventLoopBase)
    hook = obj.loop_class.can_be_deleted
    return True if hook is None else bool(hook(obj))


def apply_base_params(obj: EventLoopBase, ctx: AioContext) -> None:
    """Apply ``aio-max-batch`` then the pool limits of *obj* to *ctx* (QEMU's order)."""
    ctx.set_aio_params(obj.aio_max_batch)
    ctx.set_thread_pool_params(obj.thread_pool_min, obj.thread_pool_max)


# -- main-loop ---------------------------------------------------------------------

_main_loop: list[MainLoop] = []  # the singleton, when one exists (a list: no `global`)


def main_loop_object() -> MainLoop | None:
    """The live ``main-loop`` object, if one was created."""
    return _main_loop[0] if _main_loop else None


def _main_loop_init(obj: EventLoopBase) -> None:
    if _main_loop:
        raise QOMError("only one main-loop instance allowed")
    assert isinstance(obj, MainLoop)
    from ._aio_context import main_aio_context

    apply_base_params(obj, main_aio_context())
    _main_loop.append(obj)


def _main_loop_update_params(obj: EventLoopBase) -> None:
    from ._aio_context import main_aio_context

    apply_base_params(obj, main_aio_context())


def _main_loop_class_init(klass: ObjectClass, data: Any) -> None:
    assert isinstance(klass, EventLoopBaseClass)
    klass.init = _main_loop_init
    klass.update_params = _main_loop_update_params
    klass.can_be_deleted = lambda obj: False


@qom_type(TYPE_MAIN_LOOP)
class MainLoop(EventLoopBase):
    """The ``main-loop`` singleton: its values apply to the main `AioContext`."""

    class_init = staticmethod(_main_loop_class_init)

    def instance_finalize(self) -> None:
        # Decision 5: if the singleton ever goes away (a process reset in tests),
        # its slot is cleared and the main context gets QEMU's defaults back.
        if _main_loop and _main_loop[0] is self:
            _main_loop.clear()
            from ._aio_context import peek_main_aio_context

            ctx = peek_main_aio_context()
            if ctx is not None and not ctx.is_stopped():
                ctx.set_thread_pool_params(0, THREAD_POOL_MAX_DEFAULT)
                ctx.set_aio_params(0)
