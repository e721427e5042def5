"""
QEMU 7.2's own schemas introspected as QEMU does: ``if`` conditions, module order, the command line.

Against the recordings in tests/data (`tests/qapi/record_schemas.py`) and,
where installed, live against ``qemu-storage-daemon`` and
``qemu-system-x86_64 -machine none``: with the ``if`` symbols Debian's builds
define, QEMU's schema files (in ``../shared/conformance/qemu-7.2-qapi``)
give QEMU's answer byte for byte.  The mechanism itself is tested on small
schemas here too, which need no shared files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qom_py.errors import QAPISchemaError
from qom_py.qapi import QAPISchema
from qom_py.qapi._cli import main
from qom_py.qapi._ifcond import ifcond_holds
from qom_py.qapi._json_writer import to_json
from qom_py.qapi._schema import _ifcond_text as ifcond_text
from qom_py.qapi.introspect import SchemaInfo, schema_index, schema_info
from tests.daemon import QSD, TIMEOUT, child_env, running

DATA = Path(__file__).resolve().parent.parent / "data"
QEMU_QAPI = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "qemu-7.2-qapi"
QEMU_SYSTEM = shutil.which("qemu-system-x86_64")

#: build -> (root schema file, defines file, recording)
BUILDS = {
    "qsd": ("storage-daemon/qapi/qapi-schema.json", "defines-qsd.txt", "qsd-7.2-query-qmp-schema.json"),
    "system": ("qapi/qapi-schema.json", "defines-system.txt", "qemu-system-7.2-query-qmp-schema.json"),
}

needs_shared = pytest.mark.skipif(not QEMU_QAPI.is_dir(), reason=f"QEMU 7.2's schema files are not here ({QEMU_QAPI})")


def _defines(build: str) -> frozenset[str]:
    text = (QEMU_QAPI / BUILDS[build][1]).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _ours(build: str) -> list[SchemaInfo]:
    schema = QAPISchema.from_file(str(QEMU_QAPI / BUILDS[build][0]))
    return schema_info(schema, defines=_defines(build))


# -- QEMU's schemas -------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("build", sorted(BUILDS))
def test_recorded_answer_byte_for_byte(build: str) -> None:
    """Written as QMP writes it, the answer is the recorded one (the recording keeps QEMU's key order)."""
    theirs = json.loads((DATA / BUILDS[build][2]).read_text(encoding="utf-8"))
    assert to_json(_ours(build)) == json.dumps(theirs)


@needs_shared
def test_qsd_numbering_has_gaps() -> None:
    """Masked names are numbered before the conditions drop entries: qsd's answer skips numbers."""
    numbers = _numbers(_ours("qsd"))
    assert len(numbers) < max(numbers) + 1
    defines = _defines("qsd") | {"CONFIG_BLKIO"}  # a build with libblkio
    schema = QAPISchema.from_file(str(QEMU_QAPI / BUILDS["qsd"][0]))
    assert numbers < _numbers(schema_info(schema, defines=defines))  # the same numbers, and some gaps filled


def _numbers(infos: list[SchemaInfo]) -> set[int]:
    return {int(i["name"]) for i in infos if i["name"].isdigit()}


@needs_shared
def test_commands_in_module_order() -> None:
    """qsd's root includes block-core.json first, which includes common.json ...: block-core's commands lead."""
    commands = [i["name"] for i in _ours("qsd") if i["meta-type"] == "command"]
    assert commands[0] == "query-block"  # block-core.json, defined after its includes
    assert commands.index("query-block") < commands.index("query-jobs")  # job.json, included by block-core.json


def _live(argv: list[str], program: tuple[str, ...], monitor: bool) -> str:
    wait = None if monitor else "{sock}"
    with running(argv, program=program, monitor=monitor, wait_for_socket=wait, check=monitor) as qemu:
        conn = qemu.connect()
        try:
            start = len(conn.raw)
            conn.send({"execute": "query-qmp-schema"})
            assert "return" in conn.read_reply()
            return bytes(conn.raw[start:]).decode().strip()
        finally:
            conn.close()


@needs_shared
@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_live_qsd_byte_for_byte() -> None:
    """The bytes the installed qemu-storage-daemon sends are ours."""
    assert QSD is not None
    wire = _live([], (QSD,), monitor=True)
    assert wire == '{"return": ' + to_json(_ours("qsd")) + "}"


@needs_shared
@pytest.mark.skipif(QEMU_SYSTEM is None, reason="qemu-system-x86_64 is not installed")
def test_live_qemu_system_byte_for_byte() -> None:
    """The bytes the installed qemu-system-x86_64 -machine none sends are ours."""
    assert QEMU_SYSTEM is not None
    program = (QEMU_SYSTEM, "-nodefaults", "-display", "none", "-machine", "none")
    wire = _live(["-qmp", "unix:{sock},server=on,wait=off"], program, monitor=False)
    assert wire == '{"return": ' + to_json(_ours("system")) + "}"


# -- the command line -------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("build", sorted(BUILDS))
def test_cli_introspect_is_the_recording(build: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``introspect -D ...`` prints QEMU's answer in the recordings' layout, so that diff shows nothing."""
    argv = ["introspect", *(f"-D{d}" for d in sorted(_defines(build))), str(QEMU_QAPI / BUILDS[build][0])]
    assert main(argv) == 0
    assert capsys.readouterr().out == (DATA / BUILDS[build][2]).read_text(encoding="utf-8")


def test_cli_introspect_unmask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--unmask keeps type names; without -D nothing conditional is there."""
    root = tmp_path / "s.json"
    root.write_text(
        "{ 'struct': 'Rec', 'data': { 'a': 'int', 'b': { 'type': 'str', 'if': 'CONFIG_B' } } }\n"
        "{ 'command': 'c', 'data': 'Rec' }\n"
        "{ 'command': 'd', 'if': 'CONFIG_D' }\n"
    )
    assert main(["introspect", "--unmask", str(root)]) == 0
    infos = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in infos] == ["c", "Rec", "q_empty", "int", "str"]  # str: for the dropped member
    assert schema_index(infos)["Rec"]["members"] == [{"name": "a", "type": "int"}]
    assert main(["introspect", "-D", "CONFIG_B", "-DCONFIG_D", str(root)]) == 0
    assert [i["name"] for i in json.loads(capsys.readouterr().out)] == ["c", "d", "0", "1", "int", "str"]


def test_cli_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``check``: silent on a good schema; QEMU's message on stderr and status 1 on a bad or missing one."""
    good = tmp_path / "good.json"
    good.write_text("{ 'struct': 'Rec', 'data': { 'a': 'int' } }\n")
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr() == ("", "")
    bad = tmp_path / "bad.json"
    bad.write_text("{ 'struct': 'Rec', 'data': { 'a': 'Nope' } }\n")
    assert main(["check", str(bad)]) == 1
    with pytest.raises(QAPISchemaError) as err:
        QAPISchema.from_file(str(bad))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == err.value.full_message + "\n"  # QEMU's context line first
    assert captured.err.splitlines()[0].endswith("bad.json: In struct 'Rec':")
    assert "member 'a' uses unknown type 'Nope'" in captured.err
    missing = str(tmp_path / "missing-schema.json")
    assert main(["check", missing]) == 1
    assert capsys.readouterr().err == f"can't read schema file '{missing}': No such file or directory\n"


def test_python_m_qom_py_qapi(tmp_path: Path) -> None:
    """``python -m qom_py.qapi`` runs the command line: its status and its streams."""
    bad = tmp_path / "bad.json"
    bad.write_text("{ 'struct': 'Rec', 'data': { 'a': 'Nope' } }\n")
    argv = [sys.executable, "-m", "qom_py.qapi"]
    done = subprocess.run([*argv, "check", str(bad)], capture_output=True, text=True, env=child_env(), timeout=TIMEOUT)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.endswith(f"{bad}:1: member 'a' uses unknown type 'Nope'\n")  # after QEMU's context lines
    good = tmp_path / "good.json"
    good.write_text("{ 'command': 'c' }\n")
    done = subprocess.run(
        [*argv, "introspect", str(good)], capture_output=True, text=True, env=child_env(), timeout=TIMEOUT
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert [i["name"] for i in json.loads(done.stdout)] == ["c", "0"]


# -- the mechanism, on small schemas ------------------------------------------------------------


def _schema(text: str, read: dict[str, str] | None = None) -> QAPISchema:
    files = {"root.json": text, **(read or {})}
    return QAPISchema.from_file("root.json", read=files.__getitem__)


def test_dropped_entries_keep_their_numbers() -> None:
    """A dropped command still numbers its types; an unconditional type only it reaches stays."""
    schema = _schema(
        "{ 'struct': 'Hidden', 'data': { 'x': 'int' } }\n"
        "{ 'struct': 'Kept', 'data': { 'y': 'str' } }\n"
        "{ 'command': 'gone', 'data': { 'h': 'Hidden' }, 'if': 'CONFIG_GONE' }\n"
        "{ 'command': 'here', 'data': { 'k': 'Kept' } }\n"
    )
    everything = schema_info(schema)
    built = schema_info(schema, defines=())
    # q_obj_gone-arg (0, dropped with its user), q_empty (1), q_obj_here-arg (2), Hidden (3, stays), Kept (4)
    assert [i["name"] for i in built] == ["here", "1", "2", "3", "4", "int", "str"]
    assert [i for i in everything if i["name"] != "gone" and i["name"] != "0"] == built


def test_conditions_on_every_kind_of_entry() -> None:
    """Members, branches, enum values and features go when their condition fails; lists stay, maybe empty."""
    schema = _schema(
        "{ 'enum': 'Level', 'data': [ 'a', { 'name': 'b', 'if': 'B' } ] }\n"
        "{ 'struct': 'Rec', 'data': { 'e': 'Level', 'l': { 'type': ['Level'], 'if': 'B' } },\n"
        "  'features': [ { 'name': 'f', 'if': 'F' } ] }\n"
        "{ 'alternate': 'Alt', 'data': { 'n': 'int', 's': { 'type': 'Rec', 'if': { 'not': 'B' } } } }\n"
        "{ 'union': 'Uni', 'base': { 'kind': 'Level' }, 'discriminator': 'kind', 'data': { 'a': 'Rec' } }\n"
        "{ 'command': 'c', 'data': { 'a': 'Alt', 'un': 'Uni' } }\n"
    )
    none = schema_index(schema_info(schema, unmask=True, defines=()))
    assert none["Level"]["members"] == [{"name": "a"}] and none["Level"]["values"] == ["a"]
    assert none["Rec"]["members"] == [{"name": "e", "type": "Level"}]
    assert none["Rec"]["features"] == []  # QEMU's generator saw a feature; the preprocessor dropped it
    assert none["Alt"]["members"] == [{"type": "int"}, {"type": "Rec"}]
    assert [v["case"] for v in none["Uni"]["variants"]] == ["a"]  # b's implicit branch has b's condition
    assert "[Level]" in none  # used by the dropped member: still listed
    both = schema_index(schema_info(schema, unmask=True, defines={"B", "F"}))
    assert both["Level"]["values"] == ["a", "b"]
    assert both["Rec"]["features"] == ["f"]
    assert both["Alt"]["members"] == [{"type": "int"}]
    assert [v["case"] for v in both["Uni"]["variants"]] == ["a", "b"]


def test_arrays_and_implicit_types_take_their_conditions() -> None:
    """An array has its element's condition, a command's implicit arguments type the command's."""
    schema = _schema(
        "{ 'struct': 'Thing', 'data': {}, 'if': 'T' }\n"
        "{ 'command': 'c', 'data': { 'l': ['Thing'] }, 'returns': ['Thing'], 'if': 'T' }\n"
        "{ 'command': 'd', 'data': { 'l': ['Thing'] } }\n"
    )
    assert schema.object_type("q_obj_c-arg").ifcond == "T"
    without = schema_info(schema, unmask=True, defines=())
    assert [i["name"] for i in without] == ["d", "q_obj_d-arg", "q_empty"]
    assert without[1]["members"] == [{"name": "l", "type": "[Thing]"}]  # dangles, as in QEMU's own output
    with_t = schema_info(schema, unmask=True, defines={"T"})
    assert [i["name"] for i in with_t] == ["c", "d", "q_obj_c-arg", "[Thing]", "Thing", "q_obj_d-arg", "q_empty"]


def test_commands_come_module_by_module() -> None:
    """The root file's commands first, then each file's in the order it was first included."""
    schema = _schema(
        "{ 'include': 'a.json' }\n{ 'command': 'root-cmd' }\n{ 'include': 'b.json' }\n",
        {
            "a.json": "{ 'include': 'b.json' }\n{ 'command': 'a-cmd' }\n",
            "b.json": "{ 'event': 'B_EVENT' }\n{ 'command': 'b-cmd' }\n",
        },
    )
    assert [e.name for e in schema if e.meta in ("command", "event")] == ["B_EVENT", "b-cmd", "a-cmd", "root-cmd"]
    infos = schema_info(schema)
    assert [i["name"] for i in infos if i["meta-type"] in ("command", "event")] == [
        "root-cmd",
        "a-cmd",
        "B_EVENT",
        "b-cmd",
    ]
    schema.add("{ 'command': 'late-cmd' }")  # definitions of no file read come last
    assert [e.name for e in schema.in_visit_order() if e.meta == "command"][-2:] == ["b-cmd", "late-cmd"]


@pytest.mark.parametrize(
    ("cond", "defined", "expected"),
    [
        ("A", {"A"}, True),
        ("A", set(), False),
        ({"all": ["A", "B"]}, {"A"}, False),
        ({"all": ["A", "B"]}, {"A", "B"}, True),
        ({"any": ["A", "B"]}, {"B"}, True),
        ({"any": ["A", "B"]}, set(), False),
        ({"not": "A"}, set(), True),
        ({"not": {"any": ["A", {"all": ["B", {"not": "C"}]}]}}, {"B"}, False),
        ({"not": {"any": ["A", {"all": ["B", {"not": "C"}]}]}}, {"B", "C"}, True),
        ({"all": ["A"]}, {"A"}, True),
    ],
)
def test_condition_evaluation(cond: object, defined: set[str], expected: bool) -> None:
    """``all``/``any``/``not`` as QEMU's common.py generates them for the preprocessor."""
    assert ifcond_holds(ifcond_text(cond), defined) is expected


def test_no_condition_always_holds() -> None:
    """An entry without ``if`` is in every build."""
    assert ifcond_holds(None, ())


def test_alternate_array_branch() -> None:
    """An alternate may have an array branch (QEMU 7.1); two arrays cannot be told apart."""
    schema = _schema(
        "{ 'alternate': 'Alt', 'data': { 'one': 'str', 'many': ['str'] } }\n{ 'command': 'c', 'data': { 'a': 'Alt' } }"
    )
    alt = schema_index(schema_info(schema, unmask=True))["Alt"]
    assert alt["members"] == [{"type": "str"}, {"type": "[str]"}]
    with pytest.raises(QAPISchemaError, match=r"root.json:1: branch 'two' can't be distinguished from 'one'$"):
        _schema("{ 'alternate': 'Alt', 'data': { 'one': ['int'], 'two': ['str'] } }")
