"""
Command-line parsing in ``qemu-storage-daemon``'s manner: getopt_long, then option values.

Only parsing lives here (pure, no side effects), so the daemon (`qom_py.daemon.cli`) reads
as a sequence of actions.  Errors are `CmdlineError`\\ s whose text is what qsd
prints after its program name: ``unrecognized option '--foo'``,
``--object STR: MESSAGE`` and so on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Final

import attrs

from ..errors import QOMError
from ..qapi._keyval import keyval_parse
from ..qapi._scalars import parse_bool

__all__ = [
    "ARGUMENT",
    "LONG_OPTIONS",
    "ChardevSpec",
    "CmdlineError",
    "MonitorSpec",
    "Option",
    "getopt",
    "iter_options",
    "message_bytes",
    "parse_chardev",
    "parse_monitor",
    "parse_qmp_shorthand",
]


class CmdlineError(QOMError):
    """A start-up error, worded as qsd prints it after ``PROGRAM: ``."""


def message_bytes(text: str) -> bytes:
    """
    Encode a message quoting command-line words as qsd prints it: their bytes as given.

    ``sys.argv`` holds bytes that are not UTF-8 as surrogate escapes (``\\xff`` is
    ``"\\udcff"``); qsd, which never decodes, prints the bytes themselves, and so
    does this (``os.fsencode``).  Any other unencodable character is written as a
    backslash escape.
    """
    try:
        return os.fsencode(text)
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


@attrs.frozen
class Option:
    """One parsed option: its canonical long name, its value, and how it was written."""

    name: str
    value: str | None
    #: The option as the user wrote it (``--o``, ``-object``), for error locations.
    spelled: str
    #: The command-line words the option came from, joined by a space, as QEMU's
    #: error location prints them: ``--ob STR`` but ``--object=STR`` (one word).
    location: str = attrs.field(default=attrs.Factory(lambda self: _location_default(self), takes_self=True))


def _location_default(option: Option) -> str:
    return option.spelled if option.value is None else f"{option.spelled} {option.value}"


#: Long options: name -> takes an argument.  qsd's, plus ``qmp`` (qom-py's shorthand).
LONG_OPTIONS: Final[dict[str, bool]] = {
    "blockdev": True,
    "chardev": True,
    "daemonize": False,
    "export": True,
    "help": False,
    "monitor": True,
    "nbd-server": True,
    "object": True,
    "pidfile": True,
    "plugin": True,
    "print-schema": False,
    "qmp": True,
    "trace": True,
    "verbose": False,
    "version": False,
}
#: qom-py's own long options that only match when spelled in full, so that qsd's
#: abbreviations (``--v``, ``--ver`` for ``--version``) keep meaning what they mean there.
_EXACT_ONLY: Final = frozenset({"verbose"})
#: `Option.name` of a non-option word (qsd: "X: Unexpected argument", in order).
ARGUMENT: Final = "argument"
_SHORT: Final = {"h": ("help", False), "V": ("version", False), "T": ("trace", True), "v": ("verbose", False)}
#: Single-dash spellings accepted as extensions (QEMU system emulator style).
_SINGLE_DASH_LONG: Final = {"-object": "object", "-qmp": "qmp"}


def iter_options(argv: Sequence[str]) -> Iterator[Option]:
    """
    Split *argv* (without the program name) into options, in order, as glibc
    ``getopt_long`` in qsd's "return in order" mode.

    Long options may be abbreviated to a unique prefix and take ``--opt=value`` or
    ``--opt value``.  A non-option comes out as an `ARGUMENT` option (qsd rejects it
    only when it gets there, after ``--help`` and ``--version`` earlier on the line
    had their effect).  ``--`` ends the options: the rest is ignored, as by qsd.

    Raises:
        CmdlineError: qsd's message, when the scan reaches a malformed option.
    """
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in _SINGLE_DASH_LONG:
            if i >= len(argv):
                msg = f"option '{arg}' requires an argument"
                raise CmdlineError(msg)
            yield Option(_SINGLE_DASH_LONG[arg], argv[i], arg)
            i += 1
        elif arg.startswith("--") and len(arg) > 2:
            body, eq, inline = arg[2:].partition("=")
            name = _match_long(body, arg)
            takes_arg = LONG_OPTIONS[name]
            spelled = "--" + body
            if not takes_arg:
                if eq:
                    msg = f"option '--{name}' doesn't allow an argument"
                    raise CmdlineError(msg)
                yield Option(name, None, spelled)
            elif eq:
                yield Option(name, inline, spelled, arg)
            else:
                if i >= len(argv):
                    msg = f"option '--{name}' requires an argument"
                    raise CmdlineError(msg)
                yield Option(name, argv[i], spelled)
                i += 1
        elif arg == "--":
            return
        elif arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                ch = arg[j]
                j += 1
                if ch not in _SHORT:
                    msg = f"invalid option -- '{ch}'"
                    raise CmdlineError(msg)
                name, takes_arg = _SHORT[ch]
                if not takes_arg:
                    yield Option(name, None, "-" + ch)
                    continue
                if j < len(arg):
                    yield Option(name, arg[j:], "-" + ch, arg)
                elif i < len(argv):
                    yield Option(name, argv[i], "-" + ch)
                    i += 1
                else:
                    msg = f"option requires an argument -- '{ch}'"
                    raise CmdlineError(msg)
                break
        else:
            yield Option(ARGUMENT, None, arg)


def getopt(argv: Sequence[str]) -> list[Option]:
    """
    Split *argv* (without the program name) into options (see `iter_options`).

    Non-options are errors here (``X: Unexpected argument``).

    Raises:
        CmdlineError: qsd's message.
    """
    options = []
    for opt in iter_options(argv):
        if opt.name == ARGUMENT:
            msg = f"{opt.spelled}: Unexpected argument"
            raise CmdlineError(msg)
        options.append(opt)
    return options


def _match_long(body: str, arg: str) -> str:
    if body in LONG_OPTIONS:
        return body
    candidates = [name for name in LONG_OPTIONS if name.startswith(body) and name not in _EXACT_ONLY]
    if len(candidates) == 1:
        return candidates[0]
    # glibc names the whole word, "=value" included.
    if not candidates:
        msg = f"unrecognized option '{arg}'"
        raise CmdlineError(msg)
    listed = " ".join(f"'--{c}'" for c in candidates)
    msg = f"option '{arg}' is ambiguous; possibilities: {listed}"
    raise CmdlineError(msg)


@attrs.frozen
class ChardevSpec:
    """A ``--chardev socket,...`` listening socket: a unix path or a TCP host and port."""

    id: str
    path: str | None = None
    host: str | None = None
    port: int | None = None


_CHARDEV_KEYS: Final = frozenset({"backend", "id", "path", "host", "port", "server", "wait", "ipv4", "ipv6", "nodelay"})


def parse_chardev(text: str) -> ChardevSpec:
    """
    Parse one ``--chardev`` value; only listening sockets are hosted.

    Raises:
        QOMError: QEMU's message where QEMU has one.
    """
    args = keyval_parse(text, "backend")
    for key, value in args.items():
        if key not in _CHARDEV_KEYS or not isinstance(value, str):
            msg = f"Invalid parameter '{key}'"
            raise QOMError(msg)
    backend = args.get("backend")
    if backend is None:
        raise QOMError("Parameter 'backend' is missing")
    if backend != "socket":
        msg = f"'{backend}' is not a valid char driver name"
        if backend in {"null", "pty", "stdio", "file", "pipe", "udp", "serial", "parallel", "ringbuf", "memory"}:
            msg = f"chardev backend '{backend}' is not supported by qom-py (only 'socket')"
        raise QOMError(msg)
    id_ = args.get("id")
    if not isinstance(id_, str):
        raise QOMError("chardev: no id specified")
    server = parse_bool("server", str(args.get("server", "off")))
    wait = parse_bool("wait", str(args.get("wait", "on")))
    if not server:
        raise QOMError("qom-py hosts listening sockets only: use server=on")
    if wait:
        raise QOMError("qom-py does not wait for a client at start-up: use wait=off")
    path = args.get("path")
    host = args.get("host")
    if isinstance(path, str):
        return ChardevSpec(id_, path=path)
    if isinstance(host, str):
        port_text = args.get("port")
        if not isinstance(port_text, str):
            raise QOMError("chardev: socket: no port given")
        try:
            port = int(port_text, 10)
        except ValueError:
            msg = f"address resolution failed for {host}:{port_text}: Servname not supported for ai_socktype"
            raise QOMError(msg) from None
        return ChardevSpec(id_, host=host, port=port)
    raise QOMError("chardev: socket: no address given: use path= or host=,port=")


#: The QAPI struct a ``--monitor`` value is checked as.
_MONITOR_OPTIONS: Final = "QomPyMonitorOptions"


@attrs.frozen
class MonitorSpec:
    """A ``--monitor`` on a chardev: QMP only, optionally pretty-printed."""

    chardev: str
    pretty: bool = False
    #: ``control`` (QMP) or ``readline`` (HMP, refused after the chardev is found).
    mode: str = "control"
    #: qom-py's ``max-clients=N``: clients served at once (None: the server's default).
    max_clients: int | None = None


def parse_monitor(text: str) -> MonitorSpec:
    """
    Parse one ``--monitor [chardev=]ID[,mode=control][,pretty=on|off][,max-clients=N]`` value.

    Checked as qsd checks it, by the schema engine: QEMU's ``MonitorOptions``,
    here as ``QomPyMonitorOptions`` (``schemas/daemon.json``), which adds
    qom-py's ``max-clients`` (a qsd socket chardev serves one client at a time).

    Raises:
        QOMError: QEMU's message.
    """
    from ..qapi import Checker, load_table  # the shipped check table: no schema model

    options = Checker.from_table(load_table()).check(_MONITOR_OPTIONS, keyval_parse(text, "chardev"), "keyval")
    max_clients = options.get("max-clients")
    if max_clients == 0:
        raise QOMError("Parameter 'max-clients' expects a positive integer")
    return MonitorSpec(
        options["chardev"],
        pretty=options.get("pretty", False),
        mode=options.get("mode", "control"),
        max_clients=max_clients,
    )


def parse_qmp_shorthand(text: str, index: int) -> tuple[ChardevSpec, MonitorSpec]:
    """
    Parse qom-py's ``--qmp unix:PATH[,server=on][,wait=off]`` / ``tcp:HOST:PORT[,...]``.

    Raises:
        QOMError: the address is malformed.
    """
    address, _, rest = text.partition(",")
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key == "server" and parse_bool("server", value or "on"):
            continue
        if key == "wait" and not parse_bool("wait", value or "on"):
            continue
        if key == "pretty":
            continue
        msg = f"Invalid parameter '{key}'"
        raise QOMError(msg)
    pretty = any(i.startswith("pretty") and i.partition("=")[2] in ("", "on") for i in rest.split(","))
    chardev_id = f"qmp{index}"
    kind, _, where = address.partition(":")
    if kind == "unix" and where:
        return ChardevSpec(chardev_id, path=where), MonitorSpec(chardev_id, pretty)
    if kind == "tcp" and where:
        host, _, port = where.rpartition(":")
        try:
            return ChardevSpec(chardev_id, host=host or "127.0.0.1", port=int(port, 10)), MonitorSpec(
                chardev_id, pretty
            )
        except ValueError:
            pass
    msg = f"'{text}' is not a QMP address: use unix:PATH or tcp:HOST:PORT"
    raise QOMError(msg)
