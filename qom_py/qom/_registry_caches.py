"""
`RegistryCaches`: what the layers above keep per `TypeRegistry`, one typed field per user.

State that lives and dies with its registry, not in module caches.  The
registry drops the revision-scoped fields (`RegistryCaches.invalidate`) on
every bump of its ``revision``, its one invalidation point; the others follow
the registry's revision themselves (the object schema grows with it, the QAPI
checker with the schema).  This module imports the upper layers' types for
annotations only: the qom layer stays below them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ..qapi import Checker
    from ._object_schema import ObjectSchema
    from ._user_creatable import CreationCache

__all__ = ["RegistryCaches"]


@attrs.define(eq=False)
class RegistryCaches:
    """The per-registry caches (``registry.caches``); None until their module first needs one."""

    #: The registry's `ObjectSchema` (`qom_py.qom._object_schema`): kept for the
    #: registry's life, it follows the revisions itself.
    object_schema: ObjectSchema | None = None
    #: The `Checker` of the registry's QAPI schema (structured property kinds):
    #: kept while the schema is the registry's (definitions added grow both).
    qapi_checker: Checker | None = None
    #: Creation's lookups (`qom_py.qom._user_creatable`): valid for one revision.
    creation: CreationCache | None = None

    def invalidate(self) -> None:
        """Drop what is valid for one revision only (the registry calls it on each bump)."""
        self.creation = None
