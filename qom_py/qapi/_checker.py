"""
The checker: a value read as a QAPI type, as QEMU's QObject input visitor reads it.

One `Checker` serves one `QAPISchema`.  `Checker.check` reads a value as any
type of the schema -- built-ins, enums, structs (base first), flat unions
(discriminator, then the branch), alternates, lists -- in one of two modes:

* ``"json"``: QMP and JSON ``--object``; values must have the right JSON type;
* ``"keyval"``: ``--object`` key=value strings after `keyval_parse`; every
  scalar is a string, parsed for the type asked for.

The order of checks and the messages are QEMU 7.2's: a struct's members in
schema order (missing or mistyped as met), then its unexpected members (the
one named as QEMU's hash table names it, `first_unexpected`).  Names in
messages are QEMU's: "full" names for a missing, unexpected or mistyped
member (``rules[0].match`` in JSON mode, ``rules.0.match`` in keyval mode;
a value checked with no name is ``<anonymous>``, the elements of such a list
``[1]`` and ``1``), the member's plain name for a rejected enum value or an
integer out of range (``'policy'``; a list element has none: ``'null'``).  Scalar messages come
from the visitors of `qom_py.qapi._visitors`.

The result is the value in its JSON shape: structs as new dicts holding the
members present, in schema order; keyval strings converted.

Each (type, mode) is compiled once into a closure; a checker is cheap to
drop when its schema changes.  A checker works from the schema's check table
(`qom_py.qapi._table`): made from a schema, it derives each type's entry on
first use; made from a table (`Checker.from_table`), it needs no schema
model at all, as QEMU's generated visitors need none.

Depth: the checks recurse, a few Python frames per level of nesting.  The
checks handed out (`Checker.compile`, `Checker.members`, `Checker.check`) run
a value too deep for the recursion limit again with room for it
(`qom_py.qapi._depth`): every depth QEMU's JSON parser allows is checked, and a
deeper value (a keyval key of thousands of fragments) gets one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from .._util.codegen import compile_function
from .._util.names import array_name
from ..errors import ParameterError, QAPITypeNotFoundError
from ._depth import deep_retry
from ._frozen import FrozenList
from ._qdict_order import first_unexpected
from ._table import AlternateEntry, ArrayEntry, CheckTable, EnumEntry, ObjectEntry, TypeEntry, type_entry
from ._visitors import (
    ENUM_SHORTCUT,
    INT_RANGES,
    JSON_VISITOR,
    KEYVAL_VISITOR,
    STRING_VISITOR,
    InputVisitor,
    Mode,
    expects,
    invalid_type,
    rejects_value,
    scalar_shortcut,
)

if TYPE_CHECKING:
    from ._schema import QAPISchema, TypeExpr

__all__ = ["Check", "Checker", "MemberCheck", "Mode", "missing", "unexpected"]

#: A compiled check: ``(raw, full name, plain name or None) -> checked value``.
Check: TypeAlias = Callable[[object, str, "str | None"], Any]

#: A compiled struct body: ``(mapping, prefix) -> the members present, checked, in visit order``.
MemberCheck: TypeAlias = Callable[[Mapping[str, Any], str], dict[str, Any]]

#: The name QEMU gives a value that has none (the root of a visit): ``full_name()`` of
#: qobject-input-visitor.c.
ANONYMOUS: Final = "<anonymous>"

#: What a scalar read at the root (no name) is called in messages: the QObject input
#: visitor's ``full_name()`` says ``<anonymous>``; the string input visitor ``name ?: "null"``.
_ROOT_NAMES: Final[dict[str, str]] = {"json": ANONYMOUS, "keyval": ANONYMOUS, "string": "null"}

_VISITORS: Final[dict[str, InputVisitor]] = {"json": JSON_VISITOR, "keyval": KEYVAL_VISITOR, "string": STRING_VISITOR}


def missing(full: str) -> ParameterError:
    """QEMU's ``Parameter 'x' is missing``."""
    return ParameterError(f"Parameter '{full}' is missing")


def unexpected(full: str) -> ParameterError:
    """QEMU's ``Parameter 'x' is unexpected``."""
    return ParameterError(f"Parameter '{full}' is unexpected")


def check_leftovers(value: Mapping[str, Any], consumed: Mapping[str, Any] | tuple[str, ...], prefix: str) -> None:
    """
    Raise for the member of *value* QEMU names unexpected, if any.

    *consumed*: the members visited, in visit order (a dict's keys will do).
    """
    if len(consumed) != len(value):
        taken = set(consumed)
        if any(key not in taken for key in value):
            raise unexpected(prefix + first_unexpected(value, consumed))


def _qtype(raw: object) -> str:
    """The QType QEMU's QObject of *raw* would have (alternates dispatch on it)."""
    if raw is None:
        return "qnull"
    if type(raw) is bool:
        return "qbool"
    if type(raw) in (int, float):
        return "qnum"
    if type(raw) is str:
        return "qstring"
    if isinstance(raw, dict):
        return "qdict"
    if type(raw) is list or type(raw) is FrozenList:
        return "qlist"
    return "none"


class Checker:
    """
    Checks values against the types of *schema* (see the module's description).

    The schema may grow after the checker was made (new types are compiled on
    first use); a changed definition needs a new checker.
    """

    __slots__ = ("_checks", "_entries", "_guarded", "_member_checks", "schema")

    def __init__(self, schema: QAPISchema | None) -> None:
        #: The schema the types come from (None for a checker made `from_table`).
        self.schema = schema
        self._entries: dict[str, TypeEntry] = {}  # derived from the schema on first use
        self._checks: dict[tuple[str, str], Check] = {}
        self._member_checks: dict[tuple[str, str], MemberCheck] = {}
        # What `compile` and `members` hand out: the checks, safe at any depth.
        self._guarded: dict[tuple[str, str, bool], Any] = {}

    @classmethod
    def from_table(cls, table: CheckTable) -> Checker:
        """A checker of the types of *table* (`qom_py.qapi._table.check_table`), with no schema model."""
        checker = cls(None)
        checker._entries.update(table["types"])  # a copy: array types of a `check` are added
        return checker

    # -- entry points -------------------------------------------------------------

    def check(self, type_expr: TypeExpr, raw: object, mode: Mode = "json", name: str | None = None) -> Any:
        """
        Check *raw* as the type *type_expr* (``"str"``, ``"Rule"``, ``["Rule"]``).

        *name* is the value's own name (a property's, an argument's); None
        for a root object, whose members are named without a prefix.

        Raises:
            ParameterError: QEMU's message for the first problem met.
            QAPITypeNotFoundError: *type_expr* names no type.
        """
        check = self.compile(self._resolve(type_expr), mode)
        return check(raw, "" if name is None else name, name)

    def _resolve(self, type_expr: TypeExpr) -> str:
        """The name of the type *type_expr* names (an array type is made on first use, as the schema makes it)."""
        if self.schema is not None:
            return self.schema.resolve_type(type_expr).name
        if isinstance(type_expr, str):
            self.entry(type_expr)
            return type_expr
        element = type_expr[0] if len(type_expr) == 1 else None
        if not isinstance(element, str) or self.entry(element)[0] == "array":
            raise QAPITypeNotFoundError(repr(list(type_expr)))
        name = array_name(element)
        self._entries.setdefault(name, ("array", element))
        return name

    def define(self, type_name: str, entry: TypeEntry) -> None:
        """
        Add the entry of a type its schema (or table) does not define: a type derived at run time.

        Raises:
            ValueError: *type_name* is known already (an entry is never replaced).
        """
        if type_name in self._entries or (self.schema is not None and type_name in self.schema):
            msg = f"type '{type_name}' is defined already"
            raise ValueError(msg)
        self._entries[type_name] = entry

    def entry(self, type_name: str) -> TypeEntry:
        """
        The check-table entry of the type *type_name* (`qom_py.qapi._table`).

        Raises:
            QAPITypeNotFoundError: no type has that name.
        """
        found = self._entries.get(type_name)
        if found is None:
            typ = None if self.schema is None else self.schema.lookup_type(type_name)
            if typ is None:
                raise QAPITypeNotFoundError(type_name)
            assert self.schema is not None
            found = self._entries[type_name] = type_entry(self.schema, typ)
        return found

    def compile(self, type_name: str, mode: Mode) -> Check:
        """The compiled check of *type_name* in *mode* (made on first use), for a value of any depth."""
        guarded: Check | None = self._guarded.get((type_name, mode, False))
        if guarded is None:
            guarded = self._guarded[type_name, mode, False] = _deep_check(self._compile(type_name, mode))
        return guarded

    def _compile(self, type_name: str, mode: Mode) -> Check:
        """`compile`, unguarded: what the checks themselves call."""
        check = self._checks.get((type_name, mode))
        if check is None:
            # A placeholder first: a recursive type refers to itself.
            self._checks[type_name, mode] = lambda raw, full, plain: self._checks[type_name, mode](raw, full, plain)
            check = self._build(type_name, self.entry(type_name), mode)
            self._checks[type_name, mode] = check
        return check

    def members(self, type_name: str, mode: Mode) -> MemberCheck:
        """
        The members-only check of the object type *type_name* in *mode*.

        It checks a mapping's members (base first; a union's branch after its
        base) and returns the members present, checked, in visit order;
        leftovers are the caller's to check (`check_leftovers`), as QEMU's
        ``visit_check_struct`` comes after the members' visit.

        Raises:
            QAPITypeNotFoundError: *type_name* is not an object type.
        """
        guarded: MemberCheck | None = self._guarded.get((type_name, mode, True))
        if guarded is None:
            guarded = self._guarded[type_name, mode, True] = _deep_members(self._members(type_name, mode))
        return guarded

    def _members(self, type_name: str, mode: Mode) -> MemberCheck:
        """`members`, unguarded: what the checks themselves call."""
        found = self._member_checks.get((type_name, mode))
        if found is None:
            entry = self.entry(type_name)
            if entry[0] != "object":
                raise QAPITypeNotFoundError(type_name)
            found = self._build_members(type_name, entry, mode)
            self._member_checks[type_name, mode] = found
        return found

    # -- building -----------------------------------------------------------------

    def _build(self, name: str, entry: TypeEntry, mode: Mode) -> Check:
        visitor = _VISITORS[mode]
        if entry[0] == "builtin":
            return self._builtin(name, visitor)
        if entry[0] == "enum":
            return self._enum(entry, visitor)
        if mode == "string":
            return _not_a_string(name, entry)
        if entry[0] == "array":
            return self._array(entry, mode)
        if entry[0] == "object":
            return self._object(name, mode)
        return self._alternate(name, entry, mode)

    @staticmethod
    def _builtin(name: str, visitor: InputVisitor) -> Check:
        # A scalar's full name is empty only at the root (no name given).
        root = _ROOT_NAMES[visitor.mode]
        simple: dict[str, Callable[[str, object], Any]] = {
            "str": visitor.type_str,
            "bool": visitor.type_bool,
            "number": visitor.type_number,
            "int": visitor.type_int64,
            "int64": visitor.type_int64,
            "uint64": visitor.type_uint64,
            "size": visitor.type_size,
            "any": visitor.type_any,
        }
        read = simple.get(name)
        if read is not None:
            return lambda raw, full, plain: read(full or root, raw)
        if name == "null":
            keyval = visitor.mode == "keyval"

            def check_null(raw: object, full: str, plain: str | None) -> None:
                if raw is None or (keyval and raw == ""):
                    return None
                raise invalid_type(full or root, "null")

            return check_null
        signed = name.startswith("int")
        bits = int(name[3:] if signed else name[4:])
        low, high, c_type = INT_RANGES[bits, signed]
        read64 = visitor.type_int64 if signed else visitor.type_uint64

        def check_sized(raw: object, full: str, plain: str | None) -> int:
            # visit_type_intN(): the 64-bit read, then a range check by plain name.
            number = read64(full or root, raw)
            if low <= number <= high:
                return number
            raise expects("null" if plain is None else plain, c_type)

        return check_sized

    @staticmethod
    def _enum(entry: EnumEntry, visitor: InputVisitor) -> Check:
        values = frozenset(entry[1])
        read = visitor.type_str
        root = _ROOT_NAMES[visitor.mode]

        def check_enum(raw: object, full: str, plain: str | None) -> str:
            if type(raw) is str and raw in values:
                return raw
            text = read(full or root, raw)
            if text in values:
                return text
            raise rejects_value(plain, text)

        return check_enum

    def _array(self, entry: ArrayEntry, mode: Mode) -> Check:
        element = self._compile(entry[1], mode)
        if mode == "keyval":

            def check_array(raw: object, full: str, plain: str | None) -> list[Any]:
                if type(raw) is not list and type(raw) is not FrozenList:
                    raise invalid_type(full or ANONYMOUS, "array")
                # full_name(): a list at the root names its elements 1, 2, ... (no leading dot)
                prefix = full + "." if full else ""
                return [element(item, f"{prefix}{i}", None) for i, item in enumerate(raw)]

        else:

            def check_array(raw: object, full: str, plain: str | None) -> list[Any]:
                if type(raw) is not list and type(raw) is not FrozenList:
                    raise invalid_type(full or ANONYMOUS, "array")
                return [element(item, f"{full}[{i}]", None) for i, item in enumerate(raw)]

        return check_array

    def _object(self, name: str, mode: Mode) -> Check:
        bound: list[MemberCheck] = []  # the members' check, looked up on first use (types may recurse)

        def check_object(raw: object, full: str, plain: str | None) -> dict[str, Any]:
            if not isinstance(raw, dict):
                raise invalid_type(full or ANONYMOUS, "object")
            prefix = full + "." if full else ""
            if not bound:
                bound.append(self._members(name, mode))
            result = bound[0](raw, prefix)
            if len(result) != len(raw):
                check_leftovers(raw, result, prefix)
            return result

        return check_object

    def _build_members(self, name: str, entry: ObjectEntry, mode: Mode) -> MemberCheck:
        _, members, variants, _ = entry
        own = tuple(
            (member, optional, self._compile(typ, mode), typ, self.entry(typ)) for member, optional, typ in members
        )
        base = _members_check(own, mode, name)
        if variants is None:
            return base
        tag, cases = variants
        branches = dict(cases)

        def check_union(value: Mapping[str, Any], prefix: str) -> dict[str, Any]:
            result = base(value, prefix)
            branch = branches.get(result[tag])
            if branch is not None:
                result.update(self._members(branch, mode)(value, prefix))
            return result

        return check_union

    def _alternate(self, name: str, entry: AlternateEntry, mode: Mode) -> Check:
        by_qtype: dict[str, Check] = {}
        for qtype, branch in entry[1]:
            if qtype is not None:
                by_qtype.setdefault(qtype, self._compile(branch, mode))

        def check_alternate(raw: object, full: str, plain: str | None) -> Any:
            # The generated visit_type_ALT() switches on the QObject's type;
            # no branch for it: the error names the alternate, by plain name.
            check = by_qtype.get(_qtype(raw))
            if check is None:
                raise invalid_type("null" if plain is None else plain, name)
            return check(raw, full, plain)

        return check_alternate


def _deep_check(check: Check) -> Check:
    """*check*, run again with room on the stack if the value is too deep for the recursion limit."""

    def deep_check(raw: object, full: str, plain: str | None) -> Any:
        try:
            return check(raw, full, plain)
        except RecursionError:
            pass  # out of the except block first: the failed attempt's frames are gone
        return deep_retry(lambda: check(raw, full, plain), raw)

    return deep_check


def _deep_members(check: MemberCheck) -> MemberCheck:
    """`_deep_check` for a members-only check."""

    def deep_members(value: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        try:
            return check(value, prefix)
        except RecursionError:
            pass
        return deep_retry(lambda: check(value, prefix), value)

    return deep_members


def _not_a_string(name: str, entry: ArrayEntry | ObjectEntry | AlternateEntry) -> Check:
    # The string input visitor has no struct or alternate visits (QEMU would
    # abort); its integer-list syntax is not supported here either.
    expected = name if entry[0] == "alternate" else entry[0]  # the JSON type; an alternate's is "value"

    def check(raw: object, full: str, plain: str | None) -> Any:
        raise invalid_type(full or ANONYMOUS, expected)

    return check


def _shortcut(name: str, entry: TypeEntry, mode: Mode) -> tuple[str, dict[str, Any]]:
    """
    An expression over ``raw`` true exactly when the check of the type *name* returns ``raw`` unchanged.

    ("" when there is none; `scalar_shortcut` defines the built-ins'.)
    Creation is the hot path: generated member checks test it inline and call
    the check only when it fails.
    """
    if entry[0] == "enum":
        return ENUM_SHORTCUT, {"members": frozenset(entry[1])}
    found = scalar_shortcut(name) if entry[0] == "builtin" else None
    if found is None or not (found[2] or mode == "json"):
        return "", {}
    return found[0], found[1]


def _members_check(members: tuple[tuple[str, bool, Check, str, TypeEntry], ...], mode: Mode, owner: str) -> MemberCheck:
    """Generate the member check: one straight-line block per member, in schema order."""
    namespace: dict[str, Any] = {"missing": missing}
    lines = ["def check_members(value, prefix):", "    result = {}"]
    for index, (name, optional, check, type_name, entry) in enumerate(members):
        shortcut, constants = _shortcut(type_name, entry, mode)
        names: dict[str, str] = {}
        for key, constant in constants.items():
            if type(constant) is int:  # inlined: a literal is faster than a global
                names[key] = repr(constant)
            else:
                names[key] = f"{key}_{index}"
                namespace[names[key]] = constant
        shortcut = shortcut.format(**names)
        namespace[f"check_{index}"] = check
        call = f"check_{index}(raw, prefix + {name!r}, {name!r})"
        lines.append(f"    if {name!r} in value:")
        lines.append(f"        raw = value[{name!r}]")
        if shortcut == "True":
            lines.append(f"        result[{name!r}] = raw")
        elif shortcut:
            lines.append(f"        result[{name!r}] = raw if {shortcut} else {call}")
        else:
            lines.append(f"        result[{name!r}] = {call}")
        if not optional:
            lines.append("    else:")
            lines.append(f"        raise missing(prefix + {name!r})")
    lines.append("    return result")
    fn: MemberCheck = compile_function(
        "\n".join(lines) + "\n", "check_members", namespace, f"members of {owner} ({mode})"
    )
    return fn
