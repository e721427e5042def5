"""
The object model, as QEMU's ``qom/``: type info, the registry, objects and classes,
properties, the tree, the ``user-creatable`` interface and the object schema.

Everything public is re-exported by `qom_py`; the modules here are private.
"""
