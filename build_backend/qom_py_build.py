"""
qom-py's build backend: setuptools' ``build_meta``, run on a copy of the source tree.

pip (21.3 on) builds a local directory in place, and setuptools writes its working
files beside ``pyproject.toml`` (``build/``, ``qom_py.egg-info/``), so ``pip install .``
left them in the checkout.  Here every hook that runs setuptools' commands for a
wheel or an sdist runs them in a temporary copy of the tree, which is then removed.
Editable installs run in place: they must point at the tree itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from setuptools import build_meta as _setuptools  # type: ignore[import-untyped]
from setuptools.build_meta import (  # type: ignore[import-untyped]  # editable installs: in place
    build_editable,
    get_requires_for_build_editable,
    prepare_metadata_for_build_editable,
)

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

#: Never copied: version control, caches, earlier builds' leftovers.
_SKIP = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "_build"
)


def _ignore(directory: str, names: list[str]) -> set[str]:
    skipped = set(_SKIP(directory, names))
    # Virtual environments (any name): not part of the source, and possibly large.
    skipped.update(n for n in names if os.path.isfile(os.path.join(directory, n, "pyvenv.cfg")))
    return skipped


@contextlib.contextmanager
def _in_a_copy() -> Iterator[None]:
    """Run the body with a copy of the current directory (the source tree) as the current directory."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="qom-py-build-") as tmp:
        copy = os.path.join(tmp, os.path.basename(here) or "src")
        shutil.copytree(here, copy, symlinks=True, ignore=_ignore)
        os.chdir(copy)
        try:
            yield
        finally:
            os.chdir(here)


_Settings = dict[str, Any] | None


def build_wheel(wheel_directory: str, config_settings: _Settings = None, metadata_directory: str | None = None) -> str:
    wheel_directory = os.path.abspath(wheel_directory)
    if metadata_directory is not None:
        metadata_directory = os.path.abspath(metadata_directory)
    with _in_a_copy():
        return str(_setuptools.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_sdist(sdist_directory: str, config_settings: _Settings = None) -> str:
    sdist_directory = os.path.abspath(sdist_directory)
    with _in_a_copy():
        return str(_setuptools.build_sdist(sdist_directory, config_settings))


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: _Settings = None) -> str:
    metadata_directory = os.path.abspath(metadata_directory)
    with _in_a_copy():
        return str(_setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings))


def get_requires_for_build_wheel(config_settings: _Settings = None) -> list[str]:
    with _in_a_copy():  # it runs egg_info
        return list(_setuptools.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_sdist(config_settings: _Settings = None) -> list[str]:
    with _in_a_copy():
        return list(_setuptools.get_requires_for_build_sdist(config_settings))
