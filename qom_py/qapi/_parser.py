"""
Reading QAPI schema syntax: QEMU's ``QAPISchemaParser`` (scripts/qapi/parser.py).

The syntax is JSON-like: objects, arrays, single-quoted strings (printable
ASCII, ``\\\\`` the only escape), ``true``/``false``, and ``#`` comments to the
end of the line.  Top-level expressions are objects.  Two of them are
directives, handled here as QEMU does: ``{'include': 'FILE'}`` reads FILE,
relative to the including file, once per read (a second include of the same
file is skipped, an include cycle is an error); ``{'pragma': {...}}`` sets
`Pragma` fields.  Everything else is a definition, checked later
(`qom_py.qapi._expr`).

Documentation comments (``##`` blocks) are skipped like any comment: qom_py
does not generate documentation, so their structure is not checked.

Errors are QEMU's: a syntax error is ``FILE:LINE:COL: problem``, a directive
error ``FILE:LINE: problem`` (`QAPISchemaError`).

Speed: the lexer is one compiled regular expression per token (no per-character
Python loop on the good path); line numbers are computed only where needed.
"""

from __future__ import annotations

import bisect
import os.path
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn, final

import attrs

from ..errors import QAPISchemaError
from ._pragma import Pragma
from ._source import SourceInfo

__all__ = ["ParsedExpr", "Pragma", "SchemaReader", "parse_text"]

#: A parsed value: what QAPI syntax can write.
Value = dict[str, Any] | list[Any] | str | bool

# One token after white space and comments.  Strings are printable ASCII other
# than the quote and the backslash, or the escape \\ (two backslashes).  The
# skip is possessive (Python 3.11): a lexing error must not backtrack through
# every way of splitting the comments before it, which is exponential.
_SKIP: Final = re.compile(r"(?:\s|\#[^\n]*+)*+")
_TOKEN: Final = re.compile(
    r"""(?:\s|\#[^\n]*+)*+(?:
        '(?P<str>(?:[\x20-\x26\x28-\x5b\x5d-\x7e]|\\\\)*)'
      | (?P<punct>[{}:,\[\]])
      | (?P<true>true)
      | (?P<false>false)
      | (?P<end>\Z)
    )""",
    re.VERBOSE,
)
_STRAY: Final = re.compile(r"""[^\[\]{}:,\s'"]+""")


@final
@attrs.frozen
class ParsedExpr:
    """One top-level expression and where it starts (QEMU's ``{'expr': ..., 'info': ...}``)."""

    #: The expression, as parsed (dicts keep their source order).
    expr: dict[str, Any]
    #: Its source: the line of its opening brace.
    info: SourceInfo


class _Tokens:
    """The token stream of one file: kind (``{``, ``'``, ``t``, ``None`` at the end), value, position."""

    __slots__ = ("file", "i", "kinds", "newlines", "parent", "positions", "text", "values")

    def __init__(self, text: str, file: str, parent: SourceInfo | None) -> None:
        self.text = text
        self.file = file
        self.parent = parent
        self.newlines: list[int] | None = None
        kinds: list[str | None] = []
        values: list[str | bool | None] = []
        positions: list[int] = []
        pos = 0
        match = _TOKEN.match
        while True:
            m = match(text, pos)
            if m is None:
                skipped = _SKIP.match(text, pos)
                self._lex_error(skipped.end() if skipped else pos)
            pos = m.end()
            kind = m.lastgroup
            assert kind is not None
            # A string's group excludes its opening quote; the token starts there.
            positions.append(m.start(kind) - 1 if kind == "str" else m.start(kind))
            if kind == "punct":
                kinds.append(m.group(kind))
                values.append(None)
            elif kind == "str":
                kinds.append("'")
                raw = m.group(kind)
                values.append(raw.replace("\\\\", "\\") if "\\" in raw else raw)
            elif kind == "true" or kind == "false":
                kinds.append("t")
                values.append(kind == "true")
            else:  # end
                kinds.append(None)
                values.append(None)
                break
        self.kinds = kinds
        self.values = values
        self.positions = positions
        self.i = 0

    def line_col(self, pos: int) -> tuple[int, int]:
        """
        The 1-based line and column of *pos*, counted as QEMU's ``QAPIParseError`` counts.

        QEMU's tab rule is ``col = (col + 7) % 8 + 1``, which is not a tab stop
        (a tab at column 1 stays at 1); it is copied so the columns agree.
        """
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", self.text)]
        line_index = bisect.bisect_left(self.newlines, pos)
        line_start = self.newlines[line_index - 1] + 1 if line_index else 0
        col = 1
        for ch in self.text[line_start:pos]:
            col = (col + 7) % 8 + 1 if ch == "\t" else col + 1
        return line_index + 1, col

    def info_at(self, index: int) -> SourceInfo:
        """The source info of token *index* (its line)."""
        return SourceInfo(self.file, self.line_col(self.positions[index])[0], self.parent)

    def error(self, problem: str) -> QAPISchemaError:
        """A syntax error at the current token."""
        line, col = self.line_col(self.positions[self.i])
        return QAPISchemaError(self.file, line, problem, col)

    def _lex_error(self, pos: int) -> NoReturn:
        line, col = self.line_col(pos)
        text = self.text
        if text[pos] == "'":
            problem = 'missing terminating "\'"'
            esc = False
            for ch in text[pos + 1 :]:
                if ch == "\n":
                    break
                if esc:
                    if ch != "\\":
                        problem = f"unknown escape \\{ch}"
                        break
                    esc = False
                    continue
                if ch == "\\":
                    esc = True
                    continue
                if ch == "'":
                    break  # not reached: a good string matches _TOKEN
                if not 32 <= ord(ch) < 127:
                    problem = "funny character in string"
                    break
        else:
            stray = _STRAY.match(text, pos)
            problem = f"stray '{stray.group(0) if stray else text[pos]}'"
        raise QAPISchemaError(self.file, line, problem, col)

    # -- the grammar (QEMU's get_expr / get_members / get_values) ------------------

    def value(self) -> Value:
        kind = self.kinds[self.i]
        if kind == "{":
            self.i += 1
            return self.members()
        if kind == "[":
            self.i += 1
            return self.values_()
        if kind == "'" or kind == "t":
            value = self.values[self.i]
            assert value is not None
            self.i += 1
            return value
        raise self.error("expected '{', '[', string, or boolean")

    def members(self) -> dict[str, Any]:
        kinds, values = self.kinds, self.values
        result: dict[str, Any] = {}
        if kinds[self.i] == "}":
            self.i += 1
            return result
        if kinds[self.i] != "'":
            raise self.error("expected string or '}'")
        while True:
            key = values[self.i]
            assert isinstance(key, str)
            self.i += 1
            if kinds[self.i] != ":":
                raise self.error("expected ':'")
            self.i += 1
            if key in result:
                raise self.error(f"duplicate key '{key}'")
            result[key] = self.value()
            if kinds[self.i] == "}":
                self.i += 1
                return result
            if kinds[self.i] != ",":
                raise self.error("expected ',' or '}'")
            self.i += 1
            if kinds[self.i] != "'":
                raise self.error("expected string")

    def values_(self) -> list[Any]:
        kinds = self.kinds
        result: list[Any] = []
        if kinds[self.i] == "]":
            self.i += 1
            return result
        if kinds[self.i] not in ("{", "[", "'", "t"):
            raise self.error("expected '{', '[', ']', string, or boolean")
        while True:
            result.append(self.value())
            if kinds[self.i] == "]":
                self.i += 1
                return result
            if kinds[self.i] != ",":
                raise self.error("expected ',' or ']'")
            self.i += 1


def parse_text(text: str, file: str, parent: SourceInfo | None = None) -> list[tuple[Value, SourceInfo]]:
    """
    Parse one file's text into its top-level values, directives not yet handled.

    Raises:
        QAPISchemaError: a syntax error (``FILE:LINE:COL: problem``).
    """
    tokens = _Tokens(text, file, parent)
    result: list[tuple[Value, SourceInfo]] = []
    while tokens.kinds[tokens.i] is not None:
        start = tokens.i
        result.append((tokens.value(), tokens.info_at(start)))
    return result


#: Reads a schema file by name; raises OSError when it cannot.
Reader = Callable[[str], str]


def _read_file(name: str) -> str:
    with open(name, encoding="utf-8") as fp:
        return fp.read()


class SchemaReader:
    """
    Read a root schema file and every file it includes, as QEMU's parser does.

    Args:
        read: returns a file's text by name (default: the file system);
            raises `OSError` when it cannot.

    After `read_root`, `exprs` holds the definitions and include markers in
    source order (an include's marker ``{'include': NAME}`` comes right before
    the included file's definitions), `files` the files read, `pragma` the
    pragmas.
    """

    def __init__(self, read: Reader = _read_file) -> None:
        self._read = read
        #: The definitions and include markers, in source order.
        self.exprs: list[ParsedExpr] = []
        #: The names of the files read, in reading order (normalized).
        self.files: list[str] = []
        #: The pragma settings met.
        self.pragma = Pragma()
        self._included: set[str] = set()

    def read_root(self, file: str) -> None:
        """
        Read *file* and its includes.

        Raises:
            OSError: *file* itself cannot be read.
            QAPISchemaError: a syntax or directive error.
        """
        self._add_file(file, self._read(file), None)

    def read_text(self, text: str, file: str) -> None:
        """Read *text* as the contents of the file *file* (its includes relative to it)."""
        self._add_file(file, text, None)

    def _add_file(self, file: str, text: str, parent: SourceInfo | None) -> None:
        self._included.add(os.path.normpath(file))
        self.files.append(os.path.normpath(file))
        for value, info in parse_text(text, file, parent):
            if not isinstance(value, dict):
                raise info.error("top-level expression must be an object")
            if "include" in value:
                self._include(value, info)
            elif "pragma" in value:
                self._pragma(value, info)
            else:
                self.exprs.append(ParsedExpr(value, info))

    def _include(self, expr: dict[str, Any], info: SourceInfo) -> None:
        if len(expr) != 1:
            raise info.error("invalid 'include' directive")
        include = expr["include"]
        if not isinstance(include, str):
            raise info.error("value of 'include' must be a string")
        name = os.path.join(os.path.dirname(info.file), include)
        key = os.path.normpath(name)
        where: SourceInfo | None = info
        while where is not None:
            if os.path.normpath(where.file) == key:
                raise info.error(f"inclusion loop for {include}")
            where = where.parent
        self.exprs.append(ParsedExpr({"include": name}, info))
        if key in self._included:
            return
        try:
            text = self._read(name)
        except OSError as err:
            msg = f"can't read include file '{name}': {err.strerror}"
            raise info.error(msg) from err
        self._add_file(name, text, info)

    def _pragma(self, expr: dict[str, Any], info: SourceInfo) -> None:
        if len(expr) != 1:
            raise info.error("invalid 'pragma' directive")
        pragma = expr["pragma"]
        if not isinstance(pragma, dict):
            raise info.error("value of 'pragma' must be an object")
        for name, value in pragma.items():
            if name == "doc-required":
                if not isinstance(value, bool):
                    raise info.error("pragma 'doc-required' must be boolean")
                self.pragma.doc_required = value
                continue
            attr = name.replace("-", "_")
            if name not in ("command-name-exceptions", "command-returns-exceptions", "member-name-exceptions"):
                raise info.error(f"unknown pragma '{name}'")
            if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
                raise info.error(f"pragma {name} must be a list of strings")
            getattr(self.pragma, attr).extend(value)
