"""
Record QEMU 7.2's ``query-qmp-schema`` answers into ``tests/data`` (run by hand, not by pytest).

``python tests/qapi/record_schemas.py`` starts ``qemu-storage-daemon`` and
``qemu-system-x86_64`` with a QMP socket, asks each for its schema and writes:

* ``qsd-7.2-query-qmp-schema.json``: qsd's whole answer;
* ``qemu-system-7.2-query-qmp-schema.json``: ``qemu-system-x86_64 -machine none``'s
  whole answer;
* ``qemu-system-7.2-query-iothreads-schema.json``: qemu-system's entries for
  ``query-iothreads`` and ``SHUTDOWN`` (commands qsd lacks), with every type
  they reach, in qemu-system's order and masked names.

One entity per line (keys as QEMU sent them), so that diffs stay readable.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


def _ask(path: str, commands: list[str]) -> list[Any]:
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        stream = sock.makefile("rwb")
        json.loads(stream.readline())
        answers = []
        for name in ["qmp_capabilities", *commands]:
            stream.write(json.dumps({"execute": name}).encode() + b"\n")
            stream.flush()
            while "event" in (reply := json.loads(stream.readline())):
                pass
            answers.append(reply["return"])
    return answers[1:]


def _run(argv: list[str], path: str, commands: list[str]) -> list[Any]:
    proc = subprocess.Popen(argv)  # our own fixed command line
    try:
        return _ask(path, commands)
    finally:
        proc.terminate()
        proc.wait(10)


def _closure(schema: list[dict[str, Any]], roots: list[str]) -> list[dict[str, Any]]:
    by_name = {e["name"]: e for e in schema}
    wanted: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        entity = by_name[name]
        todo += [entity[k] for k in ("arg-type", "ret-type", "element-type") if k in entity]
        todo += [m["type"] for m in entity.get("members", []) if "type" in m]
        todo += [v["type"] for v in entity.get("variants", [])]
    return [e for e in schema if e["name"] in wanted]


def _write(name: str, entities: list[dict[str, Any]]) -> None:
    text = "[\n" + ",\n".join(json.dumps(e) for e in entities) + "\n]\n"
    (DATA / name).write_text(text, encoding="utf-8")


def main() -> None:
    """Record both answers."""
    with tempfile.TemporaryDirectory() as tmp:
        qsd_sock, sys_sock = f"{tmp}/q.sock", f"{tmp}/s.sock"
        qsd_schema, qsd_version = _run(
            ["qemu-storage-daemon", "--chardev", f"socket,id=m,path={qsd_sock},server=on,wait=off", "--monitor", "m"],
            qsd_sock, ["query-qmp-schema", "query-version"],
        )  # fmt: skip
        sys_schema, sys_version = _run(
            ["qemu-system-x86_64", "-nodefaults", "-display", "none", "-machine", "none",
             "-qmp", f"unix:{sys_sock},server=on,wait=off"],
            sys_sock, ["query-qmp-schema", "query-version"],
        )  # fmt: skip
    for version in (qsd_version, sys_version):
        assert version["qemu"]["major"] == 7 and version["qemu"]["minor"] == 2, version
    _write("qsd-7.2-query-qmp-schema.json", qsd_schema)
    _write("qemu-system-7.2-query-qmp-schema.json", sys_schema)
    _write("qemu-system-7.2-query-iothreads-schema.json", _closure(sys_schema, ["query-iothreads", "SHUTDOWN"]))
    print(f"qsd {qsd_version['package']}, qemu-system {sys_version['package']}", file=sys.stderr)


if __name__ == "__main__":
    main()
