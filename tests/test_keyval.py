"""Tests for `qom_py.qapi._keyval`: QEMU's keyval grammar (QOM-REFERENCE §3.3 A, B, 68-70)."""

from __future__ import annotations

import copy
import pickle
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qom_py.errors import KeyvalError
from qom_py.qapi._keyval import KeyvalDict, KeyvalValue, keyval_merge, keyval_parse, keyval_parse_with_help

A127 = "a" * 127
LONG = "a" * 127 + "z"  # 128 characters: one too many


class TestKeyvalParse:
    @pytest.mark.parametrize(
        ("text", "implied", "expected"),
        [
            ("", None, {}),
            (f"{A127}=v", None, {A127: "v"}),
            (f"k.{A127}=v", None, {"k": {A127: "v"}}),
            ("a=1,b=2,,x,a=3", None, {"a": "3", "b": "2,x"}),
            ("id=foo,id=bar", None, {"id": "bar"}),
            ("a.b.c=1,a.b.c=2,d=3", None, {"a": {"b": {"c": "2"}}, "d": "3"}),
            ("x=y,", None, {"x": "y"}),
            ("x=,,id=bar", None, {"x": ",id=bar"}),
            ("id=666", None, {"id": "666"}),
            ("an,aus=off,noaus=", "implied", {"implied": "an", "aus": "off", "noaus": ""}),
            ("val", "eins.zwei", {"eins": {"zwei": "val"}}),
            ("help=on", None, {"help": "on"}),
            ("help.abc", "implied", {"implied": "help.abc"}),
            # Beyond the table, checked against qemu-storage-daemon 7.2:
            ("k=", None, {"k": ""}),
            ("x=y,,", None, {"x": "y,"}),
            ("x=y,,,", None, {"x": "y,"}),
            ("a=b=c", None, {"a": "b=c"}),
            ("a-b_c=1", None, {"a-b_c": "1"}),
            ("__com.redhat_x=1", None, {"__com.redhat_x": "1"}),
            ("___x=1", None, {"___x": "1"}),
            ("a.__com.redhat_x.b=1", None, {"a": {"__com.redhat_x": {"b": "1"}}}),
            ("iothread,id=io0", "qom-type", {"qom-type": "iothread", "id": "io0"}),
            ("qom-type=iothread,id=io0", "qom-type", {"qom-type": "iothread", "id": "io0"}),
            ("a=1,implied=2", "implied", {"a": "1", "implied": "2"}),
            ("v,implied=w", "implied", {"implied": "w"}),
        ],
        ids=[
            "v01-empty",
            "v08-key-127",
            "v09-fragment-127",
            "v11-escaped-comma-last-wins",
            "v12-id-last-wins",
            "v13-nested-last-wins",
            "v16-trailing-comma",
            "v18-value-starts-with-comma",
            "v19-id-not-validated",
            "v22-implied",
            "v23-implied-dotted",
            "v31-help-is-a-key",
            "v33-help-dotted-is-implied-value",
            "empty-value",
            "value-ends-with-comma",
            "escaped-then-trailing-comma",
            "equals-in-value",
            "dash-underscore",
            "downstream-prefix",
            "downstream-prefix-empty-rfqdn",
            "downstream-prefix-nested",
            "object-style",
            "implied-key-spelled-out",
            "implied-not-first",
            "implied-then-explicit",
        ],
    )
    def test_parses(self, text: str, implied: str | None, expected: dict[str, object]) -> None:
        """Valid strings give the tree QEMU builds, with every leaf a string."""
        result = keyval_parse(text, implied)
        assert expected == result
        assert not result.help_requested

    @pytest.mark.parametrize(
        ("text", "implied", "message"),
        [
            ("=val", None, "Invalid parameter ''"),
            (".", None, "Invalid parameter '.'"),
            ("key.", None, "Invalid parameter 'key.'"),
            ("7up=val", None, "Invalid parameter '7up'"),
            (f"{LONG}=v", None, f"Parameter '{LONG}' is too long"),
            (f"k.{LONG}=v", None, f"Parameter fragment '{LONG}' is too long"),
            ("key[0]=val", None, "Invalid parameter 'key[0]'"),
            ("a.b=1,a=2", None, "Parameters 'a.*' used inconsistently"),
            ("a.b=1,a.b.c=2", None, "Parameters 'a.b.*' used inconsistently"),
            (",", None, "Invalid parameter ''"),
            ("an,noaus,noaus=", None, "Expected '=' after parameter 'an'"),
            ("no", None, "Expected '=' after parameter 'no'"),
            (",", "implied", "Invalid parameter ''"),
            (",,,a=1", "implied", "Invalid parameter ''"),
            ("val,,ue", "implied", "Invalid parameter ''"),
            ("=val", "implied", "Invalid parameter ''"),
            ("help.abc", None, "Expected '=' after parameter 'help.abc'"),
            # Beyond the table, checked against qemu-storage-daemon 7.2:
            (f"{LONG}.k=v", None, f"Parameter fragment '{LONG}' is too long"),
            ("a=1,a.b=2", None, "Parameters 'a.*' used inconsistently"),
            ("a=1,a.b.0=2", None, "Parameters 'a.*' used inconsistently"),
            ("a b=1", None, "Invalid parameter 'a b'"),
            ("a=1,a.b c=2", None, "Invalid parameter 'a.b c'"),
            ("__a.b=1", None, "Invalid parameter '__a.b'"),
            ("_x=1", None, "Invalid parameter '_x'"),
            ("x.-=1", None, "Invalid parameter 'x.-'"),
            ("é=1", None, "Invalid parameter 'é'"),
            ("a..b=1", None, "Invalid parameter 'a..b'"),
            ("a.0x=1", None, "Invalid parameter 'a.0x'"),
            ("a.b,c=1", None, "Expected '=' after parameter 'a.b'"),
            ("help,iothread", "qom-type", "Expected '=' after parameter 'iothread'"),
            ("help=1,iothread", "qom-type", "Expected '=' after parameter 'iothread'"),
            ("id=x,help,,foo", None, "Invalid parameter ''"),
            ("a=1,b", "implied", "Expected '=' after parameter 'b'"),
            ("a=1,a.b", None, "Parameters 'a.*' used inconsistently"),
        ],
        ids=[
            "v02-empty-key",
            "v03-dot",
            "v04-trailing-dot",
            "v05-digit-first",
            "v06-key-128",
            "v07-fragment-128",
            "v10-brackets",
            "v14-leaf-then-parent",
            "v15-leaf-then-deeper",
            "v17-lone-comma",
            "v20-no-equals",
            "v21-no-equals-alone",
            "v24-implied-lone-comma",
            "v25-implied-escaped-commas",
            "v26-implied-value-ends-at-comma",
            "v27-implied-empty-key",
            "v32-help-dotted",
            "first-fragment-128-of-two",
            "parent-after-leaf",
            "list-parent-after-leaf",
            "space-in-key",
            "syntax-before-clash",
            "downstream-prefix-without-underscore",
            "single-underscore",
            "dash-fragment",
            "non-ascii",
            "empty-fragment",
            "index-with-letters",
            "dotted-no-equals",
            "help-first-uses-up-implied-key",
            "help-key-first-uses-up-implied-key",
            "empty-item-after-help",
            "implied-only-first",
            "clash-before-missing-equals",
        ],
    )
    def test_rejects(self, text: str, implied: str | None, message: str) -> None:
        """Errors use QEMU's wording and precedence: the first bad item wins."""
        with pytest.raises(KeyvalError, match=re.escape(message)) as info:
            keyval_parse(text, implied)
        assert message == str(info.value)

    @pytest.mark.parametrize(
        ("text", "implied", "expected"),
        [
            ("help", None, {}),
            ("help", "implied", {}),
            ("number=42,help,foo=bar", None, {"number": "42", "foo": "bar"}),
            ("val,help,foo=bar", "implied", {"implied": "val", "foo": "bar"}),
            ("?", None, {}),
            ("?", "implied", {}),
            ("iothread,id=x,help,", "qom-type", {"qom-type": "iothread", "id": "x"}),
            ("help,help", None, {}),
        ],
        ids=[
            "v28-help",
            "v29-help-implied",
            "v34-help-in-the-middle",
            "v35-help-after-implied",
            "v36-question-mark",
            "question-mark-implied",
            "help-trailing-comma",
            "help-twice",
        ],
    )
    def test_help(self, text: str, implied: str | None, expected: dict[str, object]) -> None:
        """A bare help or ? item sets the flag and the other items are still parsed."""
        result = keyval_parse(text, implied)
        assert expected == result
        assert result.help_requested
        assert (expected, True) == keyval_parse_with_help(text, implied)

    @pytest.mark.parametrize(
        ("text", "implied"),
        [("help", None), ("help", "implied"), ("?", None), ("a=1,help", None), ("help,list.1=x", None)],
        ids=["v30-help", "v30-help-implied", "question-mark", "help-later", "help-before-list-errors"],
    )
    def test_help_not_accepted(self, text: str, implied: str | None) -> None:
        """Without accept_help a help item fails, and that check precedes listify."""
        message = "Help is not available for this option"
        with pytest.raises(KeyvalError, match=re.escape(message)):
            keyval_parse(text, implied, accept_help=False)
        with pytest.raises(KeyvalError, match=re.escape(message)):
            keyval_parse_with_help(text, implied, accept_help=False)

    def test_accept_help_false_parses_normally(self) -> None:
        """Without a help item, accept_help=False changes nothing."""
        assert {"help": "on"} == keyval_parse("help=on", accept_help=False)

    @pytest.mark.parametrize(
        "implied",
        ["", "7up", "a.", "a.0x", "0", LONG],
        ids=["empty", "digit", "dot", "index", "root-index", "long"],
    )
    def test_bad_implied_key(self, implied: str) -> None:
        """An implied key that is not a valid key is a programming error."""
        with pytest.raises(ValueError, match="is not a valid key"):
            keyval_parse("x", implied)

    def test_result_type(self) -> None:
        """The result is a KeyvalDict whose nested values are plain dicts and lists."""
        result = keyval_parse("a.b=1,l.0=x")
        assert type(result) is KeyvalDict
        assert type(result["a"]) is dict
        assert type(result["l"]) is list
        assert "KeyvalDict({'a': {'b': '1'}, 'l': ['x']}, help_requested=False)" == repr(result)

    def test_result_copies_and_pickles(self) -> None:
        """copy and pickle keep the items and the help flag."""
        result = keyval_parse("a.b=1,help")
        for clone in (copy.copy(result), copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
            assert result == clone
            assert clone.help_requested

    def test_member_order(self) -> None:
        """Members keep the order of their first appearance."""
        assert ["b", "a", "c"] == list(keyval_parse("b=1,a=2,c=3,b=4"))

    def test_deep_key(self) -> None:
        """Thousands of fragments neither recurse too deep nor take quadratic time."""
        depth = 20_000
        chain = "a." * (depth - 1)
        node: KeyvalValue = keyval_parse(f"{chain}a=v,{chain}b.0=w")
        for _ in range(depth - 1):
            assert isinstance(node, dict)
            node = node["a"]
        assert {"a": "v", "b": ["w"]} == node
        message = f"Parameter '{chain}a.0' missing"
        with pytest.raises(KeyvalError, match=re.escape(message)):
            keyval_parse(f"{chain}a.1=x")

    def test_many_items(self) -> None:
        """A long string of items parses in linear time."""
        text = ",".join(f"k{i}=v" for i in range(50_000)) + ",help" * 10_000
        assert 50_000 == len(keyval_parse(text))


class TestKeyvalLists:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("list.0=null,list.2=zwei,list.1=eins", {"list": ["null", "eins", "zwei"]}),
            ("list.1=goner,list.0=null,list.01=eins,list.2=zwei", {"list": ["null", "eins", "zwei"]}),
            ("a.list.1=eins,a.list.00=null,a.list.2=zwei", {"a": {"list": ["null", "eins", "zwei"]}}),
            ("list.01=a,list.1=b,list.01=c,list.0=z", {"list": ["z", "c"]}),
            ("a.0=,a.1=I,a.2.0=II", {"a": ["", "I", ["II"]]}),
            ("a.0.x=1,a.0.y=2,a.1.x=3", {"a": [{"x": "1", "y": "2"}, {"x": "3"}]}),
            ("l.0.0.0=deep", {"l": [[["deep"]]]}),
        ],
        ids=[
            "v38-any-order",
            "v39-same-slot-last-wins",
            "v40-leading-zeros",
            "same-slot-rewritten",
            "v63-nested-list",
            "list-of-dicts",
            "list-of-lists",
        ],
    )
    def test_parses(self, text: str, expected: dict[str, object]) -> None:
        """Numeric fragments turn their parent into a list after the whole parse."""
        assert expected == keyval_parse(text)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("0=1", "Invalid parameter '0'"),
            ("a.b.c=1,a.b.0=2", "Parameters 'a.b.*' used inconsistently"),
            ("a.0.c=1,a.b.c=2", "Parameters 'a.*' used inconsistently"),
            ("list.1=lonely", "Parameter 'list.0' missing"),
            ("list.0=null,list.2=eins,list.02=zwei", "Parameter 'list.1' missing"),
            # Beyond the table, checked against qemu-storage-daemon 7.2:
            ("a.0=1,a.b=2", "Parameters 'a.*' used inconsistently"),
            ("a.b=1,a.0=2", "Parameters 'a.*' used inconsistently"),
            ("list.5=1,list.0=2", "Parameter 'list.1' missing"),
            ("list.99999999999=1", "Parameter 'list.0' missing"),
            ("list.0=1,list.2147483647=2,list.99999999999=3", "Parameter 'list.1' missing"),
            ("a.1.x=1,a.01=2", "Parameter 'a.0' missing"),
            ("a.0.1=x,b.1=y", "Parameter 'a.0.0' missing"),
            ("a.0.1=x,a.b=y", "Parameter 'a.0.0' missing"),
        ],
        ids=[
            "v37-root-index",
            "v41-index-after-names",
            "v42-names-after-index",
            "v43-gap-at-zero",
            "v44-gap-in-middle",
            "index-then-name",
            "name-then-index",
            "gap-reports-first-missing",
            "huge-index-capped",
            "int-max-slot-shared",
            "same-slot-dict-and-string",
            "depth-first-order",
            "children-before-parent",
        ],
    )
    def test_rejects(self, text: str, message: str) -> None:
        """List errors name the first missing index, or the inconsistent parent."""
        with pytest.raises(KeyvalError, match=re.escape(message)) as info:
            keyval_parse(text)
        assert message == str(info.value)

    def test_same_slot_last_write_wins(self) -> None:
        """When two spellings name one slot, the one written last supplies it."""
        assert {"a": [{"y": "2"}]} == keyval_parse("a.0.x=1,a.00.y=2")
        assert {"a": [{"x": "1", "z": "3"}]} == keyval_parse("a.0.x=1,a.00.y=2,a.0.z=3")


class TestKeyvalMerge:
    @pytest.mark.parametrize(
        ("dest", "src", "expected"),
        [
            (
                "opt1=abc,opt2.sub1=def,opt2.sub2=ghi,opt3=xyz",
                "opt1=ABC,opt2.sub2=GHI,opt2.sub3=JKL",
                "opt1=ABC,opt2.sub1=def,opt2.sub2=GHI,opt2.sub3=JKL,opt3=xyz",
            ),
            ("opt1.0=abc,opt2.0=xyz", "opt1.0=def", "opt1.0=abc,opt1.1=def,opt2.0=xyz"),
            ("a=1", "b.c.0=2", "a=1,b.c.0=2"),
            ("", "a.b=1", "a.b=1"),
            ("a.b=1", "", "a.b=1"),
        ],
        ids=["v68-dicts-merge", "v69-lists-concatenate", "new-subtree", "into-empty", "from-empty"],
    )
    def test_merges(self, dest: str, src: str, expected: str) -> None:
        """Merging equals parsing the combined string."""
        tree = keyval_parse(dest)
        keyval_merge(tree, keyval_parse(src))
        assert keyval_parse(expected) == tree

    @pytest.mark.parametrize(
        ("dest", "src", "message"),
        [
            ("opt2=ABC", "opt2.sub1=def,opt2.sub2=ghi", "Parameter 'opt2' used inconsistently"),
            ("opt2.sub1=def,opt2.sub2=ghi", "opt2=ABC", "Parameter 'opt2' used inconsistently"),
            ("a.b.0=1", "a.b.c=2", "Parameter 'a.b' used inconsistently"),
            ("a.b=1,a.c=2", "a.b=x,a.c.d=3", "Parameter 'a.c' used inconsistently"),
        ],
        ids=["v70-string-then-dict", "v70-dict-then-string", "list-then-dict", "nested-path"],
    )
    def test_rejects(self, dest: str, src: str, message: str) -> None:
        """A path of different kinds in the two trees fails and leaves dest unchanged."""
        tree = keyval_parse(dest)
        with pytest.raises(KeyvalError, match=re.escape(message)):
            keyval_merge(tree, keyval_parse(src))
        assert keyval_parse(dest) == tree

    def test_copies_from_src(self) -> None:
        """After a merge, dest shares no dict or list with src."""
        dest = keyval_parse("l.0=a")
        src = keyval_parse("l.0.x=b,d.e=c")
        src_before = copy.deepcopy(src)
        keyval_merge(dest, src)
        keyval_merge(dest, keyval_parse("d.f=g"))
        assert isinstance(dest["l"], list)
        dest["l"].append("z")
        assert src_before == src

    def test_merges_into_itself(self) -> None:
        """Merging a tree into itself doubles its lists and terminates."""
        tree = keyval_parse("l.0=a,d.x=1")
        keyval_merge(tree, tree)
        assert {"l": ["a", "a"], "d": {"x": "1"}} == tree


# --- properties ----------------------------------------------------------------

_NAMES = st.from_regex(r"(__[a-z0-9.-]{0,4}_)?[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True)
_VALUES = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", ",", ",,", "a,b", "=", "x=y,z", "help", "?"]
)
_TREES = st.recursive(
    _VALUES,
    lambda children: (
        st.dictionaries(_NAMES, children, min_size=1, max_size=4) | st.lists(children, min_size=1, max_size=4)
    ),
    max_leaves=12,
)


def _items(tree: KeyvalValue, path: str, zeros: st.DataObject) -> list[str]:
    """Flatten *tree* into ``key=value`` items, values escaped, indexes maybe zero-padded."""
    if isinstance(tree, str):
        return [f"{path}={tree.replace(',', ',,')}"]
    if isinstance(tree, dict):
        pairs = list(tree.items())
    else:
        pairs = [("0" * zeros.draw(st.integers(0, 2)) + str(i), v) for i, v in enumerate(tree)]
    return [item for key, value in pairs for item in _items(value, f"{path}.{key}" if path else key, zeros)]


@given(tree=st.dictionaries(_NAMES, _TREES, max_size=5), data=st.data(), trailing=st.booleans())
def test_format_then_parse_round_trips(tree: dict[str, KeyvalValue], data: st.DataObject, trailing: bool) -> None:
    """Formatting a tree (commas doubled, items in any order) and parsing it gives it back."""
    items = data.draw(st.permutations(_items(tree, "", data)))
    text = ",".join(items) + ("," if trailing and items else "")
    assert tree == keyval_parse(text)


_TOKENS = st.sampled_from(
    ["a", "b", "0", "01", "9", ".", ",", ",,", "=", "_", "__", "-", "?", "help", " ", "é", "x" * 130]
)


@given(
    text=st.text() | st.lists(_TOKENS, max_size=30).map("".join),
    implied=st.sampled_from([None, "implied", "a.b"]),
    accept_help=st.booleans(),
)
def test_arbitrary_text_only_raises_keyval_error(text: str, implied: str | None, accept_help: bool) -> None:
    """Any text either parses into a tree of strings or raises KeyvalError."""
    try:
        result = keyval_parse(text, implied, accept_help=accept_help)
    except KeyvalError:
        return
    pending: list[KeyvalValue] = [result]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        else:
            assert isinstance(node, str)
