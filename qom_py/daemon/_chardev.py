"""
The QOM types ``chardev`` (abstract) and ``chardev-socket``, and the ``/chardevs`` container.

qemu-storage-daemon keeps one ``chardev-socket`` object per ``--chardev`` under
``/chardevs``, named by the chardev's id.  Its class properties, read-only, are
``connected`` (``bool``: a client is connected) and ``addr`` (``SocketAddress``:
the address the socket is bound to, as JSON: ``{"path": ..., "type": "unix"}``
or ``{"port": "4444", "ipv4": true, "host": "127.0.0.1", "type": "inet"}``).
``qom-list`` shows them in this order, after ``type``, as QEMU 7.2 does.

The objects only describe sockets that someone else serves (the daemon's QMP
server): `chardev_socket_add` takes callables giving the address and telling
whether a client is connected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ..qom._object import Object, ObjectClass
from ..qom._registry import TypeRegistry, default_registry
from ..qom._typeinfo import TypeInfo

__all__ = [
    "CHARDEVS_PATH",
    "TYPE_CHARDEV",
    "TYPE_CHARDEV_SOCKET",
    "ChardevSocket",
    "chardev_socket_add",
    "chardevs_remove",
    "install_chardev_types",
    "socket_address",
]

TYPE_CHARDEV: Final = "chardev"
TYPE_CHARDEV_SOCKET: Final = "chardev-socket"
#: Where the chardev objects live (QEMU's ``/chardevs`` container).
CHARDEVS_PATH: Final = "/chardevs"
#: The QAPI type string of ``addr``.
_SOCKET_ADDRESS: Final = "SocketAddress"


def socket_address(address: str | tuple[str, int]) -> dict[str, Any]:
    """
    A socket address as QEMU's ``SocketAddress`` JSON (``socket_sockaddr_to_address``).

    *address* is a unix socket path or a TCP ``(host, port)``; a numeric host
    gets QEMU's ``ipv4``/``ipv6`` flag (a bound socket's host is always numeric).
    """
    if isinstance(address, str):
        return {"path": address, "type": "unix"}
    host, port = address
    result: dict[str, Any] = {"port": str(port)}
    try:
        import ipaddress  # only for a TCP chardev's address

        result["ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"] = True
    except ValueError:
        pass  # a host name (not bound yet): no family to tell
    result.update(host=host, type="inet")
    return result


class ChardevSocket(Object):
    """A ``chardev-socket`` object: where its socket is bound and whether a client is on it."""

    #: The bound address (see `socket_address`), read when ``addr`` is read.
    address: Callable[[], str | tuple[str, int]]
    #: Whether a client is connected now.
    is_connected: Callable[[], bool]


def _connected(obj: Object) -> bool:
    assert isinstance(obj, ChardevSocket)
    return bool(obj.is_connected())


def _addr(obj: Object) -> dict[str, Any]:
    assert isinstance(obj, ChardevSocket)
    return socket_address(obj.address())


def _chardev_socket_class_init(klass: ObjectClass, data: Any) -> None:
    klass.property_add_bool("connected", _connected, None)
    # A struct-valued read-only property: its getter returns the JSON object.
    klass.property_add("addr", _SOCKET_ADDRESS, _addr)


_TYPES: Final = (
    TypeInfo(TYPE_CHARDEV, abstract=True),
    TypeInfo(
        TYPE_CHARDEV_SOCKET, parent=TYPE_CHARDEV, class_init=_chardev_socket_class_init, instance_class=ChardevSocket
    ),
)


def install_chardev_types(registry: TypeRegistry) -> None:
    """Register ``chardev`` and ``chardev-socket`` in *registry* unless it has them (`default_registry` has them)."""
    registry.install(_TYPES)


def chardev_socket_add(
    chardev_id: str,
    address: Callable[[], str | tuple[str, int]],
    is_connected: Callable[[], bool],
    registry: TypeRegistry = default_registry,
) -> ChardevSocket:
    """
    Add ``/chardevs/<chardev_id>``, a ``chardev-socket`` (the container is created if needed).

    *address()* gives the socket's address, *is_connected()* whether a client is on it.

    Raises:
        DuplicatePropertyError: a chardev of that id exists.
    """
    obj = registry.new(TYPE_CHARDEV_SOCKET)
    assert isinstance(obj, ChardevSocket)
    obj.address = address
    obj.is_connected = is_connected
    try:
        registry.container_get(CHARDEVS_PATH).adopt_child(chardev_id, obj)
    except BaseException:
        obj.unref()
        raise
    return obj


def chardevs_remove(registry: TypeRegistry = default_registry) -> None:
    """Remove every chardev object and the ``/chardevs`` container (at daemon exit)."""
    root = registry.root_if_created()
    container = root.resolve_component(CHARDEVS_PATH.strip("/")) if root is not None else None
    if container is None:
        return
    for name, _ in list(container.children()):
        container.property_del(name)
    container.unparent()


for _info in _TYPES:
    default_registry.register(_info)
