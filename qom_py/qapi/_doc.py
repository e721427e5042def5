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

The parser (`qom_py.qapi._parser`) hands a block's lines to `read_block`,
with a way to find where each line is, so that a malformed line is reported
at its place as QEMU reports it (``FILE:LINE:COL: problem``); the schema
(`qom_py.qapi._schema`) connects each definition's members and features
(`connect_member`, `connect_feature`) and then checks that nothing documented
is missing (`check`).  Texts keep QEMU's form: lines without the ``# `` and
without the indentation of their section's first line, stripped at both ends.

Speed: `read_block` is QEMU's ``QAPIDoc.append`` and its ``_append_*_line``
helpers in one loop, with the state in local variables; QEMU's structure is
kept in the order of the tests, and each branch names the QEMU method it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, NoReturn

from ._source import SourceInfo

__all__ = ["ArgSection", "QAPIDoc", "Section", "read_block"]

#: The tags that start a tagged section (QEMU's ``_is_section_tag``).
SECTION_TAGS: Final = frozenset(("Returns:", "Since:", "Note:", "Notes:", "Example:", "Examples:", "TODO:"))

_SYMBOL_HEAD: Final = re.compile(r"@\S*:\s*")
_TAG_HEAD: Final = re.compile(r"\S*:\s*")
_SYMBOL_WORD: Final = re.compile(r"(@\S+:)")


#: Where the block's line *n* (0: the opening ``##``) is: its source info and column.
Locate = Callable[[int], tuple[SourceInfo, int]]

# The parts of a definition doc, in order (QEMU's _append_line methods).
_BODY, _ARGS, _FEATURES, _VARIOUS = range(4)


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
    state = _BODY
    section = doc.body
    for n in range(1, len(lines)):
        line = lines[n]
        doc._line = n
        if line[:2] == "##":  # get_doc(): the end
            if line != "##":
                doc.fail("junk after '##' at end of documentation comment")
            doc.end_comment()
            docs.append(doc)
            return docs
        if line[:3] == "# =":  # get_doc(): a heading
            if doc.symbol:
                doc.fail("unexpected '=' markup in definition documentation")
            if doc.body.text:
                doc.end_comment()
                docs.append(doc)
                doc = QAPIDoc(info, locate)
                doc._line = n
                state = _BODY
                section = doc.body
        # append()
        line = line[1:]
        if line:
            if line[0] != " ":
                doc.fail("missing space after #")
            line = line[1:]
            name = line.partition(" ")[0]
            symbol_line = name[:1] == "@" and name[-1:] == ":"
            if state == _BODY:  # _append_body_line()
                if not doc.symbol and not doc.body.text and line[:1] == "@":
                    if line[-1:] != ":":
                        doc.fail("line should end with ':'")
                    doc.symbol = line[1:-1]
                    if not doc.symbol:
                        doc.fail("name required after '@'")
                    continue
                if doc.symbol:
                    if symbol_line:
                        state = _ARGS  # and on as _append_args_line()
                    elif line == "Features:":
                        state = _FEATURES
                        continue
                    elif name in SECTION_TAGS:
                        state = _VARIOUS  # and on as _append_various_line()
            elif state == _ARGS or state == _FEATURES:  # _append_args_line(), _append_features_line()
                if not symbol_line and name not in SECTION_TAGS:
                    if line and not line[0].isspace() and section.text.endswith("\n\n"):
                        if state == _ARGS and line == "Features:":
                            state = _FEATURES
                            continue
                        section = doc._start_section()
                        state = _VARIOUS
                elif not symbol_line:
                    state = _VARIOUS
            if state == _ARGS or state == _FEATURES:
                if symbol_line:
                    # "@arg:   text": the text's column is the indent of the lines
                    # after it; a bare "@arg:" sets none.
                    head = _SYMBOL_HEAD.match(line)
                    assert head is not None
                    indent = head.end()
                    line = line[indent:]
                    if line:
                        line = " " * indent + line
                    else:
                        indent = 0
                    section = doc._start_symbol_section(
                        doc.args if state == _ARGS else doc.features, name[1:-1], indent
                    )
            elif state == _VARIOUS:  # _append_various_line()
                if symbol_line:
                    doc.fail(f"'{name}' can't follow '{doc.sections[0].name}' section")
                if name in SECTION_TAGS:
                    head = _TAG_HEAD.match(line)
                    assert head is not None
                    indent = head.end()
                    line = line[indent:]
                    if line:
                        line = " " * indent + line
                    else:
                        indent = 0
                    section = doc._start_section(name[:-1], indent)
            # _append_freeform()
            if line[:1] == "@":
                match = _SYMBOL_WORD.match(line)
                if match:
                    doc.fail(f"'{match.group(1)}' not allowed in free-form documentation")
            # Section.append()
            indent = section._indent
            if line and indent:
                if len(line) - len(line.lstrip()) < indent:
                    doc.fail(f"unexpected de-indent (expected at least {indent} spaces)")
                line = line[indent:]
            section.text += line.rstrip() + "\n"
        else:
            section.text += "\n"
    return None


class Section:
    """One part of a doc comment: the body, a tagged section (*name* is the tag) or an untagged paragraph."""

    __slots__ = ("_indent", "name", "text")

    def __init__(self, name: str | None = None, indent: int = 0) -> None:
        #: The tag (``Returns``, ``Since``, ...), the member or feature name, or None.
        self.name = name
        #: The text, lines joined by newlines (stripped when the section ends).
        self.text = ""
        # Lines after the first must be indented at least this much.
        self._indent = indent


class ArgSection(Section):
    """The section of one member (``@name:``) or feature; `connected` once the schema finds it."""

    __slots__ = ("connected",)

    def __init__(self, name: str, indent: int = 0) -> None:
        super().__init__(name, indent)
        #: True when the definition has the member (or feature) this documents.
        self.connected = False


class QAPIDoc:
    """
    One documentation comment (QEMU's ``QAPIDoc``): a definition's or free-form.

    Made by `read_block`.

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
        self.body = Section()
        #: The member (argument, value, branch) sections by name: documented ones in their order,
        #: then, once connected, an empty one for each undocumented member.
        self.args: dict[str, ArgSection] = {}
        #: The feature sections by name.
        self.features: dict[str, ArgSection] = {}
        #: The tagged and untagged sections after the members and features, in order.
        self.sections: list[Section] = []
        self._section: Section | None = self.body
        self._locate = locate
        self._line = 0

    # -- parsing (see read_block) --------------------------------------------------------

    def fail(self, problem: str) -> NoReturn:
        """Raise QEMU's parse error at the current line of the block."""
        info, col = self._locate(self._line) if self._locate else (self.info, 1)
        raise info.error(problem, col=col)

    def has_section(self, name: str) -> bool:
        """True when a tagged section *name* (``Returns``, ...) is there."""
        return any(s.name == name for s in self.sections)

    def end_comment(self) -> None:
        """The block ends here (at its closing ``##``)."""
        self._switch_section(None)
        self._locate = None  # the parser's: the doc outlives it

    def _start_symbol_section(self, symbols: dict[str, ArgSection], name: str, indent: int) -> ArgSection:
        if not name:
            self.fail("invalid parameter name")
        if name in symbols:
            self.fail(f"'{name}' parameter name duplicated")
        assert not self.sections
        section = ArgSection(name, indent)
        self._switch_section(section)
        symbols[name] = section
        return section

    def _start_section(self, name: str | None = None, indent: int = 0) -> Section:
        if name in ("Returns", "Since") and self.has_section(name):
            self.fail(f"duplicated '{name}' section")
        section = Section(name, indent)
        self._switch_section(section)
        self.sections.append(section)
        return section

    def _switch_section(self, section: Section | None) -> None:
        old = self._section
        assert old is not None
        text = old.text = old.text.strip()
        # Only the body may be empty: other sections exist because a line started them.
        if old is not self.body and not text:
            assert old.name
            self.fail(f"empty doc section '{old.name}'")
        self._section = section

    # -- connecting to the definition -----------------------------------------------------

    def connect_member(self, name: str) -> None:
        """The definition has member *name*: its section is connected (an empty one made if undocumented)."""
        section = self.args.get(name)
        if section is None:
            section = self.args[name] = ArgSection(name)
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
