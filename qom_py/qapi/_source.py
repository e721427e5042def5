"""Where a schema definition comes from: QEMU's ``QAPISourceInfo`` (scripts/qapi/source.py)."""

from __future__ import annotations

from typing import final

import attrs

from ..errors import QAPISchemaError

__all__ = ["SourceInfo"]


@final
@attrs.frozen
class SourceInfo:
    """
    A place in a schema source: file, line, the file that included it, the definition there.

    Models QEMU's ``QAPISourceInfo`` (without the pragma, which lives on the
    schema).  Built-in entities have no source info (``None``); implicit ones
    carry the info of the definition that made them, as QEMU's do.
    """

    #: The file's name, as given to the reader or joined from the including file.
    file: str
    #: The 1-based line.
    line: int
    #: The info of the ``include`` directive that read *file*, or None at the root.
    parent: SourceInfo | None = attrs.field(default=None, repr=False)
    #: The kind of the definition at this place (``struct``, ``command``, ...), once known.
    defn_meta: str | None = attrs.field(default=None, repr=False)
    #: The name of the definition at this place, once known.
    defn_name: str | None = attrs.field(default=None, repr=False)

    def in_definition(self, meta: str, name: str) -> SourceInfo:
        """This place, known to hold the definition *meta* *name* (QEMU's ``set_defn``)."""
        return SourceInfo(self.file, self.line, self.parent, meta, name)

    @property
    def context(self) -> str:
        """
        QEMU's lines before a message at this place, each ending in a newline.

        ``In file included from FILE:LINE:`` for each include on the way here,
        outermost first, then ``FILE: In struct 'X':`` inside a definition.
        """
        text = ""
        parent = self.parent
        while parent is not None:
            text = f"In file included from {parent}:\n{text}"
            parent = parent.parent
        if self.defn_name is not None:
            text += f"{self.file}: In {self.defn_meta} '{self.defn_name}':\n"
        return text

    def error(self, problem: str, hint: str | None = None, col: int | None = None) -> QAPISchemaError:
        """Return a `QAPISchemaError` at this place (``FILE:LINE: problem``, ``FILE:LINE:COL: ...`` with *col*)."""
        return QAPISchemaError(self.file, self.line, problem, col, hint=hint, context=self.context)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"
