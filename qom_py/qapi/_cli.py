"""
``python -m qom_py.qapi``: a command line for schema authors.

* ``check FILE``: read the schema *FILE* (and its includes) as QEMU's
  ``qapi-gen.py`` reads it; a malformed schema prints QEMU's message on
  stderr and exits 1, a good one prints nothing.
* ``introspect [--unmask] [-D SYMBOL]... FILE``: print the ``query-qmp-schema``
  answer of a QEMU build of *FILE* that defines the ``if`` symbols given with
  ``-D`` (none given: none defined).  The JSON is written one entry per line,
  keys in the order QEMU sends them (QDict order), as the recordings in
  tests/data keep QEMU's answers, so the two can be compared with ``diff``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import QAPISchemaError
from ._qdict_order import qdict_keys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qom_py.qapi", description="Check, introspect or generate Python for a QAPI schema."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a schema; QEMU's messages on stderr")
    check.add_argument("file", metavar="FILE")
    introspect = commands.add_parser("introspect", help="print the query-qmp-schema answer as JSON")
    introspect.add_argument("--unmask", action="store_true", help="keep the real type names")
    introspect.add_argument(
        "-D", dest="defines", metavar="SYMBOL", action="append", default=[], help="an 'if' symbol the build defines"
    )
    introspect.add_argument("file", metavar="FILE")
    gen = commands.add_parser("gen-python", help="write a typed Python module of the schema's types and commands")
    gen.add_argument("-o", dest="output", metavar="MODULE.py", required=True, help="the module to write")
    gen.add_argument("file", metavar="FILE")
    return parser


def _in_qdict_order(value: Any) -> Any:
    """*value* with every dict's keys in QDict order, as QEMU writes them."""
    if isinstance(value, dict):
        return {key: _in_qdict_order(value[key]) for key in qdict_keys(value)}
    if isinstance(value, list):
        return [_in_qdict_order(item) for item in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line *argv* (default: ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    from ._schema import QAPISchema

    try:
        schema = QAPISchema.from_file(args.file)
    except QAPISchemaError as err:
        print(err.full_message, file=sys.stderr)  # QEMU's context lines, the message, the hint
        return 1
    except OSError as err:
        print(f"can't read schema file '{args.file}': {err.strerror}", file=sys.stderr)
        return 1
    if args.command == "introspect":
        from .introspect import schema_info

        infos = schema_info(schema, unmask=args.unmask, defines=frozenset(args.defines))
        sys.stdout.write("[\n" + ",\n".join(json.dumps(_in_qdict_order(i)) for i in infos) + "\n]\n")
    elif args.command == "gen-python":
        from ._gen_python import gen_python

        with open(args.output, "w", encoding="utf-8") as out:
            out.write(gen_python(schema, args.file))
    return 0
