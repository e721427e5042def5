"""
The cattrs converter between checked QAPI JSON and the Python types of `qom_py.qapi._pytypes`.

Structuring assumes the JSON was checked (`qom_py.qapi.Checker`): QEMU's
messages come from the check, and the converter only builds.  cattrs
dispatches; the hooks of the classes made from a schema and of tuples are
generated here (as cattrs generates its own), building an instance by
setting its ``__dict__`` at once and writing members in the schema's order
(cattrs' generated unstructuring moves omittable members last); a
hand-written class (`qom_py.qapi._pydefine`) is built through its
``__init__`` by cattrs' own generated hook.  Every class made for (or
adopted by) a QAPI type carries ``__qapi_members__``: its attributes' Python
and QAPI names, in QEMU's member order (base first), and which are optional
(the mark is `qom_py.qapi._typed_json`'s, which reads it without cattrs to
turn typed input values into JSON); the hooks rename, omit absent optional
members when unstructuring, and dispatch a union on its tag and an alternate
on the JSON type of the value.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from typing import Any, Final

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._typed_json import ABSENT, Absent, QAPIMembers
from ._typed_json import MEMBERS as _MEMBERS

__all__ = ["ABSENT", "Absent", "QAPIMembers", "make_converter"]

_BRANCHES: Final = "__qapi_branches__"
_TAG: Final = "__qapi_tag__"
_GENERATED: Final = "__qapi_generated__"  # a class made by qom_py.qapi._pytypes (instances have a __dict__)


def _is_qapi_class(cls: Any) -> bool:
    return isinstance(cls, type) and _MEMBERS in cls.__dict__


def _is_union(cls: Any) -> bool:
    return isinstance(cls, type) and _BRANCHES in cls.__dict__


def _is_alternate(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _overrides(cls: type) -> dict[str, Any]:
    members: QAPIMembers = getattr(cls, _MEMBERS)
    return {py: override(rename=qapi) for py, qapi, _ in members}


def _scalar_kind(value: object) -> type:
    if value is None:
        return type(None)
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int
    if isinstance(value, float):
        return float
    if isinstance(value, str):
        return str
    if isinstance(value, dict):
        return dict
    return tuple


def _alternate_branch(args: tuple[Any, ...], value: object) -> Any:
    """The branch of an alternate (a Python union of its branches' types) a checked *value* belongs to."""
    kind = _scalar_kind(value)
    for arg in args:
        if arg is Absent:
            continue
        origin = typing.get_origin(arg) or arg
        if kind is type(None) and arg is type(None):
            return arg
        if kind is bool:
            if arg is bool:
                return arg
        elif kind is int and arg in (int, float):
            return arg
        elif kind is float and arg is float:
            return arg
        elif kind is str and (arg is str or (isinstance(arg, type) and issubclass(arg, enum.Enum))):
            return arg
        elif kind is dict and (attrs.has(origin) or arg is Any):
            return arg
        elif kind is tuple and origin is tuple:
            return arg
    return Any  # an ``any`` branch takes what the others do not


#: Branches whose checked JSON is the value itself.
_AS_IS: Final = frozenset({Any, type(None), int, str, bool})


def _as_is(value: Any, _: Any) -> Any:
    return value


_NEVER: Final = object()  # no member's value


def _absent_value(field: attrs.Attribute[Any]) -> object:
    """What an optional member's attribute holds when the member is absent: its default (None or `ABSENT`)."""
    return ABSENT if field.default is ABSENT else None


def _member_type(tp: Any) -> Any:
    """An optional member's attribute type without its absent value: ``int | None`` -> ``int``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not Absent]
        if len(args) == 2 and type(None) in args:
            args.remove(type(None))
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007 - made at run time
    return tp


class _HookSource:
    """
    The source of a generated hook: names bound in its namespace, hooks looked up on first call.

    A hook of another type is a stub that replaces itself with the converter's
    hook the first time it runs: the classes of a schema refer to each other
    (``SchemaInfo`` recursion), and no hook is asked for while generating.
    """

    def __init__(self, converter: cattrs.Converter, name: str) -> None:
        self.converter = converter
        self.name = name
        self.namespace: dict[str, Any] = {"ABSENT": ABSENT}
        self.lines: list[str] = []

    def bind(self, value: object) -> str:
        name = f"_v{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def hook(self, tp: Any, structuring: bool) -> str:
        name = f"_h{len(self.namespace)}"
        namespace, converter = self.namespace, self.converter

        def structure_stub(value: Any, tp_: Any) -> Any:
            real = namespace[name] = converter.get_structure_hook(tp_)
            return real(value, tp_)

        def unstructure_stub(value: Any) -> Any:
            real = namespace[name] = converter.get_unstructure_hook(tp)
            return real(value)

        stub = structure_stub if structuring else unstructure_stub
        namespace[name] = stub
        return name

    def structure_expr(self, tp: Any, value: str) -> str:
        """Python source building the attribute of type *tp* from the checked JSON *value*."""
        if tp in (int, str, bool) or tp is Any:
            return value
        if tp is float:
            return f"float({value})"
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return f"{self.bind(tp._value2member_map_)}[{value}]"
        return f"{self.hook(tp, True)}({value}, {self.bind(tp)})"

    def unstructure_expr(self, tp: Any, value: str) -> str:
        """Python source of the JSON of the attribute *value* of type *tp*."""
        if tp in (int, str, bool, float) or tp is Any:
            return value
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return f"{value}._value_"
        return f"{self.hook(tp, False)}({value})"

    def compile(self) -> Callable[..., Any]:
        code = "\n".join(self.lines) + "\n"
        exec(compile(code, f"<qom_py {self.name}>", "exec"), self.namespace)  # source made here
        hook: Callable[..., Any] = self.namespace["hook"]
        return hook


def _class_structure(converter: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    """A structure hook building a generated class's instance without ``__init__``: one ``__dict__``."""
    members: QAPIMembers = getattr(cls, _MEMBERS)
    fields = {a.name: a for a in attrs.fields(cls)}
    source = _HookSource(converter, f"structure {cls.__qualname__}")
    items = []
    for py, qapi, optional in members:
        field = fields[py]
        if not field.init:  # a union branch's tag
            items.append(f"{py!r}: {source.bind(field.default)}")
            continue
        expr = source.structure_expr(_member_type(field.type), f"o[{qapi!r}]")
        if optional:
            absent = "ABSENT" if field.default is ABSENT else "None"
            expr = (
                f"o.get({qapi!r}, {absent})" if expr == f"o[{qapi!r}]" else f"({expr} if {qapi!r} in o else {absent})"
            )
        items.append(f"{py!r}: {expr}")
    new, set_dict = source.bind(cls.__new__), source.bind(object.__setattr__)
    source.lines += [
        "def hook(o, _=None):",
        f"    i = {new}({source.bind(cls)})",
        f"    {set_dict}(i, '__dict__', {{{', '.join(items)}}})",
        "    return i",
    ]
    return source.compile()


def _class_unstructure(converter: cattrs.Converter, cls: type) -> Callable[[Any], Any]:
    """An unstructure hook: QAPI names, QEMU's member order (the schema's), absent optional members left out."""
    members: QAPIMembers = getattr(cls, _MEMBERS)
    fields = {a.name: a for a in attrs.fields(cls)}
    source = _HookSource(converter, f"unstructure {cls.__qualname__}")
    source.lines += ["def hook(i):", "    r = {}"]
    for py, qapi, optional in members:
        field = fields[py]
        expr = source.unstructure_expr(_member_type(field.type), "v")
        if optional:
            absent = "ABSENT" if field.default is ABSENT else "None"
            source.lines += [f"    v = i.{py}", f"    if v is not {absent}:", f"        r[{qapi!r}] = {expr}"]
        else:
            source.lines += [f"    v = i.{py}", f"    r[{qapi!r}] = {expr}"]
    source.lines.append("    return r")
    return source.compile()


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(converter: cattrs.Converter, tp: Any, structuring: bool) -> Callable[..., Any]:
    source = _HookSource(converter, f"{'structure' if structuring else 'unstructure'} {tp}")
    element = typing.get_args(tp)[0]
    if structuring:
        expr = source.structure_expr(element, "e")
        body = "tuple(o)" if expr == "e" else f"tuple([{expr} for e in o])"
        source.lines += ["def hook(o, _=None):", f"    return {body}"]
    else:
        expr = source.unstructure_expr(element, "e")
        body = "list(o)" if expr == "e" else f"[{expr} for e in o]"
        source.lines += ["def hook(o):", f"    return {body}"]
    return source.compile()


def make_converter() -> cattrs.Converter:
    """A converter for QAPI-typed classes (see the module's description)."""
    converter = cattrs.Converter(detailed_validation=False, unstruct_collection_overrides={tuple: list})

    def union_structure(cls: type) -> Callable[[Any, Any], Any]:
        branches: dict[str, type] = getattr(cls, _BRANCHES)
        tag: str = getattr(cls, _TAG)

        def structure(value: Any, _: Any) -> Any:
            return converter.structure(value, branches[value[tag]])

        return structure

    def class_structure(cls: type) -> Callable[[Any, Any], Any]:
        if _GENERATED in cls.__dict__:
            return _class_structure(converter, cls)
        return make_dict_structure_fn(cls, converter, **_overrides(cls))  # a hand-written class: its __init__

    def class_unstructure(cls: type) -> Callable[[Any], Any]:
        return _class_unstructure(converter, cls)

    def alternate_structure(tp: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(tp)

        def structure(value: Any, _: Any) -> Any:
            branch = _alternate_branch(args, value)
            return value if branch in _AS_IS else converter.structure(value, branch)

        return structure

    def alternate_unstructure(tp: Any) -> Callable[[Any], Any]:
        return lambda value: converter.unstructure(value)

    def union_unstructure(cls: type) -> Callable[[Any], Any]:
        return lambda value: converter.unstructure(value, unstructure_as=value.__class__)

    for scalar in (int, str, bool):  # checked JSON is already of the type
        converter.register_structure_hook(scalar, _as_is)
    # The factories registered last are asked first: unions before classes.
    converter.register_structure_hook_factory(_is_qapi_class, class_structure)
    converter.register_unstructure_hook_factory(_is_qapi_class, class_unstructure)
    converter.register_structure_hook_factory(_is_union, union_structure)
    converter.register_unstructure_hook_factory(_is_union, union_unstructure)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, lambda tp: _tuple_hook(converter, tp, True))
    converter.register_unstructure_hook_factory(_is_homogeneous_tuple, lambda tp: _tuple_hook(converter, tp, False))
    converter.register_structure_hook_factory(_is_alternate, alternate_structure)
    converter.register_unstructure_hook_factory(_is_alternate, alternate_unstructure)
    return converter
