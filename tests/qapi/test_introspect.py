"""qom_py.qapi.introspect: SchemaInfo as QEMU 7.2 generates it, and libvirt's probe paths."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection
from pathlib import Path

import pytest

from qom_py.errors import SchemaPathError
from qom_py.qapi import QAPISchema, load_schema
from qom_py.qapi.introspect import SchemaInfo, schema_index, schema_info, schema_path_exists, schema_path_get

DATA = Path(__file__).resolve().parent.parent / "data"


def _recorded(name: str) -> list[SchemaInfo]:
    result: list[SchemaInfo] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return result


QSD = _recorded("qsd-7.2-query-qmp-schema.json")
SYSTEM = _recorded("qemu-system-7.2-query-iothreads-schema.json")


def renumber(infos: list[SchemaInfo], keep: Collection[str]) -> list[SchemaInfo]:
    """
    Restrict a masked answer to the commands and events in *keep* and the types they reach.

    The types are renumbered and ordered as QEMU's generator would have done
    had only those been defined: an independent re-implementation over the
    answer itself, so it applies to QEMU's recordings as to ours.
    """
    by_name = {i["name"]: i for i in infos}
    names: dict[str, str] = {}
    used: list[str] = []

    def use(name: str) -> str:
        if name not in used:
            used.append(name)
        if name.startswith("["):
            return "[" + use(name[1:-1]) + "]"
        if by_name[name]["meta-type"] == "builtin":
            return name
        return names.setdefault(name, str(len(names)))

    out: list[SchemaInfo] = []
    for info in infos:
        if info["meta-type"] in ("command", "event") and info["name"] in keep:
            entry = dict(info, **{"arg-type": use(info["arg-type"])})
            if "ret-type" in info:
                entry["ret-type"] = use(info["ret-type"])
            out.append(entry)
    index = 0
    while index < len(used):
        info = by_name[used[index]]
        index += 1
        entry = dict(info)
        meta = info["meta-type"]
        if meta == "array":
            entry["element-type"] = use(info["element-type"])
            entry["name"] = "[" + entry["element-type"] + "]"
        elif meta != "builtin":
            entry["name"] = names[info["name"]]
        if meta in ("object", "alternate"):
            entry["members"] = [dict(m, type=use(m["type"])) for m in info["members"]]
        if "variants" in info:
            entry["variants"] = [dict(v, type=use(v["type"])) for v in info["variants"]]
        out.append(entry)
    return out


def _hosted_only(infos: list[SchemaInfo], cases: Collection[str]) -> list[SchemaInfo]:
    """QEMU's answer with object-add's ObjectOptions cut down to the object types *cases*."""
    infos = copy.deepcopy(infos)
    by_name = {i["name"]: i for i in infos}
    options = by_name[by_name["object-add"]["arg-type"]]
    options["variants"] = [v for v in options["variants"] if v["case"] in cases]
    enum = by_name[options["members"][0]["type"]]
    enum["members"] = [m for m in enum["members"] if m["name"] in cases]
    enum["values"] = [v for v in enum["values"] if v in cases]
    return infos


def _qsd_commands(schema: QAPISchema) -> list[str]:
    qsd = {i["name"] for i in QSD}
    return [c.name for c in schema.commands() if c.name in qsd]


class TestAgainstQEMU:
    """Our answer against QEMU 7.2's recordings, compared whole after renumbering."""

    def test_qsd_commands_exactly(self) -> None:
        """For the commands qsd 7.2 serves too (object-add apart), our answer is qsd's, entry for entry."""
        schema = load_schema()
        common = [c for c in _qsd_commands(schema) if c != "object-add"]
        assert len(common) == 11
        ours = schema_info(schema, commands=common, events=())
        assert ours == renumber(QSD, common)

    def test_object_add_for_hosted_types(self) -> None:
        """With object-add, too: QEMU's ObjectOptions cut down to iothread and main-loop is ours."""
        schema = load_schema()
        common = _qsd_commands(schema)
        ours = schema_info(schema, commands=common, events=())
        assert ours == renumber(_hosted_only(QSD, {"iothread", "main-loop"}), common)

    def test_qemu_system_query_iothreads_and_shutdown(self) -> None:
        """query-iothreads and SHUTDOWN are qemu-system 7.2's, in its order (SHUTDOWN first)."""
        ours = schema_info(load_schema(), commands=["query-iothreads"], events=["SHUTDOWN"])
        assert ours == renumber(SYSTEM, {"query-iothreads", "SHUTDOWN"})
        assert [i["name"] for i in ours[:2]] == ["SHUTDOWN", "query-iothreads"]

    def test_numbering_is_qemus(self) -> None:
        """The whole answer is numbered as QEMU numbers: renumbering it changes nothing."""
        ours = schema_info(load_schema())
        assert renumber(ours, {i["name"] for i in ours}) == ours


class TestFormat:
    """The SchemaInfo details, on small schemas."""

    @staticmethod
    def _schema(text: str) -> QAPISchema:
        schema = QAPISchema()
        schema.add(text, "t.json")
        return schema

    def test_members_ints_lists_features(self) -> None:
        """Optional members get default null; sized ints and their lists show as int and [int]; features listed."""
        schema = self._schema(
            "{ 'struct': 'Sample', 'data': { 'a': 'uint16', '*b': ['uint8'], 'c': { 'type': 'str', 'features': ['deprecated'] } },"
            "  'features': ['sample-feature'] }\n"
            "{ 'command': 'x-cmd', 'data': 'Sample', 'returns': ['Sample'], 'allow-oob': true, 'features': ['unstable'] }"
        )  # fmt: skip
        assert schema_info(schema) == [
            {"name": "x-cmd", "meta-type": "command", "arg-type": "0", "ret-type": "[0]", "allow-oob": True,
             "features": ["unstable"]},
            {"name": "0", "meta-type": "object", "features": ["sample-feature"], "members": [
                {"name": "a", "type": "int"},
                {"name": "b", "type": "[int]", "default": None},
                {"name": "c", "type": "str", "features": ["deprecated"]},
            ]},
            {"name": "[0]", "meta-type": "array", "element-type": "0"},
            {"name": "int", "meta-type": "builtin", "json-type": "int"},
            {"name": "[int]", "meta-type": "array", "element-type": "int"},
            {"name": "str", "meta-type": "builtin", "json-type": "string"},
        ]  # fmt: skip

    def test_enum_union_alternate_unmasked(self) -> None:
        """Enums carry members and values; unions tag and variants (implicit ones q_empty); unmask keeps names."""
        schema = self._schema(
            "{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b', 'features': ['deprecated'] } ] }\n"
            "{ 'struct': 'Branch', 'data': { 'x': 'bool' } }\n"
            "{ 'alternate': 'Alt', 'data': { 's': 'str', 'o': 'Branch' } }\n"
            "{ 'union': 'Choice', 'base': { 'kind': 'Kind', '*alt': 'Alt' }, 'discriminator': 'kind', 'data': { 'a': 'Branch' } }\n"
            "{ 'command': 'cmd', 'data': 'Choice', 'boxed': true }\n"
            "{ 'event': 'EV' }"
        )  # fmt: skip
        assert schema_info(schema, unmask=True) == [
            {"name": "cmd", "meta-type": "command", "arg-type": "Choice", "ret-type": "q_empty"},
            {"name": "EV", "meta-type": "event", "arg-type": "q_empty"},
            {"name": "Choice", "meta-type": "object", "tag": "kind",
             "members": [{"name": "kind", "type": "Kind"}, {"name": "alt", "type": "Alt", "default": None}],
             "variants": [{"case": "a", "type": "Branch"}, {"case": "b", "type": "q_empty"}]},
            {"name": "q_empty", "meta-type": "object", "members": []},
            {"name": "Kind", "meta-type": "enum", "members": [{"name": "a"}, {"name": "b", "features": ["deprecated"]}],
             "values": ["a", "b"]},
            {"name": "Alt", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "Branch"}]},
            {"name": "Branch", "meta-type": "object", "members": [{"name": "x", "type": "bool"}]},
            {"name": "str", "meta-type": "builtin", "json-type": "string"},
            {"name": "bool", "meta-type": "builtin", "json-type": "boolean"},
        ]  # fmt: skip
        masked = schema_info(schema)
        assert [i["name"] for i in masked] == ["cmd", "EV", "0", "1", "2", "3", "4", "str", "bool"]

    def test_only_what_is_asked(self) -> None:
        """Commands not asked for, and the types only they reach, are left out."""
        schema = load_schema()
        infos = schema_info(schema, commands=["query-version"], events=())
        assert [i["name"] for i in infos if i["meta-type"] == "command"] == ["query-version"]
        assert {i["meta-type"] for i in infos} == {"command", "object", "builtin"}
        assert not any(i["meta-type"] == "event" for i in infos)

    def test_fresh_lists(self) -> None:
        """Each call returns new dicts."""
        schema = load_schema()
        first = schema_info(schema)
        first[0]["name"] = "changed"
        assert schema_info(schema)[0]["name"] != "changed"


#: libvirt's probes (src/qemu/qemu_capabilities.c and ones like them) on what qom-py serves,
#: each resolved on qsd 7.2's recording (qemu-system's for query-iothreads), with the expected answer.
PROBES: list[tuple[str, bool]] = [
    ("object-add/arg-type/+iothread/thread-pool-max", True),  # QEMU_CAPS_IOTHREAD_THREAD_POOL_MAX
    ("object-add/arg-type/+iothread/thread-pool-min", True),
    ("object-add/arg-type/+iothread/*poll-max-ns", True),
    ("object-add/arg-type/+iothread/poll-grow/!int", True),
    ("object-add/arg-type/+iothread/aio-max-batch", True),
    ("object-add/arg-type/+iothread/nosuch", False),
    ("object-add/arg-type/+main-loop/thread-pool-max", True),
    ("object-add/arg-type/+main-loop/poll-max-ns", False),
    ("object-add/arg-type/qom-type/^iothread", True),
    ("object-add/arg-type/qom-type/^main-loop", True),
    ("object-add/arg-type/qom-type/^nosuch", False),
    ("object-add/arg-type/*id", False),
    ("object-add/arg-type/id/!string", True),
    ("object-add/arg-type/+nosuch", False),
    ("object-add/$deprecated", False),
    ("object-del/arg-type/id", True),
    ("qom-list-properties/arg-type/typename", True),
    ("qom-list-properties/ret-type/*default-value", True),
    ("qom-list-properties/ret-type/description/!string", True),
    ("qom-list-types/arg-type/*abstract/!boolean", True),
    ("qom-list-types/arg-type/*implements", True),
    ("qom-list-types/ret-type/parent", True),
    ("qom-list/ret-type/type", True),
    ("qom-get/ret-type/!value", True),
    ("qom-set/arg-type/value/!value", True),
    ("query-version/ret-type/qemu/major/!int", True),
    ("query-version/ret-type/package", True),
    ("qmp_capabilities/arg-type/enable/^oob", True),
    ("qmp_capabilities/arg-type/*enable", True),
    ("query-commands/ret-type/name", True),
    ("query-qmp-schema/ret-type/meta-type/^command", True),
    ("query-qmp-schema/ret-type/+enum/members/features", True),
    ("query-qmp-schema/ret-type/+object/members/default/!value", True),
    ("query-qmp-schema/ret-type/+command/allow-oob", True),
    ("query-qmp-schema/$unstable", False),
    ("query-iothreads/ret-type/poll-max-ns", True),  # QEMU_CAPS_IOTHREAD_POLLING
    ("query-iothreads/ret-type/aio-max-batch", True),
    ("query-iothreads/ret-type/thread-id/!int", True),
    ("query-iothreads/arg-type/nosuch", False),
    ("nosuch-command/arg-type", False),
]


def _outline(found: bool, entry: SchemaInfo | None) -> tuple[bool, str | None, str | None]:
    """What a probe tells apart: found, and the reached entry's meta-type and (built-in) name."""
    if entry is None:
        return (found, None, None)
    return (found, entry["meta-type"], entry["name"] if entry["meta-type"] == "builtin" else None)


@pytest.mark.parametrize(("query", "expected"), PROBES, ids=[p[0] for p in PROBES])
def test_probe_resolves_as_on_qemu(query: str, expected: bool) -> None:
    """The probe gives the same answer (and reaches the same kind of entry) on ours as on QEMU 7.2."""
    ours = schema_index(schema_info(load_schema()))
    theirs = schema_index(SYSTEM if query.startswith("query-iothreads") else QSD)
    assert _outline(*schema_path_get(ours, query)) == _outline(*schema_path_get(theirs, query))
    assert schema_path_exists(ours, query) is expected
    assert schema_path_exists(theirs, query) is expected


def test_probe_entries() -> None:
    """A type query yields the entry reached; boolean queries yield none."""
    infos = schema_info(load_schema(), unmask=True)
    found, entry = schema_path_get(infos, "object-add/arg-type/+iothread")
    assert found and entry is not None and entry["name"] == "IothreadProperties"
    assert schema_path_get(infos, "query-iothreads/ret-type") == (True, schema_index(infos)["[IOThreadInfo]"])
    assert schema_path_get(infos, "object-add/arg-type/qom-type/^iothread") == (True, None)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "object-add/arg-type/qom-type/^iothread/x",
            "terminal QAPI query component 'x' of 'object-add/arg-type/qom-type/^iothread/x' must not have followers",
        ),
        (
            "object-add/arg-type/id/!string/x",
            "terminal QAPI query component '!string' of 'object-add/arg-type/id/!string/x' must not have followers",
        ),
        (
            "object-add/$unstable/x",
            "terminal QAPI query component '$unstable' of 'object-add/$unstable/x' must not have followers",
        ),
    ],
    ids=["enum", "builtin", "feature"],
)
def test_probe_errors(query: str, message: str) -> None:
    """Components that end a query refuse followers, with libvirt's message, on ours and QEMU's alike."""
    for infos in (schema_info(load_schema()), QSD):
        with pytest.raises(SchemaPathError, match=f"^{re.escape(message)}$"):
            schema_path_get(infos, query)
        assert not schema_path_exists(infos, query)


def test_probe_enum_value_feature() -> None:
    """``^VALUE/$FEATURE`` asks for a feature of one enum value (7.2's members form)."""
    schema = QAPISchema()
    schema.add(
        "{ 'enum': 'Level', 'data': [ 'a', { 'name': 'b', 'features': ['deprecated'] } ] }\n"
        "{ 'command': 'c', 'data': { 'e': 'Level' } }",
        "t.json",
    )
    infos = schema_info(schema)
    assert schema_path_exists(infos, "c/arg-type/e/^b/$deprecated")
    assert not schema_path_exists(infos, "c/arg-type/e/^a/$deprecated")


def test_wire_bytes_are_qsds() -> None:
    """Written as QMP writes it (QDict key order), the common part is byte for byte qsd's recorded answer."""
    from qom_py.qapi._json_writer import to_json

    schema = load_schema()
    common = _qsd_commands(schema)
    ours = schema_info(schema, commands=common, events=())
    theirs = renumber(_hosted_only(QSD, {"iothread", "main-loop"}), common)
    assert to_json(ours) == json.dumps(theirs)  # the recording keeps qsd's key order
