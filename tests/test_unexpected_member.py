"""Of several unexpected members, creation names the one QEMU names (its QDict/GHashTable order)."""

from __future__ import annotations

import json

import pytest

import qom_py
import qom_py.testing
from qom_py.errors import ParameterError
from qom_py.qmp import QMPError
from tests.daemon import QOM_PY, QSD, run

#: (extra members, the one qsd 7.2 names); verified with `qemu-storage-daemon --object`.
CASES = [
    ("aaa=1,zzz=2", "zzz"),
    ("zzz=1,aaa=2", "zzz"),
    ("b=1,a=2,c=3", "b"),
]


def _json_request(extra: str) -> dict[str, object]:
    request: dict[str, object] = {"qom-type": "iothread", "id": "io0"}
    for item in extra.split(","):
        key, value = item.split("=")
        request[key] = int(value)
    return request


@pytest.mark.parametrize(("extra", "named"), CASES)
def test_object_option_parse_keyval(extra: str, named: str) -> None:
    with pytest.raises(ParameterError) as info:
        qom_py.object_option_parse(f"iothread,id=io0,{extra}")
    assert str(info.value) == f"Parameter '{named}' is unexpected"


@pytest.mark.parametrize(("extra", "named"), CASES)
def test_object_option_parse_json(extra: str, named: str) -> None:
    with pytest.raises(ParameterError) as info:
        qom_py.object_option_parse(json.dumps(_json_request(extra)))
    assert str(info.value) == f"Parameter '{named}' is unexpected"


@pytest.mark.parametrize(("extra", "named"), CASES)
def test_object_add_qmp(extra: str, named: str) -> None:
    with qom_py.testing.qmp_client() as qmp, pytest.raises(QMPError) as info:
        qmp.execute("object-add", _json_request(extra))
    assert info.value.desc == f"Parameter '{named}' is unexpected"


@pytest.mark.parametrize(("extra", "named"), CASES)
@pytest.mark.parametrize(
    "program",
    [
        pytest.param(QOM_PY, id="qom-py"),
        pytest.param(
            [QSD], id="qsd", marks=pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
        ),
    ],
)
def test_command_line(program: list[str], extra: str, named: str) -> None:
    """``--object`` on the command line: qom-py prints what qsd prints."""
    option = f"iothread,id=io0,{extra}"
    finished = run(["--object", option], program=program)
    assert finished.returncode == 1
    assert finished.stderr.endswith(f": --object {option}: Parameter '{named}' is unexpected\n")
