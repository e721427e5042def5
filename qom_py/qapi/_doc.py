"""
Documentation comments: QEMU 7.2's ``QAPIDoc`` (scripts/qapi/parser.py).

A doc comment is a block of ``#`` lines between a ``##`` line and the next
``##`` line.  A *definition* block starts with ``@NAME:`` and documents the
definition that follows it: its body text, one ``@member:`` section per member
(or argument, or enum value, or alternate branch), a ``Features:`` part with
one ``@feature:`` section per feature, then tagged sections (``Returns:``,
``Since:``, ``Note:``, ``Example:``, ...) and untagged paragraphs.  Any other
block is *free-form* text (headings ``= Title``); a ``# =`` heading line starts
a new free-form doc.

The parser (`qom_py.qapi._parser`) feeds a block's lines to `QAPIDoc.append`
and says where each line is (`QAPIDoc.at`), so that a malformed line is reported
at its place as QEMU reports it (``FILE:LINE:COL: problem``); the schema
(`qom_py.qapi._schema`) connects each definition's members and features
(`connect_member`, `connect_feature`) and then checks that nothing documented
is missing (`check`).  Texts keep QEMU's form: lines without the ``# `` and
without the indentation of their section's first line, stripped at both ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, NoReturn

from ._source import SourceInfo

__all__ = ["ArgSection", "QAPIDoc", "Section", "read_block"]

#: The tags that start a tagged section (QEMU's ``_is_section_tag``).
SECTION_TAGS: Final = frozenset(("Returns:", "Since:", "Note:", "Notes:", "Example:", "Examples:", "TODO:"))

# First characters of a line that the fast path leaves to the full rules.
_SPECIAL_FIRST: Final = frozenset("@=")
_SYMBOL_HEAD: Final = re.compile(r"@\S*:\s*")
_TAG_HEAD: Final = re.compile(r"\S*:\s*")
_SYMBOL_WORD: Final = re.compile(r"(@\S+:)")


#: Where the block's line *n* (0: the opening ``##``) is: its source info and column.
Locate = Callable[[int], tuple[SourceInfo, int]]


def read_block(info: SourceInfo, lines: list[str], locate: Locate) -> list[QAPIDoc] | None:
    """
    Read a doc comment block as QEMU's ``get_doc`` does: one doc, or several.

    *lines* are the block's comment lines, from its opening ``##`` to its
    closing ``##`` if it has one; a ``# =`` heading line after text starts a
    new free-form doc.  None when the block does not end (the caller reports
    it at what follows).

    Raises:
        QAPISchemaError: a malformed line, at its place.
    """
    doc = QAPIDoc(info, locate)
    if lines[0] != "##":
        doc.fail("junk after '##' at start of documentation comment")
    docs = []
    for n in range(1, len(lines)):
        line = lines[n]
        # Fast path, inlined for speed: a line of plain text of the current
        # section (no '@' first, no 'Tag:' word, not a paragraph that could
        # start a new section, not indented less than the section wants).
        if line == "#":
            doc._section.text += "\n"
            continue
        text = line[2:]
        if (
            line[1:2] == " "
            and text[:1] not in _SPECIAL_FIRST
            and (":" not in text or text.partition(" ")[0][-1:] != ":")
            and not (doc._after_members and text[:1].strip() and doc._section.text.endswith("\n\n"))
        ):
            section = doc._section
            indent = section._indent
            if not indent:
                section.text += text.rstrip() + "\n"
                continue
            if not text or len(text) - len(text.lstrip()) >= indent:
                section.text += text[indent:].rstrip() + "\n"
                continue
        doc._line = n
        if line[:2] == "##":
            if line != "##":
                doc.fail("junk after '##' at end of documentation comment")
            doc.end_comment()
            docs.append(doc)
            return docs
        if line[:3] == "# =":
            if doc.symbol:
                doc.fail("unexpected '=' markup in definition documentation")
            if doc.body.text:
                doc.end_comment()
                docs.append(doc)
                doc = QAPIDoc(info, locate)
                doc._line = n
        doc.append(line)
    return None


class Section:
    """One part of a doc comment: the body, a tagged section (*name* is the tag) or an untagged paragraph."""

    __slots__ = ("_doc", "_indent", "name", "text")

    def __init__(self, doc: QAPIDoc, name: str | None = None, indent: int = 0) -> None:
        self._doc = doc
        #: The tag (``Returns``, ``Since``, ...), the member or feature name, or None.
        self.name = name
        #: The text, lines joined by newlines (stripped when the section ends).
        self.text = ""
        # Lines after the first must be indented at least this much.
        self._indent = indent

    def append(self, line: str) -> None:
        """Add a line, without the indentation the section's first line set."""
        if line and self._indent:
            if len(line) - len(line.lstrip()) < self._indent:
                self._doc.fail(f"unexpected de-indent (expected at least {self._indent} spaces)")
            line = line[self._indent :]
        self.text += line.rstrip() + "\n"


class ArgSection(Section):
    """The section of one member (``@name:``) or feature; `connected` once the schema finds it."""

    __slots__ = ("connected",)

    def __init__(self, doc: QAPIDoc, name: str, indent: int = 0) -> None:
        super().__init__(doc, name, indent)
        #: True when the definition has the member (or feature) this documents.
        self.connected = False


class _NullSection(Section):
    """What follows the end of a block: nothing may be added."""

    __slots__ = ()

    def append(self, line: str) -> None:
        raise AssertionError("text appended after the end of a doc comment")


class QAPIDoc:
    """
    One documentation comment (QEMU's ``QAPIDoc``): a definition's or free-form.

    Args:
        info: where the block starts (its ``##`` line).
        locate: the source info and column of the block's line *n* (for errors).
    """

    def __init__(self, info: SourceInfo, locate: Locate | None = None) -> None:
        #: Where the block starts: its ``##`` line.
        self.info = info
        #: The name of the definition documented (``@NAME:``), or None for free-form text.
        self.symbol: str | None = None
        #: The text before any member or tagged section.
        self.body = Section(self)
        #: The member (argument, value, branch) sections by name: documented ones in their order,
        #: then, once connected, an empty one for each undocumented member.
        self.args: dict[str, ArgSection] = {}
        #: The feature sections by name.
        self.features: dict[str, ArgSection] = {}
        #: The tagged and untagged sections after the members and features, in order.
        self.sections: list[Section] = []
        self._section: Section = self.body
        self._append_line: Callable[[str], None] = self._append_body_line
        # In a member or feature section, where a paragraph after a blank line starts a new section.
        self._after_members = False
        self._locate = locate
        self._line = 0

    # -- parsing -----------------------------------------------------------------------

    def fail(self, problem: str) -> NoReturn:
        """Raise QEMU's parse error at the current line of the block."""
        info, col = self._locate(self._line) if self._locate else (self.info, 1)
        raise info.error(problem, col=col)

    def has_section(self, name: str) -> bool:
        """True when a tagged section *name* (``Returns``, ...) is there."""
        return any(s.name == name for s in self.sections)

    def append(self, line: str) -> None:
        """Add one comment line (``# text``, ``#`` included)."""
        line = line[1:]
        if not line:
            self._section.append(line)
            return
        if line[0] != " ":
            self.fail("missing space after #")
        line = line[1:]
        # Fast path: most lines are plain text of the current section (no '@', no
        # 'Tag:' word, no paragraph that could start a new section).
        if (
            line[:1] != "@"
            and line.partition(" ")[0][-1:] != ":"
            and not (self._after_members and line[:1].strip() and self._section.text.endswith("\n\n"))
        ):
            self._section.append(line)
            return
        self._append_line(line)

    def end_comment(self) -> None:
        """The block ends here (at its closing ``##``)."""
        self._switch_section(_NullSection(self))
        self._locate = None  # the parser's: the doc outlives it (and is pickled with the schema)

    def _append_body_line(self, line: str) -> None:
        name = line.split(" ", 1)[0]
        # As in QEMU, '#  @foo:' and '# @foo: ' are not recognized: they are plain text.
        if not self.symbol and not self.body.text and line.startswith("@"):
            if not line.endswith(":"):
                self.fail("line should end with ':'")
            self.symbol = line[1:-1]
            if not self.symbol:
                self.fail("name required after '@'")
        elif self.symbol:
            if name.startswith("@") and name.endswith(":"):
                self._append_line = self._append_args_line
                self._after_members = True
                self._append_args_line(line)
            elif line == "Features:":
                self._append_line = self._append_features_line
                self._after_members = True
            elif name in SECTION_TAGS:
                self._append_line = self._append_various_line
                self._append_various_line(line)
            else:
                self._append_freeform(line)
        else:
            self._append_freeform(line)

    @staticmethod
    def _symbol_head(line: str) -> tuple[str, int]:
        # "@arg:   text": the text's column is the indent of the lines after it;
        # a bare "@arg:" sets none.
        head = _SYMBOL_HEAD.match(line)
        assert head is not None
        indent = head.end()
        rest = line[indent:]
        if not rest:
            return rest, 0
        return " " * indent + rest, indent

    def _append_args_line(self, line: str) -> None:
        name = line.split(" ", 1)[0]
        if name.startswith("@") and name.endswith(":"):
            line, indent = self._symbol_head(line)
            self._start_symbol_section(self.args, name[1:-1], indent)
        elif name in SECTION_TAGS:
            self._append_line = self._append_various_line
            self._after_members = False
            self._append_various_line(line)
            return
        elif self._section.text.endswith("\n\n") and line and not line[0].isspace():
            if line == "Features:":
                self._append_line = self._append_features_line
            else:
                self._start_section()
                self._append_line = self._append_various_line
                self._after_members = False
                self._append_various_line(line)
            return
        self._append_freeform(line)

    def _append_features_line(self, line: str) -> None:
        name = line.split(" ", 1)[0]
        if name.startswith("@") and name.endswith(":"):
            line, indent = self._symbol_head(line)
            self._start_symbol_section(self.features, name[1:-1], indent)
        elif name in SECTION_TAGS:
            self._append_line = self._append_various_line
            self._after_members = False
            self._append_various_line(line)
            return
        elif self._section.text.endswith("\n\n") and line and not line[0].isspace():
            self._start_section()
            self._append_line = self._append_various_line
            self._after_members = False
            self._append_various_line(line)
            return
        self._append_freeform(line)

    def _append_various_line(self, line: str) -> None:
        name = line.split(" ", 1)[0]
        if name.startswith("@") and name.endswith(":"):
            self.fail(f"'{name}' can't follow '{self.sections[0].name}' section")
        if name in SECTION_TAGS:
            head = _TAG_HEAD.match(line)
            assert head is not None
            indent = head.end()
            line = line[indent:]
            if not line:
                indent = 0
            else:
                line = " " * indent + line
            self._start_section(name[:-1], indent)
        self._append_freeform(line)

    def _start_symbol_section(self, symbols: dict[str, ArgSection], name: str, indent: int) -> None:
        if not name:
            self.fail("invalid parameter name")
        if name in symbols:
            self.fail(f"'{name}' parameter name duplicated")
        assert not self.sections
        section = ArgSection(self, name, indent)
        self._switch_section(section)
        symbols[name] = section

    def _start_section(self, name: str | None = None, indent: int = 0) -> None:
        if name in ("Returns", "Since") and self.has_section(name):
            self.fail(f"duplicated '{name}' section")
        section = Section(self, name, indent)
        self._switch_section(section)
        self.sections.append(section)

    def _switch_section(self, section: Section) -> None:
        text = self._section.text = self._section.text.strip()
        # Only the body may be empty: other sections exist because a line started them.
        if self._section is not self.body and not text:
            assert self._section.name
            self.fail(f"empty doc section '{self._section.name}'")
        self._section = section

    def _append_freeform(self, line: str) -> None:
        match = _SYMBOL_WORD.match(line) if line.startswith("@") else None
        if match:
            self.fail(f"'{match.group(1)}' not allowed in free-form documentation")
        self._section.append(line)

    # -- connecting to the definition -----------------------------------------------------

    def connect_member(self, name: str) -> None:
        """The definition has member *name*: its section is connected (an empty one made if undocumented)."""
        section = self.args.get(name)
        if section is None:
            section = self.args[name] = ArgSection(self, name)
        section.connected = True

    def connect_feature(self, name: str, info: SourceInfo) -> None:
        """
        The definition (at *info*) has feature *name*.

        Raises:
            QAPISchemaError: the feature is not documented.
        """
        section = self.features.get(name)
        if section is None:
            raise info.error(f"feature '{name}' lacks documentation")
        section.connected = True

    def check_expr(self, meta: str) -> None:
        """
        Check the doc against the kind of its definition.

        Raises:
            QAPISchemaError: a ``Returns:`` section on anything but a command.
        """
        if self.has_section("Returns") and meta != "command":
            raise self.info.error("'Returns:' is only valid for commands")

    def check(self) -> None:
        """
        Check that everything documented exists (after connecting).

        Raises:
            QAPISchemaError: a documented member or feature is not the definition's.
        """
        for symbols, what in ((self.args, "member"), (self.features, "feature")):
            bogus = [name for name, section in symbols.items() if not section.connected]
            if bogus:
                many = len(bogus) > 1
                names = "', '".join(bogus)
                raise self.info.error(
                    f"documented {what}{'s' if many else ''} '{names}' {'do' if many else 'does'} not exist"
                )

    def __repr__(self) -> str:
        return f"QAPIDoc({self.symbol or 'free-form'!r}, {self.info})"
