"""
The Sphinx site in docs/: it builds with warnings as errors, documents every public name,
and its examples run (``>>>`` examples with doctest, the pytest example with pytester).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import qom_py
from tests.daemon import child_env

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: Pages whose ``>>>`` examples are run, each in a fresh interpreter.
DOCTEST_PAGES = sorted(p.name for p in DOCS.glob("*.rst") if ">>> " in p.read_text(encoding="utf-8"))
TIMEOUT = 120


def _docs_env() -> dict[str, str]:
    env = child_env()
    env["QOM_PY_DOCS_OFFLINE"] = "1"  # intersphinx from the local fallback: no network
    return env


@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None, reason="Sphinx is not installed (pip install '.[docs]')"
)
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """``sphinx-build -W -b html`` succeeds, and the API page has an entry for every public name."""
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
         str(DOCS), str(out)],
        capture_output=True, text=True, timeout=300, env=_docs_env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    api = (out / "api.html").read_text(encoding="utf-8")
    missing = [name for name in qom_py.__all__ if f'id="qom_py.{name}"' not in api]
    assert missing == []
    assert "property_add_qapi" in (out / "tutorial.html").read_text(encoding="utf-8")
    # The QMP reference, generated from the schema's doc comments (docs/_ext/qmp_reference.py).
    qmp = (out / "qmp.html").read_text(encoding="utf-8")
    for text in (
        "query-thread-pools",
        "qom-list-get",
        "Since:</strong> 10.1",
        "ThreadPoolInfo",
        "idle-threads",
    ):
        assert text in qmp, text


def test_api_reference_names_every_public_name() -> None:
    """docs/api.rst has a directive for each name in `qom_py.__all__` (so autodoc documents it)."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. (?:auto)?(?:class|function|data|module):: (?:qom_py\.)?(\w+)", text, re.M))
    assert [name for name in qom_py.__all__ if name not in documented] == []


def test_pages_with_examples() -> None:
    """The pages meant to carry runnable examples do (a page losing them is noticed)."""
    assert {"tutorial.rst", "daemon.rst", "thread-pool.rst"} <= set(DOCTEST_PAGES)


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_doc_examples_run(page: str) -> None:
    """Every ``>>>`` example of *page* gives the output shown (doctest, in a fresh interpreter)."""
    code = (
        "import doctest, sys\n"
        f"result = doctest.testfile({str(DOCS / page)!r}, module_relative=False, report=True)\n"
        "print(result.attempted, result.failed)\n"
        "sys.exit(1 if result.failed or not result.attempted else 0)\n"
    )
    # A session of its own, so that a daemon an example starts cannot outlive a failure.
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_docs_env(), start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(TIMEOUT)
    assert proc.returncode == 0, output


def test_testing_page_example(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest example of docs/testing.rst passes as a user's test file, through the installed plugin."""
    text = (DOCS / "testing.rst").read_text(encoding="utf-8")
    block = text.split(".. code-block:: python\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("   "):
            break
        lines.append(line[3:])
    pytester.makepyfile(test_user="\n".join(lines))
    monkeypatch.setenv("PYTHONPATH", child_env().get("PYTHONPATH", ""))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


# --- the README --------------------------------------------------------------------------

ROOT = DOCS.parent


def test_readme_commands() -> None:
    """The README's run command installs only the package; its test command is exactly CI's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in setup.splitlines() if line and not line.startswith("#")]
    run, test = commands
    assert run.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/qom-py ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


@pytest.mark.parametrize(
    "needle", ["--plugin MODULE", "qom_py.plugins", "-v, --verbose", "qom_daemon", "`qmp`", "pip install '.[docs]'"]
)
def test_readme_documents(needle: str) -> None:
    """The README documents plugins, verbose logging, the pytest plugin and the docs."""
    assert needle in (ROOT / "README.md").read_text(encoding="utf-8")
