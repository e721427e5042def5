"""
Context-free checks of schema definitions: QEMU 7.2's ``scripts/qapi/expr.py``.

`check_expr` verifies one definition's shape (its keys, names, type
expressions, ``if`` conditions, ``features``, flags) with QEMU's messages and
normalizes it in place as QEMU does: member values become ``{'type': T, ...}``,
enum values and features become ``{'name': N, ...}``.  What needs other
definitions (unknown types, clashes, the union discriminator) is checked when
the schema is built (`qom_py.qapi._schema`).

``if`` conditions are checked for shape only; they are never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from .._util.names import c_name
from ._pragma import Pragma
from ._source import SourceInfo

if TYPE_CHECKING:
    from ._doc import QAPIDoc

__all__ = ["META_KINDS", "c_name", "check_expr", "meta_of"]

#: The definition kinds, in the order QEMU looks for them in an expression.
META_KINDS: Final = ("enum", "union", "alternate", "struct", "command", "event")

# Names consist of letters, digits, -, and _, starting with a letter.  An
# experimental name is prefixed with x-, a downstream extension's with __RFQDN_.
_VALID_NAME: Final = re.compile(r"(__[a-z0-9.-]+_)?(x-)?([a-z][a-z0-9_-]*)$", re.IGNORECASE)
_CAMEL: Final = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
_IF_NAME: Final = re.compile(r"[A-Z][A-Z0-9_]*")
_LOWER_OR_DASH: Final = re.compile(r"[a-z-]")
_UPPER: Final = re.compile(r"[A-Z]")

_KEYS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "enum": (("enum", "data"), ("if", "features", "prefix")),
    "union": (("union", "base", "discriminator", "data"), ("if", "features")),
    "alternate": (("alternate", "data"), ("if", "features")),
    "struct": (("struct", "data"), ("base", "if", "features")),
    "command": (
        ("command",),
        (
            "data", "returns", "boxed", "if", "features", "gen", "success-response",
            "allow-oob", "allow-preconfig", "coroutine",
        ),
    ),
    "event": (("event",), ("data", "boxed", "if", "features")),
}  # fmt: skip


def meta_of(expr: dict[str, Any]) -> str | None:
    """The definition kind of *expr* (``'struct'``, ...), or None."""
    for meta in META_KINDS:
        if meta in expr:
            return meta
    return None


def _name_str(name: str, info: SourceInfo, source: str) -> str:
    # The whole q_ namespace is reserved for implicit names (q_empty, q_obj_*).
    match = _VALID_NAME.match(name)
    if match is None or c_name(name).startswith("q_"):
        raise info.error(f"{source} has an invalid name")
    return match.group(3)


def _name_is_str(name: object, info: SourceInfo, source: str) -> None:
    if not isinstance(name, str):
        raise info.error(f"{source} requires a string name")


def _name_upper(name: str, info: SourceInfo, source: str) -> None:
    if _LOWER_OR_DASH.search(_name_str(name, info, source)):
        raise info.error(f"name of {source} must not use lowercase or '-'")


def _name_lower(name: str, info: SourceInfo, source: str, *, upper: bool = False, underscore: bool = False) -> None:
    stem = _name_str(name, info, source)
    if (not upper and _UPPER.search(stem)) or (not underscore and "_" in stem):
        raise info.error(f"name of {source} must not use uppercase or '_'")


def _name_camel(name: str, info: SourceInfo, source: str) -> None:
    if not _CAMEL.match(_name_str(name, info, source)):
        raise info.error(f"name of {source} must use CamelCase")


def _defn_name(name: str, info: SourceInfo, meta: str, pragma: Pragma) -> None:
    if meta == "event":
        _name_upper(name, info, meta)
    elif meta == "command":
        _name_lower(name, info, meta, underscore=name in pragma.command_name_exceptions)
    else:
        _name_camel(name, info, meta)
        if name.endswith("List"):
            raise info.error(f"{meta} name should not end in 'List'")


def _keys(
    value: dict[str, Any], info: SourceInfo, source: str, required: Iterable[str], optional: Iterable[str]
) -> None:
    def pprint(elems: Iterable[str]) -> str:
        return ", ".join("'" + e + "'" for e in sorted(elems))

    required = tuple(required)
    missing = set(required) - set(value)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise info.error(f"{source} misses key{plural} {pprint(missing)}")
    allowed = set(required) | set(optional)
    unknown = set(value) - allowed
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise info.error(
            f"{source} has unknown key{plural} {pprint(unknown)}", hint=f"Valid keys are {pprint(allowed)}."
        )


def _flags(expr: dict[str, Any], info: SourceInfo) -> None:
    for key in ("gen", "success-response"):
        if key in expr and expr[key] is not False:
            raise info.error(f"flag '{key}' may only use false value")
    for key in ("boxed", "allow-oob", "allow-preconfig", "coroutine"):
        if key in expr and expr[key] is not True:
            raise info.error(f"flag '{key}' may only use true value")
    if "allow-oob" in expr and "coroutine" in expr:
        raise info.error("flags 'allow-oob' and 'coroutine' are incompatible")


def _if(expr: dict[str, Any], info: SourceInfo, source: str) -> None:
    def check(cond: object) -> None:
        if isinstance(cond, str):
            if not _IF_NAME.fullmatch(cond):
                raise info.error(f"'if' condition '{cond}' of {source} is not a valid identifier")
            return
        if not isinstance(cond, dict):
            raise info.error(f"'if' condition of {source} must be a string or an object")
        _keys(cond, info, f"'if' condition of {source}", (), ("all", "any", "not"))
        if len(cond) != 1:
            raise info.error(f"'if' condition of {source} has conflicting keys")
        (operator, operand), *_ = cond.items()
        if operator == "not":
            check(operand)
            return
        if not isinstance(operand, list):
            raise info.error(f"'{operator}' condition of {source} must be an array")
        if not operand:
            raise info.error(f"'if' condition [] of {source} is useless")
        for item in operand:
            check(item)

    if expr.get("if") is not None:
        check(expr["if"])


def _normalize_members(members: object) -> None:
    if isinstance(members, dict):
        for key, arg in members.items():
            if not isinstance(arg, dict):
                members[key] = {"type": arg}


def _features(features: object, info: SourceInfo) -> None:
    if features is None:
        return
    if not isinstance(features, list):
        raise info.error("'features' must be an array")
    features[:] = [f if isinstance(f, dict) else {"name": f} for f in features]
    for feat in features:
        source = "'features' member"
        _keys(feat, info, source, ("name",), ("if",))
        _name_is_str(feat["name"], info, source)
        source = f"{source} '{feat['name']}'"
        _name_lower(feat["name"], info, source)
        _if(feat, info, source)


def _type(
    value: object, info: SourceInfo, source: str, pragma: Pragma, *, allow_array: bool = False,
    allow_dict: bool | str = False,
) -> None:  # fmt: skip
    if value is None:
        return
    if isinstance(value, list):
        if not allow_array:
            raise info.error(f"{source} cannot be an array")
        if len(value) != 1 or not isinstance(value[0], str):
            raise info.error(f"{source}: array type must contain single type name")
        return
    if isinstance(value, str):
        return
    if not allow_dict:
        raise info.error(f"{source} should be a type name")
    if not isinstance(value, dict):
        raise info.error(f"{source} should be an object or type name")
    permissive = isinstance(allow_dict, str) and allow_dict in pragma.member_name_exceptions
    for key, arg in value.items():
        key_source = f"{source} member '{key}'"
        name = key[1:] if key.startswith("*") else key
        _name_lower(name, info, key_source, upper=permissive, underscore=permissive)
        if c_name(name) == "u" or c_name(name).startswith("has_"):
            raise info.error(f"{key_source} uses reserved name")
        _keys(arg, info, key_source, ("type",), ("if", "features"))
        _if(arg, info, key_source)
        _features(arg.get("features"), info)
        _type(arg["type"], info, key_source, pragma, allow_array=True)


def _enum(expr: dict[str, Any], info: SourceInfo, pragma: Pragma) -> None:
    members = expr["data"]
    prefix = expr.get("prefix")
    if not isinstance(members, list):
        raise info.error("'data' must be an array")
    if prefix is not None and not isinstance(prefix, str):
        raise info.error("'prefix' must be a string")
    permissive = expr["enum"] in pragma.member_name_exceptions
    members[:] = [m if isinstance(m, dict) else {"name": m} for m in members]
    for member in members:
        source = "'data' member"
        _keys(member, info, source, ("name",), ("if", "features"))
        name = member["name"]
        _name_is_str(name, info, source)
        source = f"{source} '{name}'"
        if name[:1].isdigit():
            name = "d" + name  # enum values may start with a digit
        _name_lower(name, info, source, upper=permissive, underscore=permissive)
        _if(member, info, source)
        _features(member.get("features"), info)


def _union(expr: dict[str, Any], info: SourceInfo, pragma: Pragma) -> None:
    base = expr["base"]
    _type(base, info, "'base'", pragma, allow_dict=expr["union"])
    _name_is_str(expr["discriminator"], info, "'discriminator'")
    members = expr["data"]
    if not isinstance(members, dict):
        raise info.error("'data' must be an object")
    for key, value in members.items():
        source = f"'data' member '{key}'"
        _keys(value, info, source, ("type",), ("if",))
        _if(value, info, source)
        _type(value["type"], info, source, pragma)


def _alternate(expr: dict[str, Any], info: SourceInfo, pragma: Pragma) -> None:
    members = expr["data"]
    if not members:
        raise info.error("'data' must not be empty")
    if not isinstance(members, dict):
        raise info.error("'data' must be an object")
    for key, value in members.items():
        source = f"'data' member '{key}'"
        _name_lower(key, info, source)
        _keys(value, info, source, ("type",), ("if",))
        _if(value, info, source)
        _type(value["type"], info, source, pragma, allow_array=True)


def _command_or_event(expr: dict[str, Any], info: SourceInfo, pragma: Pragma, meta: str) -> None:
    args = expr.get("data")
    boxed = expr.get("boxed", False)
    if boxed and args is None:
        raise info.error("'boxed': true requires 'data'")
    _type(args, info, "'data'", pragma, allow_dict=not boxed)
    if meta == "command":
        _type(expr.get("returns"), info, "'returns'", pragma, allow_array=True)


def check_expr(
    expr: dict[str, Any], info: SourceInfo, pragma: Pragma, doc: QAPIDoc | None = None
) -> tuple[str, SourceInfo]:
    """
    Check one definition (and its doc comment) and normalize it in place.

    Returns its kind and its source info made to know the definition (errors
    inside it say ``FILE: In struct 'X':`` first, as QEMU's do).

    Raises:
        QAPISchemaError: the definition is malformed (``FILE:LINE: problem``).
    """
    metas = [meta for meta in META_KINDS if meta in expr]
    if len(metas) != 1:
        raise info.error(
            "expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event'"
        )
    (meta,) = metas
    name = expr[meta]
    _name_is_str(name, info, f"'{meta}'")
    info = info.in_definition(meta, name)
    _defn_name(name, info, meta, pragma)
    if doc is not None:
        if doc.symbol != name:
            raise info.error(f"documentation comment is for '{doc.symbol}'")
        doc.check_expr(meta)
    elif pragma.doc_required:
        raise info.error("documentation comment required")
    required, optional = _KEYS[meta]
    _keys(expr, info, meta, required, optional)
    if meta == "enum":
        _enum(expr, info, pragma)
    elif meta == "union":
        _normalize_members(expr["base"])
        _normalize_members(expr["data"])
        _union(expr, info, pragma)
    elif meta == "alternate":
        _normalize_members(expr["data"])
        _alternate(expr, info, pragma)
    elif meta == "struct":
        _normalize_members(expr["data"])
        _type(expr["data"], info, "'data'", pragma, allow_dict=name)
        if not isinstance(expr["data"], dict):  # a type name: QEMU's check lets it through, then fails
            raise info.error("'data' must be an object")
        _type(expr.get("base"), info, "'base'", pragma)
    else:
        _normalize_members(expr.get("data"))
        _command_or_event(expr, info, pragma, meta)
    _if(expr, info, meta)
    _features(expr.get("features"), info)
    _flags(expr, info)
    return meta, info
