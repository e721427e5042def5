"""
A Sphinx extension that documents a QAPI schema from its doc comments, as QEMU's ``qapidoc`` does.

``.. qmp-reference:: ../schemas/qom-py.json`` (a path relative to the page) reads
the schema with `qom_py.qapi.QAPISchema.from_file` and writes, in source order,
every free-form doc comment (``= Title`` lines become section titles) and every
definition's doc: its kind, its text, its members (arguments for commands and
events, values for enums, branches for alternates) with their types, its
features and its tagged sections (``Returns:``, ``Since:``, ``Note:``;
``Example:`` as a literal block).  ``@name`` in the text becomes ``name`` in
code style.  The schema files are dependencies of the page: editing one
rebuilds it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

#: Title underlines: the page's title is "=", schema headings "-" and "^", definitions "~".
_HEADING_MARKS = {1: "-", 2: "^"}
_DEFINITION_MARK = "~"
_KIND = {
    "struct": "Object",
    "union": "Object (union)",
    "enum": "Enumeration",
    "alternate": "Alternate",
    "command": "Command",
    "event": "Event",
}
_REF = re.compile(r"@([\w-]+)")
_TYPE_REF = re.compile(r"#(\w+)")
_OPTION = re.compile(r"(?<![\w`-])(--?[a-z][\w-]*)")


def _inline(text: str) -> str:
    """Doc text as rST: ``@name`` and ``#type`` in code style, rST markup characters kept harmless."""
    text = text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")
    text = _OPTION.sub(r"``\1``", text)
    text = _REF.sub(r"``\1``", text)
    return _TYPE_REF.sub(r"``\1``", text)


def _type_text(schema: Any, name: str) -> str:
    typ = schema.lookup_type(name)
    if typ is not None and typ.meta == "array":
        return f"[``{typ.element_type}``]"
    return f"``{name}``"


class QMPReference(SphinxDirective):
    """The ``qmp-reference`` directive: one schema file's documentation."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from qom_py.qapi import QAPISchema

        rel, path = self.env.relfn2path(self.arguments[0])
        schema = QAPISchema.from_file(path)
        for file in schema.files:
            self.env.note_dependency(os.path.abspath(file))
        lines: list[str] = []
        for doc in schema.docs:
            if doc.symbol is None:
                lines += self._free_form(doc.body.text)
            else:
                lines += self._definition(schema, doc)
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=rel), container)
        return list(container.children)

    @staticmethod
    def _free_form(text: str) -> list[str]:
        out: list[str] = []
        for line in text.splitlines():
            match = re.match(r"(=+) (.*)", line)
            if match:
                title = match.group(2)
                out += ["", title, _HEADING_MARKS.get(len(match.group(1)), "^") * len(title), ""]
            else:
                out.append(_inline(line))
        return [*out, ""]

    def _definition(self, schema: Any, doc: Any) -> list[str]:
        entity = schema.lookup(doc.symbol)
        kind = _KIND.get(entity.meta, entity.meta) if entity is not None else "Definition"
        title = f"``{doc.symbol}``"
        out = ["", title, _DEFINITION_MARK * len(title), "", f"*{kind}*", ""]
        if doc.body.text:
            out += [_inline(line) for line in doc.body.text.splitlines()] + [""]
        members = self._members(schema, entity)
        if doc.args:
            heading = "Arguments" if kind in ("Command", "Event") else "Values" if kind == "Enumeration" else "Members"
            out += [f"**{heading}**", ""]
            for name, section in doc.args.items():
                out.append(f"``{name}``{members.get(name, '')}")
                text = section.text or "not documented"
                out += ["   " + _inline(line) if line else "" for line in text.splitlines()] + [""]
        if doc.features:
            out += ["**Features**", ""]
            for name, section in doc.features.items():
                out.append(f"``{name}``")
                out += ["   " + _inline(line) if line else "" for line in section.text.splitlines()] + [""]
        for section in doc.sections:
            out += self._section(section.name, section.text)
        return out

    @staticmethod
    def _members(schema: Any, entity: Any) -> dict[str, str]:
        """Each member's type note (`` (str, optional)``), by name."""
        if entity is None:
            return {}
        if entity.meta in ("command", "event"):
            arg = schema.lookup(entity.arg_type) if entity.arg_type else None
            members = arg.local_members if arg is not None and arg.is_implicit else ()
        elif entity.meta in ("struct", "union"):
            base = schema.lookup(entity.base) if entity.base else None
            members = (*(base.local_members if base is not None and base.is_implicit else ()), *entity.local_members)
        elif entity.meta == "alternate":
            return {v.case: f" ({_type_text(schema, v.type)})" for v in entity.variants.variants}
        else:
            return {}
        return {
            m.name: f" ({_type_text(schema, m.type)}{', optional' if m.optional else ''})" for m in members
        }

    @staticmethod
    def _section(name: str | None, text: str) -> list[str]:
        if name in ("Example", "Examples"):
            return [f"**{name}**", "", "::", "", *("   " + line for line in text.splitlines()), ""]
        body = [_inline(line) for line in text.splitlines()]
        if name is None:
            return [*body, ""]
        if len(body) == 1:
            return [f"**{name}:** {body[0]}", ""]
        return [f"**{name}:**", "", *body, ""]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("qmp-reference", QMPReference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
