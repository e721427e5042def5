"""Sphinx configuration of qom_py's documentation (``sphinx-build -W -b html docs docs/_build/html``)."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document the checkout being built

import qom_py  # noqa: E402

project = "qom_py"
author = "qom_py developers"
copyright = "2026, qom_py developers"  # noqa: A001 - Sphinx's name
release = qom_py.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",  # the docstrings' Args:/Returns:/Raises: sections
]
default_role = "py:obj"  # `Name` in docstrings is a cross-reference, as in attrs' docs
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []

# -- intersphinx: Python's docs, without needing the network ------------------------------
#
# The first location is python.org's inventory; the fallback is a small inventory of
# the Python names these pages refer to, written here at build time.  With
# QOM_PY_DOCS_OFFLINE=1 (the tests) only the fallback is used, so nothing is fetched.

#: (name, role, URI below https://docs.python.org/3/) of the Python objects the docs cite.
_PYTHON_NAMES = [
    ("asyncio", "py:module", "library/asyncio.html#module-$"),
    ("asyncio.Future", "py:class", "library/asyncio-future.html#$"),
    ("asyncio.AbstractEventLoop", "py:class", "library/asyncio-eventloop.html#$"),
    ("asyncio.run_coroutine_threadsafe", "py:function", "library/asyncio-task.html#$"),
    ("concurrent.futures.ThreadPoolExecutor", "py:class", "library/concurrent.futures.html#$"),
    ("importlib.metadata", "py:module", "library/importlib.metadata.html#module-$"),
    ("logging", "py:module", "library/logging.html#module-$"),
    ("logging.NullHandler", "py:class", "library/logging.handlers.html#$"),
    ("logging.Logger", "py:class", "library/logging.html#$"),
    ("threading.Thread", "py:class", "library/threading.html#$"),
    ("typing.Protocol", "py:class", "library/typing.html#$"),
    ("type", "py:class", "library/functions.html#$"),
    ("json", "py:module", "library/json.html#module-$"),
    ("str", "py:class", "library/stdtypes.html#$"),
    ("int", "py:class", "library/functions.html#$"),
    ("bool", "py:class", "library/functions.html#$"),
    ("dict", "py:class", "library/stdtypes.html#$"),
    ("list", "py:class", "library/stdtypes.html#$"),
    ("Exception", "py:exception", "library/exceptions.html#$"),
    ("AttributeError", "py:exception", "library/exceptions.html#$"),
]


def _python_inventory() -> str:
    lines = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in _PYTHON_NAMES)
    header = "# Sphinx inventory version 2\n# Project: Python\n# Version: 3\n# The remainder of this file is compressed using zlib.\n"
    path = Path(tempfile.gettempdir()) / f"qom-py-docs-python-{os.getuid()}.inv"
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


_fallback = _python_inventory()
_locations = (_fallback,) if os.environ.get("QOM_PY_DOCS_OFFLINE") else (None, _fallback)
intersphinx_mapping = {"python": ("https://docs.python.org/3", _locations)}
intersphinx_timeout = 5


# -- builtins named like attributes --------------------------------------------------------
#
# A type in a field list (``type[Object]`` under "Parameters") is a "refspecific"
# cross-reference, which Sphinx also resolves against any documented attribute of that
# name: ``type`` would be `ObjectProperty.type` or `qom_py.qapi.Member.type` (ambiguous,
# a warning).  These names mean the builtins, found in the Python inventory above.

_BUILTIN_TARGETS = frozenset({"type"})


def _builtins_are_builtins(app, doctree):  # type: ignore[no-untyped-def]
    from sphinx import addnodes

    for node in doctree.findall(addnodes.pending_xref):
        if node.get("refdomain") == "py" and node.get("reftarget") in _BUILTIN_TARGETS and "refspecific" in node:
            del node["refspecific"]


# -- private bases --------------------------------------------------------------------------
#
# `Object` and `ObjectClass` get their property builders and tree methods from private
# mixins (``PropertyBuilders``, ``TreeMixin``).  Their methods are listed on the public
# classes (``:inherited-members:`` in api.rst); the mixins themselves are left out of
# "Bases:", where they would be names documented nowhere.

#: The modules whose names are public (api.rst documents them).
_PUBLIC_MODULES = (
    "qom_py", "qom_py.errors", "qom_py.loop", "qom_py.qmp", "qom_py.qapi", "qom_py.qapi.introspect",
    "qom_py.testing", "qom_py.pytest_plugin",
)  # fmt: skip


def _is_public(cls: type) -> bool:
    if cls.__module__.split(".")[0] != "qom_py":
        return True  # object, Exception, typing.Protocol, ...
    return any(getattr(importlib.import_module(m), cls.__name__, None) is cls for m in _PUBLIC_MODULES)


def _public_bases(app, name, obj, options, bases):  # type: ignore[no-untyped-def]
    public = [base for base in bases if not isinstance(base, type) or _is_public(base)]
    bases[:] = public or [object]


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("doctree-read", _builtins_are_builtins)
    app.connect("autodoc-process-bases", _public_bases)
