"""QAPI syntax as QEMU's scripts/qapi/parser.py reads it: tokens, directives, FILE:LINE:COL errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qom_py.errors import QAPISchemaError
from qom_py.qapi import QAPISchema, SchemaReader
from qom_py.qapi._parser import parse_text


def _values(text: str) -> list[object]:
    return [value for value, _ in parse_text(text, "t.json")]


class TestSyntax:
    """Values, comments and line numbers."""

    def test_values(self) -> None:
        """Objects keep their order; arrays, strings and booleans are JSON's."""
        text = "{ 'a': [ 'x', true, false, {} ], 'b': { 'c': [] } }"
        assert _values(text) == [{"a": ["x", True, False, {}], "b": {"c": []}}]

    def test_comments_and_doc_comments_are_skipped(self) -> None:
        """``#`` comments, ``##`` blocks included, run to the end of the line."""
        text = "##\n# @Foo:\n# text { 'not': 'parsed' }\n##\n{ 'a': 'b' } # trailing\n# last"
        assert _values(text) == [{"a": "b"}]

    def test_escape(self) -> None:
        """``\\\\`` is the one escape: it stands for one backslash."""
        assert _values(r"{ 'a': 'x\\y' }") == [{"a": "x\\y"}]

    def test_lines(self) -> None:
        """Each expression's info is the line of its opening brace."""
        text = "# comment\n\n{ 'a': 'b' }\n{\n  'c': 'd' }  { 'e': 'f' }\n"
        assert [info.line for _, info in parse_text(text, "t.json")] == [3, 4, 5]
        assert str(parse_text(text, "t.json")[0][1]) == "t.json:3"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{ 'a': 'b\n' }", "t.json:1:8: missing terminating \"'\""),
            ("{ 'a': 'b\\n' }", "t.json:1:8: unknown escape \\n"),
            ("{ 'a': 'b\xe9' }", "t.json:1:8: funny character in string"),
            ("\n  { 'a': nope }", "t.json:2:10: stray 'nope'"),
            ("{ 'a': \"b\" }", "t.json:1:8: stray '\"'"),
            ("{ 'a' 'b' }", "t.json:1:7: expected ':'"),
            ("{ 'a': 'b' 'c': 'd' }", "t.json:1:12: expected ',' or '}'"),
            ("{ 'a': 'b', }", "t.json:1:13: expected string"),
            ("{ true: 'b' }", "t.json:1:3: expected string or '}'"),
            ("{ 'a': 'b', 'a': 'c' }", "t.json:1:18: duplicate key 'a'"),
            ("{ 'a': [ 'b' 'c' ] }", "t.json:1:14: expected ',' or ']'"),
            ("{ 'a': [ : ] }", "t.json:1:10: expected '{', '[', ']', string, or boolean"),
            ("{ 'a': }", "t.json:1:8: expected '{', '[', string, or boolean"),
            ("{ 'a': 'b'", "t.json:1:11: expected ',' or '}'"),
            ("\t{ 'a': x }", "t.json:1:8: stray 'x'"),
        ],
        ids=[
            "unterminated", "bad-escape", "funny", "stray-word", "double-quotes", "colon", "comma-or-brace",
            "trailing-comma", "key-not-string", "duplicate-key", "comma-or-bracket", "bad-array-value",
            "missing-value", "eof", "tab-column",
        ],
    )  # fmt: skip
    def test_errors(self, text: str, message: str) -> None:
        """A syntax error names file, line and column, counted as QAPIParseError counts (tabs included)."""
        with pytest.raises(QAPISchemaError, match=re.escape(message)) as info:
            parse_text(text, "t.json")
        assert str(info.value) == message
        assert (info.value.file, info.value.line) == ("t.json", int(message.split(":")[1]))
        assert info.value.col == int(message.split(":")[2])

    def test_top_level_must_be_an_object(self) -> None:
        """A top-level array is a semantic error at its line."""
        with pytest.raises(QAPISchemaError, match=re.escape("t.json:2: top-level expression must be an object")):
            QAPISchema().add("\n[ 'a' ]", "t.json")


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class TestDirectives:
    """``include`` and ``pragma``."""

    def test_include_relative_and_once(self, tmp_path: Path) -> None:
        """Includes are relative to the including file; a file is read once; errors name the included file."""
        _write(
            tmp_path,
            {
                "root.json": "{ 'include': 'sub/a.json' }\n{ 'include': 'sub/b.json' }\n{ 'struct': 'Root', 'data': {} }",
                "sub/a.json": "{ 'include': 'b.json' }\n{ 'struct': 'Alpha', 'data': { 'b': 'Beta' } }",
                "sub/b.json": "{ 'struct': 'Beta', 'data': {} }",
            },
        )
        reader = SchemaReader()
        reader.read_root(str(tmp_path / "root.json"))
        names = [e.expr.get("struct", e.expr.get("include")) for e in reader.exprs]
        assert names == [
            str(tmp_path / "sub/a.json"), str(tmp_path / "sub/b.json"), "Beta", "Alpha", str(tmp_path / "sub/b.json"), "Root",
        ]  # fmt: skip
        assert reader.exprs[2].info.file == str(tmp_path / "sub/b.json")
        assert reader.exprs[2].info.parent is not None and reader.exprs[2].info.parent.line == 1
        schema = QAPISchema.from_file(str(tmp_path / "root.json"))
        assert [e.name for e in schema if not e.is_implicit][-3:] == ["Beta", "Alpha", "Root"]

    def test_include_errors(self, tmp_path: Path) -> None:
        """A missing include and an include loop are errors at the include's line."""
        _write(
            tmp_path,
            {
                "a.json": "\n{ 'include': 'nope.json' }",
                "b.json": "{ 'include': 'c.json' }",
                "c.json": "\n\n{ 'include': 'b.json' }",
            },
        )
        with pytest.raises(QAPISchemaError) as info:
            QAPISchema.from_file(str(tmp_path / "a.json"))
        assert str(info.value) == (
            f"{tmp_path}/a.json:2: can't read include file '{tmp_path}/nope.json': No such file or directory"
        )
        with pytest.raises(QAPISchemaError, match=re.escape(f"{tmp_path}/c.json:3: inclusion loop for b.json")):
            QAPISchema.from_file(str(tmp_path / "b.json"))

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{ 'include': 'a.json', 'x': 'y' }", "invalid 'include' directive"),
            ("{ 'include': [] }", "value of 'include' must be a string"),
            ("{ 'pragma': 'x' }", "value of 'pragma' must be an object"),
            ("{ 'pragma': {}, 'x': 'y' }", "invalid 'pragma' directive"),
            ("{ 'pragma': { 'nope': true } }", "unknown pragma 'nope'"),
            ("{ 'pragma': { 'doc-required': 'yes' } }", "pragma 'doc-required' must be boolean"),
            ("{ 'pragma': { 'member-name-exceptions': [ true ] } }", "pragma member-name-exceptions must be a list of strings"),
        ],
        ids=["include-keys", "include-type", "pragma-type", "pragma-keys", "pragma-unknown", "doc-required", "list"],
    )  # fmt: skip
    def test_directive_errors(self, text: str, message: str) -> None:
        """Malformed directives are errors at their line."""
        with pytest.raises(QAPISchemaError, match=re.escape(f"t.json:2: {message}")):
            QAPISchema().add("\n" + text, "t.json")

    def test_pragma_recorded(self) -> None:
        """Pragmas are recorded on the schema; command-returns-exceptions lets a command return a non-object."""
        schema = QAPISchema()
        text = "{ 'pragma': { 'doc-required': true, 'command-returns-exceptions': [ 'get' ] } }\n"
        schema.add(text + "##\n# @get:\n##\n{ 'command': 'get', 'returns': 'int' }", "t.json")
        assert schema.pragma.doc_required is True
        assert schema.pragma.command_returns_exceptions == ["get"]


def test_error_after_long_comments_is_fast() -> None:
    """A lexing error after many comment lines is found at once (no backtracking through the comments)."""
    text = "# a b c d e f g h i j k l m n o p q r s t u v w x y z\n" * 200 + "  junk"
    with pytest.raises(QAPISchemaError, match=re.escape("t.json:201:3: stray 'junk'")):
        parse_text(text, "t.json")


class TestDocComments:
    """Doc comments are parsed, checked and kept, as QEMU 7.2's QAPIDoc does."""

    TEXT = (
        "##\n# = Title\n##\n\n"
        "##\n# @Thing:\n#\n# A thing.\n#\n# @name: what it is called,\n#        on two lines\n#\n"
        "# Features:\n# @my-feature: a feature\n#\n# Since: 1.0\n##\n"
        "{ 'struct': 'Thing', 'data': { 'name': 'str', '*size': 'int' }, 'features': [ 'my-feature' ] }\n"
    )

    def test_docs_on_schema_and_entities(self) -> None:
        """The schema keeps every doc in order; a definition's doc is on its entity, undocumented members added."""
        schema = QAPISchema()
        schema.add(self.TEXT, "t.json")
        title, thing = schema.docs
        assert (title.symbol, title.body.text) == (None, "= Title")
        entity = schema.object_type("Thing")
        assert entity.doc is thing
        assert thing.body.text == "A thing."
        assert {name: s.text for name, s in thing.args.items()} == {
            "name": "what it is called,\non two lines",
            "size": "",
        }
        assert thing.features["my-feature"].text == "a feature"
        assert [(s.name, s.text) for s in thing.sections] == [("Since", "1.0")]

    def test_docs_survive_pickling(self) -> None:
        """A schema with docs pickles (the schema cache stores it)."""
        import pickle

        schema = QAPISchema()
        schema.add(self.TEXT, "t.json")
        copy = pickle.loads(pickle.dumps(schema))
        doc = copy.object_type("Thing").doc
        assert doc is not None and doc.args["name"].text == "what it is called,\non two lines"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("##\n# @Thing:\n##\n{ 'struct': 'Other', 'data': {} }", "t.json: In struct 'Other':\nt.json:4: documentation comment is for 'Thing'"),
            ("##\n# @Thing:\n#\n# @nope: no such member\n##\n{ 'struct': 'Thing', 'data': {} }", "t.json:1: documented member 'nope' does not exist"),
            ("##\n# @Thing:\n# @a: x\n#  b\n##\n{ 'struct': 'Thing', 'data': { 'a': 'int' } }", "t.json:4:1: unexpected de-indent (expected at least 4 spaces)"),
            ("##\n# @Thing:\n##\n{ 'include': 'x.json' }", "t.json:1: documentation for 'Thing' is not followed by the definition"),
            ("##\n# @Thing:\n#\n", "t.json:3:2: documentation comment must end with '##'"),
        ],
        ids=["wrong-symbol", "bogus-member", "de-indent", "before-include", "unterminated"],
    )  # fmt: skip
    def test_doc_errors(self, text: str, message: str) -> None:
        """A bad doc comment is rejected with QEMU's message, context lines included; nothing is added."""
        schema = QAPISchema()
        before = len(schema)
        with pytest.raises(QAPISchemaError) as info:
            schema.add(text, "t.json")
        assert info.value.full_message == message
        assert len(schema) == before and schema.docs == []


def test_missing_root_file(tmp_path: Path) -> None:
    """A missing root file is QEMU's ``can't read schema file`` error, without a place."""
    name = str(tmp_path / "missing.json")
    with pytest.raises(QAPISchemaError) as info:
        QAPISchema.from_file(name)
    assert str(info.value) == f"can't read schema file '{name}': No such file or directory"
    assert info.value.file is None and info.value.context == ""
