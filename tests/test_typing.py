"""
Type checkers on the package and on what users write: mypy --strict and pyright.

The package must check clean under both (configured in pyproject.toml), and
tests/typing_cases/ pins what a checker sees of the public API: the marked
lines (``# E: ...``) are errors for both checkers, every other line passes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "typing_cases").glob("*.py"))
TIMEOUT = 300


def _expected_errors(path: Path) -> set[int]:
    return {n for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\S\s+# E: [\w-]+$", line)}


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _mypy() -> list[str]:
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra)")
    return [sys.executable, "-m", "mypy", "--no-incremental"]


def _pyright() -> list[str]:
    exe = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if exe is None:
        pytest.skip("pyright is not installed (it is in the test extra)")
    return [exe]


def test_mypy_strict_on_the_package() -> None:
    result = _run([*_mypy(), "qom_py"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_on_the_package() -> None:
    result = _run([*_pyright(), "qom_py"])
    assert result.returncode == 0 and "0 errors," in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_mypy_sees_the_public_types(case: Path) -> None:
    result = _run([*_mypy(), "--strict", str(case)])
    found = {
        int(m.group(1))
        for m in re.finditer(rf"^{re.escape(str(case.relative_to(ROOT)))}:(\d+): error", result.stdout, re.M)
    }
    assert found == _expected_errors(case), result.stdout


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_pyright_sees_the_public_types(case: Path) -> None:
    result = _run([*_pyright(), str(case)])
    found = {int(m.group(1)) for m in re.finditer(r":(\d+):\d+ - error", result.stdout)}
    assert found == _expected_errors(case), result.stdout
