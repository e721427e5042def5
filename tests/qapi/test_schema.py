"""The schema model: entities, implicit types, semantic checks (QEMU's schema.py), run-time growth."""

from __future__ import annotations

import pickle
import re
from typing import Any

import pytest

from qom_py.errors import QAPISchemaError, QAPITypeNotFoundError
from qom_py.qapi import (
    EMPTY_OBJECT,
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    Event,
    Member,
    ObjectType,
    QAPISchema,
)

TEXT = """\
{ 'enum': 'Policy', 'prefix': 'QAUTHZ_POLICY',
  'data': [ 'deny', { 'name': 'allow', 'features': [ 'unstable' ] },
            { 'name': 'maybe', 'if': 'CONFIG_MAYBE' } ] }
{ 'struct': 'Rule',
  'data': { 'match': 'str', 'policy': 'Policy',
            '*format': { 'type': 'str', 'features': [ 'deprecated' ] } } }
{ 'struct': 'Base', 'data': { 'id': 'str' } }
{ 'struct': 'Child', 'base': 'Base', 'data': { '*rules': [ 'Rule' ], '*nodes': [ 'uint16' ] },
  'features': [ 'other-feature', 'my-feature' ], 'if': { 'all': [ 'CONFIG_A', { 'not': 'CONFIG_B' } ] } }
{ 'enum': 'Kinds', 'data': [ 'child', 'base', 'none' ] }
{ 'union': 'Any', 'base': { 'kind': 'Kinds', '*note': 'str' }, 'discriminator': 'kind',
  'data': { 'child': 'Child', 'base': 'Base' } }
{ 'alternate': 'StrOrNull', 'data': { 's': 'str', 'n': 'null' } }
{ 'command': 'set-rules', 'data': { 'rules': [ 'Rule' ], '*force': 'bool' },
  'returns': [ 'Child' ], 'allow-oob': true, 'features': [ 'deprecated' ] }
{ 'command': 'make', 'data': 'Any', 'boxed': true, 'allow-preconfig': true }
{ 'command': 'ping', 'success-response': false, 'gen': false, 'coroutine': true }
{ 'event': 'RULES_CHANGED', 'data': { 'count': 'int' } }
{ 'event': 'GONE' }
"""


@pytest.fixture
def schema() -> QAPISchema:
    """A schema with one of each construct."""
    result = QAPISchema()
    result.add(TEXT, "test.json")
    return result


class TestPredefined:
    """The entities every schema starts with, as QEMU's _def_predefineds()."""

    def test_builtins(self) -> None:
        """Each built-in has its JSON type and is followed by its array type."""
        schema = QAPISchema()
        json_types = {t.name: t.json_type for t in schema.types() if isinstance(t, BuiltinType)}
        assert json_types == {
            "str": "string", "number": "number", "int": "int", "int8": "int", "int16": "int", "int32": "int",
            "int64": "int", "uint8": "int", "uint16": "int", "uint32": "int", "uint64": "int", "size": "int",
            "bool": "boolean", "any": "value", "null": "null",
        }  # fmt: skip
        names = [e.name for e in schema]
        assert names[:4] == ["str", "strList", "number", "numberList"]
        assert names[-2:] == [EMPTY_OBJECT, "QType"]
        assert schema.lookup_type("int").is_implicit is False  # type: ignore[union-attr]

    def test_qtype_and_empty(self) -> None:
        """``QType`` is an implicit enum; ``q_empty`` an implicit, empty object."""
        schema = QAPISchema()
        qtype = schema.enum_type("QType")
        assert qtype.value_names == ("none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool")
        assert qtype.prefix == "QTYPE" and qtype.is_implicit
        assert schema.the_empty_object_type.is_empty and schema.the_empty_object_type.is_implicit


class TestModel:
    """Lookups and what each entity carries."""

    def test_enum(self, schema: QAPISchema) -> None:
        """Values keep their order, features and conditions; value_set is for checks."""
        policy = schema.enum_type("Policy")
        assert policy.value_names == ("deny", "allow", "maybe")
        assert policy.value_set == {"deny", "allow", "maybe"}
        assert policy.values[1].feature_names == ("unstable",)
        assert policy.values[2].ifcond == "CONFIG_MAYBE"
        assert policy.prefix == "QAUTHZ_POLICY"
        assert (policy.json_type, policy.meta, policy.is_implicit) == ("string", "enum", False)

    def test_struct_members_base_first(self, schema: QAPISchema) -> None:
        """members = the base's, then the local ones; each names its type and where it is defined."""
        child = schema.object_type("Child")
        assert child.base == "Base"
        assert child.member_names == ("id", "rules", "nodes")
        assert [m.name for m in child.local_members] == ["rules", "nodes"]
        assert child.members[0] == Member(name="id", type="str", defined_in="Base")
        assert child.member("rules") == Member(name="rules", type="RuleList", optional=True, defined_in="Child")
        assert child.feature_names == ("other-feature", "my-feature") and child.has_feature("my-feature")
        assert child.ifcond == "(CONFIG_A and not CONFIG_B)"
        assert (child.meta, child.json_type, child.variants) == ("struct", "object", None)
        fmt = schema.object_type("Rule").member("format")
        assert fmt is not None and fmt.has_feature("deprecated") and fmt.optional

    def test_resolving_member_types(self, schema: QAPISchema) -> None:
        """A member's type resolves through the schema; arrays are ``TList`` with an element type."""
        child = schema.object_type("Child")
        rules = schema.member_type(child.members[1])
        assert isinstance(rules, ArrayType) and rules.is_implicit
        assert rules.element_type == "Rule" and schema.element_type(rules) is schema.object_type("Rule")
        nodes = schema.member_type(child.members[2])
        assert isinstance(nodes, ArrayType) and nodes.name == "uint16List"
        assert schema.resolve_type(["Rule"]) is rules
        assert schema.resolve_type("Policy") is schema.enum_type("Policy")
        made = schema.resolve_type(["Policy"])
        assert made.name == "PolicyList" and "PolicyList" in schema
        with pytest.raises(QAPITypeNotFoundError, match=re.escape("QAPI type 'Nope' is not defined")):
            schema.resolve_type(["Nope"])

    def test_union(self, schema: QAPISchema) -> None:
        """An inline base becomes ``q_obj_<union>-base``; enum values without a branch get ``q_empty``."""
        union = schema.object_type("Any")
        assert union.meta == "union" and union.base == "q_obj_Any-base"
        base = schema.object_type("q_obj_Any-base")
        assert base.is_implicit and base.info == union.info
        assert union.member_names == ("kind", "note")
        assert union.variants is not None and union.variants.tag == "kind"
        assert union.variants.as_dict() == {"child": "Child", "base": "Base", "none": EMPTY_OBJECT}
        none = union.variants.case("none")
        assert none is not None and none.implicit
        assert schema.variant_type(union.variants.variants[0]) is schema.object_type("Child")

    def test_branch_members(self, schema: QAPISchema) -> None:
        """A union's members for one tag value: its own (base) members, then the branch's, base first."""
        union = schema.object_type("Any")
        members = schema.branch_members(union, "child")
        assert members is not None and [m.name for m in members] == ["kind", "note", "id", "rules", "nodes"]
        none = schema.branch_members(union, "none")
        assert none is not None and [m.name for m in none] == ["kind", "note"]
        assert schema.branch_members(union, "nope") is None
        assert schema.branch_members(schema.object_type("Rule"), "x") == schema.object_type("Rule").members

    def test_alternate(self, schema: QAPISchema) -> None:
        """An alternate's branches are variants tagged ``type``."""
        alt = schema.lookup_type("StrOrNull")
        assert isinstance(alt, AlternateType) and alt.json_type == "value"
        assert alt.variants.tag == "type" and alt.variants.as_dict() == {"s": "str", "n": "null"}

    def test_commands(self, schema: QAPISchema) -> None:
        """Inline data is ``q_obj_<command>-arg``; list returns are ``TList``; flags are kept."""
        cmd = schema.command("set-rules")
        assert isinstance(cmd, Command)
        assert (cmd.arg_type, cmd.ret_type, cmd.allow_oob, cmd.boxed) == (
            "q_obj_set-rules-arg",
            "ChildList",
            True,
            False,
        )
        assert cmd.has_feature("deprecated")
        arg = schema.object_type("q_obj_set-rules-arg")
        assert arg.is_implicit and arg.member_names == ("rules", "force")
        make = schema.command("make")
        assert make is not None and (make.arg_type, make.boxed, make.allow_preconfig, make.ret_type) == (
            "Any", True, True, None,
        )  # fmt: skip
        ping = schema.command("ping")
        assert ping is not None and ping.arg_type is None
        assert (ping.success_response, ping.gen, ping.coroutine) == (False, False, True)
        assert [c.name for c in schema.commands()] == ["set-rules", "make", "ping"]
        assert schema.command("Rule") is None and schema.lookup_type("ping") is None

    def test_events(self, schema: QAPISchema) -> None:
        """Events are like commands without returns."""
        event = schema.event("RULES_CHANGED")
        assert isinstance(event, Event) and event.arg_type == "q_obj_RULES_CHANGED-arg"
        gone = schema.event("GONE")
        assert gone is not None and gone.arg_type is None
        assert [e.name for e in schema.events()] == ["RULES_CHANGED", "GONE"]

    def test_definition_order(self, schema: QAPISchema) -> None:
        """Implicit types come just before their first user, as QEMU defines them."""
        names = [e.name for e in schema][len(list(QAPISchema())) :]
        assert names == [
            "Policy", "Rule", "Base", "RuleList", "Child", "Kinds", "q_obj_Any-base", "Any", "StrOrNull",
            "q_obj_set-rules-arg", "ChildList", "set-rules", "make", "ping", "q_obj_RULES_CHANGED-arg",
            "RULES_CHANGED", "GONE",
        ]  # fmt: skip
        assert [e.name for e in schema if not e.is_implicit and e.info is not None][0] == "Policy"

    def test_source_info(self, schema: QAPISchema) -> None:
        """Each definition knows its file and line."""
        assert str(schema.object_type("Rule").info) == "test.json:4"
        assert str(schema.event("GONE").info) == "test.json:19"  # type: ignore[union-attr]

    def test_pickles_and_copies(self, schema: QAPISchema) -> None:
        """A schema pickles (for a start-up cache); a copy shares entities but grows on its own."""
        clone = pickle.loads(pickle.dumps(schema))  # our own data
        assert [e.name for e in clone] == [e.name for e in schema]
        assert clone.object_type("Child") == schema.object_type("Child")
        view = schema.copy()
        view.add("{ 'struct': 'Extra', 'data': {} }", "extra.json")
        assert "Extra" in view and "Extra" not in schema
        assert view.object_type("Child") is schema.object_type("Child")


class TestRuntime:
    """Definitions added at run time."""

    def test_add_exprs(self, schema: QAPISchema) -> None:
        """Parsed expressions are checked like text; their lines count by position; the caller's dicts stay."""
        exprs: list[dict[str, Any]] = [
            {"struct": "Widget", "data": {"*rules": ["Rule"], "size": "size"}},
            {"enum": "Color", "data": ["red"]},
        ]
        added = schema.add(exprs, "<registry>")
        assert [e.name for e in added] == ["Widget", "Color"]  # RuleList exists already
        assert exprs[0]["data"] == {"*rules": ["Rule"], "size": "size"}
        with pytest.raises(QAPISchemaError, match=re.escape("<registry>:2: 'Color' is already defined")):
            schema.add([{"enum": "Fine", "data": []}, {"enum": "Color", "data": []}], "<registry>")
        assert "Fine" not in schema

    def test_failed_add_changes_nothing(self, schema: QAPISchema) -> None:
        """An error anywhere leaves the schema as it was."""
        before = [e.name for e in schema]
        with pytest.raises(QAPISchemaError, match=re.escape("x.json:2: member 'b' uses unknown type 'Nope'")):
            schema.add(
                "{ 'struct': 'Ok', 'data': { 'a': ['int8'] } }\n{ 'struct': 'Bad', 'data': { 'b': 'Nope' } }", "x.json"
            )
        assert [e.name for e in schema] == before

    def test_add_union_branches(self, schema: QAPISchema) -> None:
        """New tag values join the enum; the union gets the branch; q_empty branches follow in enum order."""
        schema.add("{ 'struct': 'WidgetProperties', 'data': { '*size': 'size' } }", "<registry>")
        union = schema.add_union_branches("Any", {"widget": "WidgetProperties", "gadget": None})
        assert schema.enum_type("Kinds").value_names == ("child", "base", "none", "widget", "gadget")
        assert union.variants is not None
        assert union.variants.as_dict() == {
            "child": "Child", "base": "Base", "widget": "WidgetProperties", "none": EMPTY_OBJECT, "gadget": EMPTY_OBJECT,
        }  # fmt: skip
        assert schema.object_type("Any") is union
        with pytest.raises(QAPISchemaError, match=re.escape("branch 'bad' cannot use union type 'Any'")):
            schema.add_union_branches("Any", {"bad": "Any"})
        with pytest.raises(QAPITypeNotFoundError):
            schema.add_union_branches("Any", {"bad": "Nope"})


#: (definitions after a good prelude, problem); the offending definition is on line 2.
SEMANTIC: list[tuple[str, str]] = [
    ("{ 'struct': 'Sx', 'data': { 'a': 'Nope' } }", "member 'a' uses unknown type 'Nope'"),
    ("{ 'struct': 'Sx', 'data': { 'a': [ 'Nope' ] } }", "struct uses unknown type 'Nope'"),
    ("{ 'struct': 'Sx', 'base': 'Nope', 'data': {} }", "'base' uses unknown type 'Nope'"),
    ("{ 'struct': 'Sx', 'base': 'Enum', 'data': {} }", "'base' requires a struct type, enum type 'Enum' isn't"),
    ("{ 'struct': 'Sx', 'base': 'Sx', 'data': {} }", "object Sx contains itself"),
    ("{ 'struct': 'Sx', 'base': 'Good', 'data': { 'x': 'int' } }", "member 'x' collides with member 'x' of type 'Good'"),
    ("{ 'struct': 'Sx', 'data': { '__org.x_a': 'int', '__org-x_a': 'int' } }",
     "member '__org-x_a' collides with member '__org.x_a'"),
    ("{ 'enum': 'Ex', 'data': [ '__org.x_a', '__org-x_a' ] }", "value '__org-x_a' collides with value '__org.x_a'"),
    ("{ 'struct': 'Sx', 'data': {}, 'features': [ 'f', 'f' ] }", "feature 'f' collides with feature 'f'"),
    ("{ 'struct': 'Good', 'data': {} }", "'Good' is already defined"),
    ("{ 'enum': 'int', 'data': [] }", "name of enum must use CamelCase"),
    ("{ 'struct': 'Str', 'data': {} }\n{ 'enum': 'Str', 'data': [] }", "'Str' is already defined"),
    ("{ 'union': 'Ux', 'base': { 'k': 'Enum' }, 'discriminator': 'kind', 'data': {} }",
     "discriminator 'kind' is not a member of 'base'"),
    ("{ 'union': 'Ux', 'base': { 'k': 'str' }, 'discriminator': 'k', 'data': {} }",
     "discriminator member 'k' of 'base' must be of enum type"),
    ("{ 'union': 'Ux', 'base': { '*k': 'Enum' }, 'discriminator': 'k', 'data': {} }",
     "discriminator member 'k' of 'base' must not be optional"),
    ("{ 'union': 'Ux', 'base': { 'k': { 'type': 'Enum', 'if': 'CONFIG_X' } }, 'discriminator': 'k', 'data': {} }",
     "discriminator member 'k' of 'base' must not be conditional"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'a': 'int' } }", "branch 'a' cannot use built-in type 'int'"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'a': 'Enum' } }", "branch 'a' cannot use enum type 'Enum'"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'z': 'Good' } }",
     "branch 'z' is not a value of enum type 'Enum'"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'a': 'Nope' } }", "branch 'a' uses unknown type 'Nope'"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'a': 'Clash' } }",
     "member 'k' of type 'Clash' collides with member 'k' of type 'Tagged'"),
    ("{ 'union': 'Ux', 'base': 'Tagged', 'discriminator': 'x', 'data': {} }", "discriminator 'x' is not a member of 'base'"),
    ("{ 'union': 'Ux', 'base': 'Tagged2', 'discriminator': 'k', 'data': {} }",
     "discriminator member 'k' of base type 'Tagged2' must be of enum type"),
    ("{ 'alternate': 'Ax', 'data': { 'a': 'str', 'b': 'Enum' } }", "branch 'b' can't be distinguished from 'a'"),
    ("{ 'alternate': 'Ax', 'data': { 'a': 'int', 'b': 'number' } }", "branch 'b' can't be distinguished from 'a'"),
    ("{ 'alternate': 'Ax', 'data': { 'a': 'any' } }", "branch 'a' cannot use built-in type 'any'"),
    ("{ 'alternate': 'Ax', 'data': { 'a': 'Nope' } }", "branch 'a' uses unknown type 'Nope'"),
    ("{ 'command': 'c', 'data': { 'a': 'Nope' } }", "parameter 'a' uses unknown type 'Nope'"),
    ("{ 'command': 'c', 'data': 'Nope' }", "command's 'data' uses unknown type 'Nope'"),
    ("{ 'command': 'c', 'data': 'Enum' }", "command's 'data' cannot take enum type 'Enum'"),
    ("{ 'command': 'c', 'data': 'Uni' }", "command's 'data' can take union type 'Uni' only with 'boxed': true"),
    ("{ 'command': 'c', 'returns': 'int' }", "command's 'returns' cannot take built-in type 'int'"),
    ("{ 'command': 'c', 'returns': [ 'Enum' ] }", "command's 'returns' cannot take array type ['Enum']"),
    ("{ 'command': 'c', 'returns': 'Nope' }", "command's 'returns' uses unknown type 'Nope'"),
    ("{ 'event': 'E', 'data': 'Enum' }", "event's 'data' cannot take enum type 'Enum'"),
    ("{ 'event': 'E', 'data': { 'x': 'Nope' } }", "parameter 'x' uses unknown type 'Nope'"),
]  # fmt: skip

PRELUDE = (
    "{ 'enum': 'Enum', 'data': [ 'a', 'b' ] }  { 'struct': 'Good', 'data': { 'x': 'str' } }"
    "  { 'struct': 'Tagged', 'data': { 'k': 'Enum' } }  { 'struct': 'Tagged2', 'data': { 'k': 'str' } }"
    "  { 'struct': 'Clash', 'data': { 'k': 'int' } }"
    "  { 'union': 'Uni', 'base': 'Tagged', 'discriminator': 'k', 'data': { 'a': 'Good' } }\n"
)


@pytest.mark.parametrize(("definition", "problem"), SEMANTIC, ids=[p for _, p in SEMANTIC])
def test_semantic_errors(definition: str, problem: str) -> None:
    """Each semantic error names the file and the line of the definition at fault."""
    schema = QAPISchema()
    schema.add(PRELUDE, "base.json")
    line = 3 if "\n" in definition else 2
    with pytest.raises(QAPISchemaError) as info:
        schema.add("\n" + definition if line == 2 else "\n" + definition, "bad.json")
    assert str(info.value) == f"bad.json:{line}: {problem}"
    assert (info.value.file, info.value.line) == ("bad.json", line)


def test_duplicate_hint() -> None:
    """A duplicate's hint points at the previous definition, as QEMU's second line does."""
    schema = QAPISchema()
    with pytest.raises(QAPISchemaError) as info:
        schema.add("{ 'struct': 'Dup', 'data': {} }\n\n{ 'enum': 'Dup', 'data': [] }", "d.json")
    assert str(info.value) == "d.json:3: 'Dup' is already defined"
    assert info.value.hint == "d.json: In struct 'Dup':\nd.json:1: previous definition"
    assert info.value.full_message == (
        "d.json: In enum 'Dup':\nd.json:3: 'Dup' is already defined\nd.json: In struct 'Dup':\nd.json:1: previous definition"
    )


def test_builtin_redefined() -> None:
    """Redefining a built-in (a name QEMU's checks let through) is a duplicate of the built-in."""
    schema = QAPISchema()
    with pytest.raises(QAPISchemaError, match=re.escape("b.json:1: built-in type 'null' is already defined")):
        schema.add("{ 'command': 'null' }", "b.json")


def test_kinds() -> None:
    """Each kind is its own class with QEMU's meta name and introspection's meta-type."""
    schema = QAPISchema()
    schema.add(TEXT, "test.json")
    entities = [schema.lookup(n) for n in ("int", "intList", "Policy", "Rule", "Any", "StrOrNull", "make", "GONE")]
    kinds = [(type(e).__name__, e.meta, e.meta_type) for e in entities if e is not None]
    assert kinds == [
        ("BuiltinType", "built-in", "builtin"), ("ArrayType", "array", "array"), ("EnumType", "enum", "enum"),
        ("ObjectType", "struct", "object"), ("ObjectType", "union", "object"),
        ("AlternateType", "alternate", "alternate"), ("Command", "command", "command"), ("Event", "event", "event"),
    ]  # fmt: skip
    assert isinstance(schema.lookup("StrOrNull"), AlternateType)
    assert isinstance(schema.lookup("Policy"), EnumType) and isinstance(schema.lookup("Rule"), ObjectType)
