"""The docs' structure: the command-line summaries agree with each other and with ``--help``; the API page's order."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.daemon import child_env

ROOT = Path(__file__).resolve().parents[1]


def _readme_summary() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## `qom-py` command line", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def _daemon_page_summary() -> list[str]:
    text = (ROOT / "docs" / "daemon.rst").read_text(encoding="utf-8")
    block = text.split("The command line\n----------------\n", 1)[1].split(".. code-block:: text\n\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith("   "):
            break
        lines.append(line[3:])
    return [line for line in lines if line]


def test_daemon_page_summary_is_the_readmes() -> None:
    """The daemon page's command-line summary is the README's, line for line."""
    assert _daemon_page_summary() == _readme_summary()


def test_summary_names_every_monitor_option() -> None:
    """Each ``--monitor`` sub-option ``qom-py --help`` lists is in the summary (``max-clients=N`` too)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "qom_py", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
        check=True,
    ).stdout
    (help_line,) = [line for line in help_text.splitlines() if line.strip().startswith("--monitor ")]
    (summary_line,) = [line for line in _daemon_page_summary() if line.strip().startswith("--monitor ")]
    keys = re.findall(r"[\[,]([a-z-]+)(?==|\[=)", help_line)
    assert "max-clients" in keys
    assert [key for key in keys if f"{key}=" not in summary_line] == []


def test_api_page_in_reading_order() -> None:
    """The API page's sections go types, objects, properties, creation, event loops, QMP, testing, errors."""
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    sections = [title for title, rule in re.findall(r"^(.+)\n(-+)$", text, re.M) if len(rule) >= len(title)]
    expected = ["Types", "Objects", "Properties", "Creation", "Event loops", "QMP", "Testing", "Errors"]
    assert [next(e for e in expected if title.startswith(e)) for title in sections[: len(expected)]] == expected
    assert text.index(".. autoclass:: TypeInfo") < text.index(".. autoclass:: InterfaceClass")
