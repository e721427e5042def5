"""`install_builtin_types`: the built-in QOM types of every layer, into any registry."""

from __future__ import annotations

from .qom._registry import TypeRegistry

__all__ = ["install_builtin_types"]


def install_builtin_types(registry: TypeRegistry) -> None:
    """
    Register qom_py's built-in types in *registry*, in `default_registry`'s order; those it has are left alone.

    ``chardev`` and ``chardev-socket``, ``user-creatable``, ``event-loop-base``,
    ``main-loop`` and ``iothread``: a new `TypeRegistry` then takes
    ``--object iothread,id=io0`` as the default one does.  `default_registry`
    has them already (registered on first lookup, see `TypeRegistry.register_lazy`).
    """
    from .daemon._chardev import install_chardev_types
    from .loop import install_event_loop_types
    from .qom._user_creatable import install_user_creatable

    install_chardev_types(registry)
    install_user_creatable(registry)
    install_event_loop_types(registry)
