"""
Installing the package as a user does: ``pip install '.[docs]'`` into a fresh virtual environment.

One environment for the module (creating it and installing takes most of a minute):
the install leaves the checkout as it was, and that environment alone builds the docs
with warnings as errors.  The checkout is copied first, so that the test sees exactly
what an install does to a tree and never writes into the one under test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import qom_py

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 600
BUILD_TIMEOUT = 300
#: Not part of a fresh clone.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "_build"
)


@attrs.frozen
class Installed:
    """A copy of the checkout, its files before the install, and the venv it was installed into."""

    tree: Path
    before: frozenset[str]
    python: Path


def _files(tree: Path) -> frozenset[str]:
    return frozenset(str(p.relative_to(tree)) for p in tree.rglob("*") if "__pycache__" not in p.parts)


def _env() -> dict[str, str]:
    """Ours, without a PYTHONPATH that would show the child this checkout's qom_py."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QOM_PY_DOCS_OFFLINE"] = "1"  # docs/conf.py: intersphinx from its local inventory
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("packaging")
    tree = base / "qom-py"
    shutil.copytree(ROOT, tree, ignore=_NOT_SOURCE, symlinks=True)
    before = _files(tree)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=INSTALL_TIMEOUT)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{tree}[docs]"],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT, env=_env(), cwd=base, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    yield Installed(tree, before, python)
    shutil.rmtree(base, ignore_errors=True)


def test_install_leaves_the_checkout_as_it_was(installed: Installed) -> None:
    """``pip install .`` builds elsewhere: no ``build/``, no ``*.egg-info/`` left in the tree."""
    assert sorted(_files(installed.tree) - installed.before) == []
    assert sorted(installed.before - _files(installed.tree)) == []


def test_docs_extra_builds_the_docs_alone(installed: Installed, tmp_path: Path) -> None:
    """The docs extra's environment builds the docs with ``-W``, the pytest plugin's API included."""
    probe = "import importlib.util as u; print(u.find_spec('qemu') is None, u.find_spec('pytest') is not None)"
    found = subprocess.run(
        [str(installed.python), "-c", probe], capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=True
    )
    # No qemu.qmp: the build does not run the examples that need it (the tests do).
    assert found.stdout.split() == ["True", "True"]
    out = tmp_path / "html"
    proc = subprocess.run(
        [str(installed.python), "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(installed.tree / "docs"), str(out)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=_env(), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    api = (out / "api.html").read_text(encoding="utf-8")
    missing = [name for name in qom_py.__all__ if f'id="qom_py.{name}"' not in api]
    assert missing == []
    for name in ("QOMDaemon", "qmp", "qom_daemon"):
        assert f'id="qom_py.pytest_plugin.{name}"' in api
    # The private mixins are not named; their methods are listed on the public classes.
    assert "PropertyBuilders" not in api and "TreeMixin" not in api
    for method in (
        "Object.property_add_bool",
        "Object.property_add_link",
        "Object.unparent",
        "ObjectClass.property_add_int",
    ):
        assert f'id="qom_py.{method}"' in api


def _extras() -> dict[str, list[str]]:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as f:
        extras: dict[str, list[str]] = tomllib.load(f)["project"]["optional-dependencies"]
    return extras


def test_every_extra_named_in_the_docs_exists() -> None:
    """Each ``.[EXTRA]`` the README and docs/ tell users to install is one of pyproject.toml's extras."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]
    named = {m for path in texts for m in re.findall(r"\.\[([\w,-]+)\]", path.read_text(encoding="utf-8"))}
    extras = _extras()
    assert named
    assert sorted(e for group in named for e in group.split(",") if e not in extras) == []


def test_quick_start_installs_qmp_shell() -> None:
    """The README's quick start runs ``qemu.qmp.qmp_shell`` after installing an extra that brings ``qemu.qmp``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    install = re.search(r"pip install '\.\[(\w+)\]'", quick)
    assert install is not None and quick.index(install.group(0)) < quick.index("qemu.qmp.qmp_shell")
    assert any(req.startswith("qemu.qmp") for req in _extras()[install.group(1)])
