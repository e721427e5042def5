"""
A schema's ``pragma`` settings, read by the parser and kept by the schema.

A module of its own so that a schema loaded from the cache (`qom_py.qapi._loader`),
which holds one, needs neither the parser nor the definition checks.
"""

from __future__ import annotations

from typing import final

import attrs

__all__ = ["Pragma"]


@final
@attrs.define
class Pragma:
    """The ``pragma`` settings of a schema (QEMU's ``QAPISchemaPragma``); recorded, not enforced."""

    #: ``doc-required``: definitions need documentation comments.
    doc_required: bool = False
    #: ``command-name-exceptions``: commands allowed to use ``_`` in their names.
    command_name_exceptions: list[str] = attrs.Factory(list)
    #: ``command-returns-exceptions``: commands allowed to return a non-object.
    command_returns_exceptions: list[str] = attrs.Factory(list)
    #: ``member-name-exceptions``: types allowed to use upper case in member names.
    member_name_exceptions: list[str] = attrs.Factory(list)
