"""
End to end against QEMU: ``qom-py`` replays tests/data/vectors.json, then meets a live
``qemu-storage-daemon`` on new inputs.

The comparison rules are the vectors' (tests/data/vectors.json, recorded from
qemu-storage-daemon 7.2.22):

* start-up errors: the program name and the ``--object STRING: `` location are
  stripped from the first line, the rest must match line by line; the exit status
  is non-zero and nothing is left running (no socket file, the process gone);
* replies: errors by ``class`` and ``desc``; returns equal with lists compared as
  multisets and ``thread-id`` any positive integer; a reply with a ``note`` is a
  deliberate difference whose ``return`` is ours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.daemon import (
    QOM_PY,
    QSD,
    TIMEOUT,
    DaemonStartupError,
    QMPConnection,
    normalize,
    reply_key,
    run,
    running,
)

VECTORS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "vectors.json").read_text())

#: Options whose value QEMU prints as the location of a start-up error.
_LOCATED = ("--object", "-object", "--chardev", "--monitor")


def split_startup_error(stderr: str, argv: list[str]) -> tuple[str, list[str]]:
    """
    Split a start-up error into its location and its message lines.

    The program name (``qemu-storage-daemon: `` or ``qom-py: ``) goes; the location
    is the longest ``OPT VALUE: `` of *argv* that starts the first line ("" if none).
    """
    lines = stderr.rstrip("\n").split("\n")
    # getopt's own messages name argv[0]: qsd's full path when started by path.
    program = re.match(r"(\S*qemu-storage-daemon|qom-py): ", lines[0])
    if program is None:
        pytest.fail(f"no program name on the first line: {stderr!r}")
    first = lines[0][program.end() :]
    locations = [f"{opt} {value}: " for opt, value in zip(argv, argv[1:], strict=False) if opt in _LOCATED]
    location = max((loc for loc in locations if first.startswith(loc)), key=len, default="")
    return location, [first[len(location) :], *lines[1:]]


def assert_reply(step: dict[str, Any], reply: dict[str, Any]) -> None:
    """*reply* matches the recorded *step* (``error`` class+desc, or ``return``)."""
    where = f"{step['cmd']} {json.dumps(step['args'])}"
    if "error" in step:
        assert "error" in reply, f"{where}: expected error {step['error']}, got {reply}"
        expected = (step["error"]["class"], step["error"]["desc"])
        assert expected == (reply["error"]["class"], reply["error"]["desc"]), where
    else:
        # With a "note", "return" already holds our (deliberately different) answer.
        assert "return" in reply, f"{where}: expected return {step['return']!r}, got {reply}"
        assert normalize(step["return"]) == normalize(reply["return"]), where


#: Vectors qom-py fails for reasons outside the command line, by case name, with the
#: diagnosis.  Strict: when the cause is fixed the test passes and the entry must go.
KNOWN_FAILURES: dict[str, str] = {}
#: A shorter wait for the known failures (they hang, and spawn threads meanwhile).
_KNOWN_FAILURE_TIMEOUT = 3.0


def _vector_params() -> list[Any]:
    params = []
    for i, case in enumerate(VECTORS):
        reason = KNOWN_FAILURES.get(case["name"])
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(case, id=f"{i:02d}:{case['name']}", marks=marks))
    return params


@pytest.mark.parametrize("case", _vector_params())
def test_vector(case: dict[str, Any]) -> None:
    """qom-py answers every recorded case as qemu-storage-daemon 7.2 did."""
    argv: list[str] = case["argv"]
    timeout = _KNOWN_FAILURE_TIMEOUT if case["name"] in KNOWN_FAILURES else TIMEOUT
    if case["startup"]["rc"] != 0:
        # The monitor comes first: its socket exists before the failing --object.
        result = run(argv, monitor=True)
        assert result.returncode != 0, result
        assert result.stdout == ""
        assert result.leftovers == [], f"left behind after a failed start-up: {result.leftovers}"
        expected = split_startup_error(case["startup"]["stderr"], argv)
        assert expected == split_startup_error(result.stderr, argv)
        return
    with running(argv, timeout=timeout) as daemon:
        conn = daemon.connect(timeout=timeout)
        for step in case.get("replies", []):
            assert_reply(step, conn.request(step["cmd"], step["args"]))
        assert daemon.stderr() == ""


def test_vectors_cover_startup_and_replies() -> None:
    """The replay above is not vacuous: the file holds both kinds of case, and notes."""
    assert len(VECTORS) >= 70
    assert any(case["startup"]["rc"] != 0 for case in VECTORS)
    assert sum(len(case.get("replies", [])) for case in VECTORS) >= 100
    assert any("note" in step for case in VECTORS for step in case.get("replies", []))


# ---------------------------------------------------------------------------
# Differential: the same new inputs to qemu-storage-daemon and to qom-py.
# ---------------------------------------------------------------------------
#: A step: a command (sent as JSON) or raw text (sent as is, maybe malformed).
Step = dict[str, Any] | str


def _cmd(execute: str, arguments: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"execute": execute}
    if arguments is not None:
        message["arguments"] = arguments
    message.update(extra)
    return message


def _get(path: str, prop: str) -> dict[str, Any]:
    return _cmd("qom-get", {"path": path, "property": prop})


def _set(path: str, prop: str, value: Any) -> dict[str, Any]:
    return _cmd("qom-set", {"path": path, "property": prop, "value": value})


_IO0 = "/objects/io0"
_ALL_IOTHREAD = ("poll-max-ns", "poll-grow", "poll-shrink", "aio-max-batch", "thread-pool-min", "thread-pool-max")

#: (id, argv, steps, negotiate first).  None of these argv or sequences is in the
#: vectors.  Left out on purpose: full type lists (qsd hosts many more types),
#: ``query-iothreads`` (qsd 7.2 lacks it), ``query-version`` and the greeting
#: (versions differ), and a ``qom-get`` after a rejected ``qom-set`` of the
#: min/max pair (ARCHITECTURE.md decision 3: a failed set changes nothing here).
DIFFERENTIAL: list[tuple[str, list[str], list[Step], bool]] = [
    # -- --object strings ----------------------------------------------------
    ("obj-minus-zero", ["--object", "iothread,id=io0,poll-max-ns=-0"], [_get(_IO0, "poll-max-ns")], True),
    (
        "obj-int64-max-and-hex",
        ["--object", "iothread,id=io0,poll-shrink=9223372036854775807,poll-grow=0x10"],
        [_get(_IO0, "poll-shrink"), _get(_IO0, "poll-grow")],
        True,
    ),
    ("obj-pool-zero-zero", ["--object", "main-loop,id=ml,thread-pool-min=0,thread-pool-max=0"], [], True),
    ("obj-pool-min-negative", ["--object", "iothread,id=io0,thread-pool-min=-1"], [], True),
    (
        "obj-duplicate-id-last-wins",
        ["--object", "iothread,id=io0,id=io1"],
        [_cmd("qom-list", {"path": "/objects"})],
        True,
    ),
    ("obj-json-negative-batch", ["--object", '{"qom-type":"iothread","id":"io0","aio-max-batch":-1}'], [], True),
    ("obj-inconsistent-keys", ["--object", "iothread,id=io0,poll-grow=1,poll-grow.x=2"], [], True),
    ("obj-no-id", ["--object", "qom-type=main-loop"], [], True),
    ("obj-trailing-space", ["--object", "iothread,id=io0,poll-max-ns=1 "], [], True),
    ("obj-bad-octal", ["--object", "iothread,id=io0,poll-max-ns=08"], [], True),
    (
        "obj-pool-equal-max-first",
        ["--object", "iothread,id=io0,thread-pool-max=1,thread-pool-min=1"],
        [_get(_IO0, "thread-pool-min"), _get(_IO0, "thread-pool-max")],
        True,
    ),
    ("obj-json-object-value", ["--object", '{"qom-type":"iothread","id":"io0","poll-max-ns":{}}'], [], True),
    (
        "obj-json-and-keyval",
        ["--object", "iothread,id=io0", "--object", '{"qom-type":"main-loop","id":"ml","thread-pool-max":3}'],
        [_get("/objects/ml", "thread-pool-max"), _get("ml", "thread-pool-min"), _cmd("qom-list", {"path": "/objects"})],
        True,
    ),
    ("obj-batch-too-big-hex", ["--object", "iothread,id=io0,aio-max-batch=0x8000000000000000"], [], True),
    # -- QMP sequences -------------------------------------------------------
    (
        "qom-get-bad-arguments",
        ["--object", "iothread,id=io0"],
        [
            _cmd("qom-get", {"path": _IO0}),
            _cmd("qom-get", {"path": 5, "property": "poll-grow"}),
            _cmd("qom-get", {"path": _IO0, "property": "poll-grow", "b": 1}),
            _cmd("qom-get"),
            _cmd("qom-get", {"path": _IO0, "property": None}),
        ],
        True,
    ),
    (
        "qom-set-values",
        ["--object", "iothread,id=io0"],
        [
            _cmd("qom-set", {"path": _IO0, "property": "poll-grow"}),
            _set(_IO0, "poll-grow", "7"),
            _set(_IO0, "poll-max-ns", 9223372036854775807),
            _get(_IO0, "poll-max-ns"),
            _set(_IO0, "poll-max-ns", 9223372036854775808),
            _set(_IO0, "poll-shrink", -9223372036854775809),
            _set(_IO0, "poll-shrink", 1e3),
            _set(_IO0, "aio-max-batch", [1]),
            _set(_IO0, "thread-pool-max", 0),
            _get(_IO0, "poll-shrink"),
        ],
        True,
    ),
    (
        "qom-list-types-filters",
        [],
        [
            _cmd("qom-list-types", {"implements": "iothread"}),
            _cmd("qom-list-types", {"implements": "main-loop", "abstract": False}),
            _cmd("qom-list-types", {"implements": "event-loop-base", "abstract": "yes"}),
            _cmd("qom-list-types", {"implements": 5}),
            _cmd("qom-list-types", {"implements": "iothread", "bogus": 1}),
        ],
        True,
    ),
    (
        "qom-list-properties-arguments",
        [],
        [
            _cmd("qom-list-properties"),
            _cmd("qom-list-properties", {"typename": 5}),
            _cmd("qom-list-properties", {"typename": "iothread", "extra": True}),
            _cmd("qom-list-properties", {"typename": "container"}),
        ],
        True,
    ),
    (
        "object-add-full-then-del",
        [],
        [
            _cmd(
                "object-add",
                {
                    "qom-type": "iothread",
                    "id": "io7",
                    "poll-max-ns": 1000,
                    "poll-grow": 3,
                    "poll-shrink": 4,
                    "aio-max-batch": 5,
                    "thread-pool-min": 2,
                    "thread-pool-max": 6,
                },
            ),
            *[_get("/objects/io7", prop) for prop in _ALL_IOTHREAD],
            _cmd("qom-list", {"path": "/objects/io7"}),
            _cmd("object-del", {"id": "io7"}),
            _get("/objects/io7", "poll-max-ns"),
            _cmd("object-add", {"qom-type": "iothread", "id": "io7"}),
            _get("io7", "poll-max-ns"),
        ],
        True,
    ),
    (
        "object-add-bad-arguments",
        [],
        [
            _cmd("object-add", {"qom-type": "iothread", "id": 5}),
            _cmd("object-add", {"qom-type": 5, "id": "x"}),
            _cmd("object-add", {"id": "x", "poll-max-ns": 1}),
            _cmd("object-add", {"qom-type": "iothread", "id": "x", "poll-max-ns": 1.5}),
            _cmd("object-add", {"qom-type": "iothread", "id": "x", "props": "poll-max-ns=1"}),
            _cmd("object-add", {"qom-type": "main-loop", "id": "ml", "poll-max-ns": 1}),
            _cmd("object-add", {"qom-type": "iothread", "id": "x", "thread-pool-min": 9, "thread-pool-max": 8}),
            _cmd("qom-list", {"path": "/objects"}),
        ],
        True,
    ),
    (
        "object-del-arguments",
        ["--object", "iothread,id=io0"],
        [
            _cmd("object-del"),
            _cmd("object-del", {"id": 5}),
            _cmd("object-del", {"id": "io0", "force": True}),
            _cmd("object-del", {"id": "io0"}),
            _cmd("object-add", {"qom-type": "main-loop", "id": "io0"}),
            _get("io0", "type"),
        ],
        True,
    ),
    (
        "ids-echoed",
        ["--object", "iothread,id=io0"],
        [
            _cmd("qom-list-types", {"implements": "iothread"}, id={"a": [1, 2.5, None, True, "x"]}),
            _cmd("nosuch", id=-7),
            _cmd("qom-get", {"path": _IO0, "property": "nosuch"}, id=[]),
            _get(_IO0, "poll-grow") | {"id": "é\u2603"},
        ],
        True,
    ),
    (
        "before-negotiation",
        [],
        [
            _cmd("qom-list", {"path": "/objects"}),
            _cmd("nosuch"),
            _cmd("qmp_capabilities", {"foo": 1}),
            _cmd("qmp_capabilities", {"enable": ["bogus"]}),
            _cmd("qmp_capabilities", id=1),
            _cmd("qmp_capabilities", id=2),
            _cmd("qom-list-types", {"implements": "iothread"}),
        ],
        False,
    ),
    (
        "malformed-input",
        [],
        [
            "{bad}",
            "[1,2]",
            '"str"',
            "123",
            '{"execute":5}',
            '{"arguments":{}}',
            '{"execute":"qom-list","arguments":[1]}',
            '{"execute":"qom-list","arguments":{"path":"/objects"},"extra":1}',
            '{"execute":"qom-list","arguments":{"path":"/objects"},"control":{}}',
            '{"exec-oob":"qom-list"}',
            "{'execute':'qom-list-types','arguments':{'implements':'iothread'}}",
            '{"execute":"qom\\u002dlist-types","arguments":{"implements":"main-loop"}}',
            '{"execute":"qom-list-types","arguments":{"implements":"iothread"}} garbage',
        ],
        True,
    ),
    (
        "qom-set-pool-pair",
        ["--object", "main-loop,id=ml,thread-pool-min=2,thread-pool-max=4"],
        [
            _set("/objects/ml", "thread-pool-min", 5),
            _set("/objects/ml", "thread-pool-max", 1),
            _set("/objects/ml", "thread-pool-max", 8),
            _get("/objects/ml", "thread-pool-max"),
            _set("/objects/ml", "thread-pool-min", 8),
            _get("/objects/ml", "thread-pool-min"),
        ],
        True,
    ),
    (
        "paths",
        ["--object", "iothread,id=io0"],
        [
            _get("io0", "poll-max-ns"),
            _get("/objects/io0/", "poll-max-ns"),
            _get("/objects//io0", "poll-max-ns"),
            _get("", "type"),
            _get("/", "type"),
            _get("objects", "type"),
            _cmd("qom-list", {"path": "/objects/io0/nosuch"}),
            _cmd("qom-list", {"path": "io0"}),
            _set("/objects", "type", "x"),
        ],
        True,
    ),
]


def _transcript(program: Sequence[str], argv: list[str], steps: list[Step], negotiate: bool) -> Any:
    """What a daemon did with one case, in comparable form (see `reply_key`)."""
    try:
        with running(argv, program=program) as daemon:
            conn: QMPConnection = daemon.connect(negotiate=negotiate)
            replies: list[Any] = []
            for step in steps:
                if negotiate:
                    replies.append([reply_key(r) for r in conn.replies_to(step)])
                else:
                    assert isinstance(step, dict)
                    conn.send(step)
                    replies.append([reply_key(conn.read_reply())])
            return {"replies": replies}
    except DaemonStartupError as exc:
        assert exc.returncode != 0
        return {"startup-error": split_startup_error(exc.stderr, argv)}


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed (apt-get install qemu-utils)")
@pytest.mark.parametrize(
    ("argv", "steps", "negotiate"),
    [pytest.param(argv, steps, negotiate, id=name) for name, argv, steps, negotiate in DIFFERENTIAL],
)
def test_differential(argv: list[str], steps: list[Step], negotiate: bool) -> None:
    """qom-py and qemu-storage-daemon answer the same new inputs alike."""
    assert QSD is not None
    expected = _transcript([QSD], argv, steps, negotiate)
    actual = _transcript(QOM_PY, argv, steps, negotiate)
    if "replies" in expected and "replies" in actual:
        for step, want, got in zip(steps, expected["replies"], actual["replies"], strict=True):
            assert want == got, f"step {step!r}"
    assert expected == actual


def test_differential_inputs_are_new() -> None:
    """The differential inputs are not already covered by the vectors."""
    assert len(DIFFERENTIAL) >= 25
    recorded_argv = {tuple(case["argv"]) for case in VECTORS}
    recorded_steps = {
        json.dumps([step["cmd"], step["args"]], sort_keys=True) for case in VECTORS for step in case.get("replies", [])
    }
    for name, argv, steps, _ in DIFFERENTIAL:
        if not steps:
            assert tuple(argv) not in recorded_argv, name
        new_steps = [
            step
            for step in steps
            if not isinstance(step, dict)
            or json.dumps([step["execute"], step.get("arguments", {})], sort_keys=True) not in recorded_steps
        ]
        assert new_steps or tuple(argv) not in recorded_argv, name
