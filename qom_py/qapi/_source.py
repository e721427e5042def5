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
    A place in a schema source: file, line and the file that included it.

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

    def error(self, problem: str, hint: str | None = None) -> QAPISchemaError:
        """Return a `QAPISchemaError` at this place (``FILE:LINE: problem``)."""
        return QAPISchemaError(self.file, self.line, problem, hint=hint)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"
