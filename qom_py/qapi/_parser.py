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

Documentation comments (``##`` blocks) are parsed and checked as QEMU 7.2
does (`qom_py.qapi._doc.QAPIDoc`): a definition's doc must come right before
it, a doc before a directive or at the end of a file is an error; the reader
keeps the docs (`SchemaReader.docs`) and each definition's doc
(`ParsedExpr.doc`).

Errors are QEMU's: a syntax error is ``FILE:LINE:COL: problem``, a directive
error ``FILE:LINE: problem`` (`QAPISchemaError`).

Hostile files: `read_schema_file` reads regular files only (a FIFO or
``/dev/zero`` is refused, without blocking), of at most `MAX_SCHEMA_SIZE` bytes,
in UTF-8; anything else is an `OSError` (for an include: ``can't read include
file 'x': not a regular file``).  Values nest at most `MAX_SCHEMA_NESTING`
deep (``nesting depth limit exceeded``), so that neither the parser nor the
checks after it run out of Python's stack.

Speed: the lexer is one compiled regular expression per token (no per-character
Python loop on the good path); line numbers are computed only where needed.
"""

from __future__ import annotations

import bisect
import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from typing import Any, Final, NoReturn, final

import attrs

from ..errors import QAPISchemaError
from ._doc import QAPIDoc, read_block
from ._pragma import Pragma
from ._source import SourceInfo

__all__ = [
    "MAX_SCHEMA_NESTING",
    "MAX_SCHEMA_SIZE",
    "ParsedExpr",
    "Pragma",
    "SchemaReader",
    "parse_items",
    "parse_text",
    "read_schema_file",
]

#: The largest schema file read, in bytes (QEMU 7.2's largest, block-core.json, is ~190 KiB).
MAX_SCHEMA_SIZE: Final = 64 << 20
#: How deeply objects and arrays may nest in a schema (QEMU's own schemas: 5 levels).
MAX_SCHEMA_NESTING: Final = 100

#: A parsed value: what QAPI syntax can write.
Value = dict[str, Any] | list[Any] | str | bool

# One token after white space and comments.  Strings are printable ASCII other
# than the quote and the backslash, or the escape \\ (two backslashes).  A
# comment starting ``##`` is a doc comment's first line: a token.  The skip is
# possessive (Python 3.11): a lexing error must not backtrack through every way
# of splitting the comments before it, which is exponential.
_SKIP: Final = re.compile(r"(?:\s|\#(?!\#)[^\n]*+)*+")
_TOKEN: Final = re.compile(
    r"""(?:\s|\#(?!\#)[^\n]*+)*+(?:
        '(?P<str>(?:[\x20-\x26\x28-\x5b\x5d-\x7e]|\\\\)*)'
      | (?P<punct>[{}:,\[\]])
      | (?P<doc>\#\#[^\n]*+)
      | (?P<true>true)
      | (?P<false>false)
      | (?P<end>\Z)
    )""",
    re.VERBOSE,
)
_STRAY: Final = re.compile(r"""[^\[\]{}:,\s'"]+""")
# The rest of a doc comment after its first line: comment lines, then the
# closing '##' line if there is one.
_DOC_BLOCK: Final = re.compile(r"(?:\s*+\#(?!\#)[^\n]*+)*+(?:\s*+\#\#[^\n]*+)?")
_COMMENT: Final = re.compile(r"\#[^\n]*+")


@final
@attrs.frozen
class ParsedExpr:
    """One top-level expression and where it starts (QEMU's ``{'expr': ..., 'info': ..., 'doc': ...}``)."""

    #: The expression, as parsed (dicts keep their source order).
    expr: dict[str, Any]
    #: Its source: the line of its opening brace.
    info: SourceInfo
    #: The doc comment right before it, if any.
    doc: QAPIDoc | None = attrs.field(default=None, eq=False, repr=False)


class _Tokens:
    """
    The token stream of one file: kind, value, position.

    Kinds: a punctuation character, ``'`` (string), ``t`` (boolean), ``#`` (a
    doc comment: its value the position after its last line) and ``None`` at
    the end.
    """

    __slots__ = ("depth", "file", "i", "kinds", "newlines", "parent", "positions", "text", "values")

    def __init__(self, text: str, file: str, parent: SourceInfo | None) -> None:
        self.text = text
        self.file = file
        self.parent = parent
        self.newlines: list[int] | None = None
        kinds: list[str | None] = []
        values: list[str | bool | int | None] = []
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
            elif kind == "doc":
                # The block: up to its closing '##' or the first thing not a comment.
                kinds.append("#")
                block = _DOC_BLOCK.match(text, pos)
                assert block is not None  # the pattern matches the empty string
                pos = block.end()
                values.append(pos)
            else:  # end: QEMU places it at the file's last newline (one is added if missing)
                kinds.append(None)
                values.append(None)
                if text.endswith("\n"):
                    positions[-1] = len(text) - 1
                break
        self.kinds = kinds
        self.values = values
        self.positions = positions
        self.i = 0
        #: The objects and arrays open at the current token.
        self.depth = 0

    def info_of(self, pos: int) -> tuple[SourceInfo, int]:
        """The source info (line) and column of *pos*."""
        line, col = self.line_col(pos)
        return SourceInfo(self.file, line, self.parent), col

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
        return self.info_of(self.positions[index])[0]

    def error(self, problem: str) -> QAPISchemaError:
        """A syntax error at the current token."""
        info, col = self.info_of(self.positions[self.i])
        return info.error(problem, col=col)

    def _lex_error(self, pos: int) -> NoReturn:
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
        info, col = self.info_of(pos)
        raise info.error(problem, col=col)

    def docs(self) -> list[QAPIDoc]:
        """
        The doc comment at the current token, as QEMU's ``get_doc`` reads it (one or more docs).

        Raises:
            QAPISchemaError: a malformed block, at the offending line.
        """
        end = self.values[self.i]
        assert isinstance(end, int)
        start = self.positions[self.i]
        info = self.info_at(self.i)
        self.i += 1

        def locate(index: int) -> tuple[SourceInfo, int]:
            for k, match in enumerate(_COMMENT.finditer(self.text, start, end)):
                if k == index:
                    return self.info_of(match.start())
            raise AssertionError(index)

        docs = read_block(info, _COMMENT.findall(self.text, start, end), locate)
        if docs is None:
            raise self.error("documentation comment must end with '##'")
        return docs

    # -- the grammar (QEMU's get_expr / get_members / get_values) ------------------

    def value(self) -> Value:
        kind = self.kinds[self.i]
        if kind == "{" or kind == "[":
            if self.depth >= MAX_SCHEMA_NESTING:
                raise self.error("nesting depth limit exceeded")
            self.depth += 1
            self.i += 1
            result = self.members() if kind == "{" else self.values_()
            self.depth -= 1
            return result
        if kind == "'" or kind == "t":
            value = self.values[self.i]
            assert isinstance(value, (str, bool))
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


#: One item of a file: a top-level value and its place, or a doc comment.
Item = tuple[Value, SourceInfo] | QAPIDoc


def parse_items(text: str, file: str, parent: SourceInfo | None = None) -> Iterator[Item]:
    """
    Parse one file's text into its top-level values and doc comments, directives not yet handled.

    The values are parsed as they are asked for, so that an error comes where
    QEMU finds it (an included file is read before what follows its include).

    Raises:
        QAPISchemaError: a syntax error (``FILE:LINE:COL: problem``).
    """
    tokens = _Tokens(text, file, parent)
    kinds = tokens.kinds
    while kinds[tokens.i] is not None:
        if kinds[tokens.i] == "#":
            yield from tokens.docs()
            continue
        start = tokens.i
        value = tokens.value()
        yield value, tokens.info_at(start)


def parse_text(text: str, file: str, parent: SourceInfo | None = None) -> list[tuple[Value, SourceInfo]]:
    """
    Parse one file's text into its top-level values (doc comments checked, then dropped).

    Raises:
        QAPISchemaError: a syntax error (``FILE:LINE:COL: problem``).
    """
    return [item for item in parse_items(text, file, parent) if not isinstance(item, QAPIDoc)]


#: Reads a schema file by name; raises OSError when it cannot.
Reader = Callable[[str], str]


def read_schema_file(name: str) -> str:
    """
    The text of the schema file *name*: a regular file of UTF-8, up to `MAX_SCHEMA_SIZE` bytes.

    Opened without blocking (a FIFO has no writer to wait for) and checked
    with ``fstat`` before anything is read.

    Raises:
        OSError: the file cannot be opened, is not a regular file, is too
            large or not UTF-8 (``strerror`` says which, as QEMU's messages show it).
    """
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", name)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SCHEMA_SIZE:  # the size fstat gave may change: read up to the limit
            chunk = os.read(fd, MAX_SCHEMA_SIZE + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_SCHEMA_SIZE:
        raise OSError(errno.EFBIG, f"larger than {MAX_SCHEMA_SIZE >> 20} MiB", name)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise OSError(errno.EILSEQ, f"invalid UTF-8 at line {line}", name) from None


#: The default reader (its old name, which `qom_py.qapi._schema` uses).
_read_file: Final = read_schema_file


def _reject_expr_doc(doc: QAPIDoc | None) -> None:
    if doc is not None and doc.symbol:
        raise doc.info.error(f"documentation for '{doc.symbol}' is not followed by the definition")


class SchemaReader:
    """
    Read a root schema file and every file it includes, as QEMU's parser does.

    Args:
        read: returns a file's text by name (default: the file system);
            raises `OSError` when it cannot.

    After `read_root`, `exprs` holds the definitions and include markers in
    source order (an include's marker ``{'include': NAME}`` comes right before
    the included file's definitions), `docs` the doc comments in the same
    order, `files` the files read, `pragma` the pragmas.
    """

    def __init__(self, read: Reader = _read_file) -> None:
        self._read = read
        #: The definitions and include markers, in source order.
        self.exprs: list[ParsedExpr] = []
        #: The names of the files read, in reading order (normalized).
        self.files: list[str] = []
        #: The doc comments, in source order.
        self.docs: list[QAPIDoc] = []
        #: The pragma settings met.
        self.pragma = Pragma()
        self._included: set[str] = set()

    def read_root(self, file: str) -> None:
        """
        Read *file* and its includes.

        Raises:
            QAPISchemaError: *file* itself cannot be read (QEMU's ``can't read
                schema file``), a syntax or directive error.
        """
        try:
            text = self._read(file)
        except OSError as err:
            raise QAPISchemaError(None, 0, f"can't read schema file '{file}': {err.strerror}") from err
        self._add_file(file, text, None)

    def read_text(self, text: str, file: str) -> None:
        """Read *text* as the contents of the file *file* (its includes relative to it)."""
        self._add_file(file, text, None)

    def _add_file(self, file: str, text: str, parent: SourceInfo | None) -> None:
        self._included.add(os.path.normpath(file))
        self.files.append(os.path.normpath(file))
        # QEMU's QAPISchemaParser._parse(): a definition's doc comes right before it.
        doc: QAPIDoc | None = None
        for item in parse_items(text, file, parent):
            if isinstance(item, QAPIDoc):
                _reject_expr_doc(doc)
                doc = item
                self.docs.append(item)
                continue
            value, info = item
            if not isinstance(value, dict):
                raise info.error("top-level expression must be an object")
            if "include" in value:
                _reject_expr_doc(doc)
                self._include(value, info)
            elif "pragma" in value:
                _reject_expr_doc(doc)
                self._pragma(value, info)
            else:
                if doc is not None and not doc.symbol:
                    raise doc.info.error("definition documentation required")
                self.exprs.append(ParsedExpr(value, info, doc))
            doc = None
        _reject_expr_doc(doc)

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
