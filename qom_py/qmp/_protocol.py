"""
The QMP wire format as QEMU 7.2 speaks it: request checks.

QEMU's JSON reader, which QMP shares with ``--object``, is `qom_py.qapi._json_streamer`;
its writer is `qom_py.qapi._json_writer`.  `check_request` validates one request
object as ``qmp_dispatch_check_obj()`` (``qapi/qmp-dispatch.c``) does.

Nothing here knows about sockets or commands.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from ..errors import QMPProtocolError
from ..qapi._json_parser import JSONValue
from ..qapi._qdict_order import qdict_keys

__all__ = ["QMPRequest", "check_request", "qdict_keys"]


# ---------------------------------------------------------------------------
# One request: qmp_dispatch_check_obj().
# ---------------------------------------------------------------------------
class QMPRequest(NamedTuple):
    """A request that passed `check_request`."""

    #: The command name (from ``execute`` or ``exec-oob``).
    command: str
    #: The ``arguments`` object, or None when the request had none.
    arguments: dict[str, JSONValue] | None
    #: True for ``exec-oob``.
    oob: bool


_PLAIN_MEMBERS: Final = frozenset({"execute", "arguments", "id"})
_MISSING: Final = object()


def check_request(request: JSONValue, *, allow_oob: bool = False) -> QMPRequest:
    """
    Check that *request* is a well-formed QMP command, as QEMU does.

    Members are checked in QDict order, so when several are wrong, the one QEMU
    names is the one named here.  ``exec-oob`` is only a command member when
    *allow_oob* (the client negotiated the ``oob`` capability).  The ``id`` is
    not looked at; the caller echoes it whatever happens here.

    Raises:
        QMPProtocolError: ``QMP input must be a JSON object``, ``QMP input member
            'execute' must be a string``, ``QMP input lacks member 'execute'``,
            ``QMP input member 'arguments' must be an object``, ``QMP input member
            'X' is unexpected``, ``QMP input member 'execute' clashes with
            'exec-oob'``.
    """
    if type(request) is not dict:
        msg = "QMP input must be a JSON object"
        raise QMPProtocolError(msg)
    # Fast path: the usual members, the usual types.
    if request.keys() <= _PLAIN_MEMBERS:
        command = request.get("execute")
        if type(command) is str:
            plain = request.get("arguments", _MISSING)
            if type(plain) is dict:
                return QMPRequest(command, plain, False)
            if plain is _MISSING:
                return QMPRequest(command, None, False)
    exec_key: str | None = None
    command = None
    arguments: dict[str, JSONValue] | None = None
    for name in qdict_keys(request):
        member = request[name]
        if name == "execute" or (name == "exec-oob" and allow_oob):
            if type(member) is not str:
                msg = f"QMP input member '{name}' must be a string"
                raise QMPProtocolError(msg)
            if exec_key is not None:
                msg = f"QMP input member '{name}' clashes with '{exec_key}'"
                raise QMPProtocolError(msg)
            exec_key = name
            command = member
        elif name == "arguments":
            if type(member) is not dict:
                msg = "QMP input member 'arguments' must be an object"
                raise QMPProtocolError(msg)
            arguments = member
        elif name != "id":
            msg = f"QMP input member '{name}' is unexpected"
            raise QMPProtocolError(msg)
    if command is None:
        msg = "QMP input lacks member 'execute'"
        raise QMPProtocolError(msg)
    return QMPRequest(command, arguments, exec_key == "exec-oob")
