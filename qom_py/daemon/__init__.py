"""
``qom-py``, the object daemon (QEMU's ``storage-daemon/``): the command line and what only it uses.

`qom_py.daemon.cli` runs it (``qom-py``, ``python -m qom_py``); ``_cmdline`` parses
options as qemu-storage-daemon does; ``_plugins`` loads users' types; ``_chardev``
is the ``chardev-socket`` type of each ``--chardev``.  Nothing here is imported
by the library layers below.
"""
