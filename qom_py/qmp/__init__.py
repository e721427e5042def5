"""
QMP for qom_py: QEMU's wire protocol, a command table, and a server.

`Dispatcher` holds the commands (`Dispatcher.register`), `QMPServer` serves
them on unix and TCP sockets, and `InProcessQMP` talks to them without a socket.
Everything on the wire follows ``qemu-storage-daemon`` 7.2, byte for byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._util.lazy import lazy_getattr
from ..errors import CommandRegistrationError
from ._commands import register_qom_commands
from ._dispatch import (
    NO_ARGUMENTS,
    Dispatcher,
    QMPCommand,
    QMPError,
    QMPSession,
    call_after_reply,
    current_session,
)
from ._protocol import (
    MAX_NESTING,
    MAX_TOKEN_COUNT,
    MAX_TOKEN_SIZE,
    JSONStreamParser,
    JSONValue,
    QMPRequest,
    check_request,
    qdict_keys,
    qobject_from_json,
    to_json,
)
from ._server import QMPServer

if TYPE_CHECKING:  # imported on first access (__getattr__): a daemon needs neither
    from ._inprocess import InProcessQMP
    from ._specs import QMPEnum

_LAZY = {"InProcessQMP": "._inprocess", "QMPEnum": "._specs"}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())

__all__ = [
    "MAX_NESTING",
    "MAX_TOKEN_COUNT",
    "MAX_TOKEN_SIZE",
    "NO_ARGUMENTS",
    "CommandRegistrationError",
    "Dispatcher",
    "InProcessQMP",
    "JSONStreamParser",
    "JSONValue",
    "QMPCommand",
    "QMPEnum",
    "QMPError",
    "QMPRequest",
    "QMPServer",
    "QMPSession",
    "call_after_reply",
    "check_request",
    "current_session",
    "qdict_keys",
    "qobject_from_json",
    "register_qom_commands",
    "to_json",
]
