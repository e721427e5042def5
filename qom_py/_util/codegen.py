"""
Generated fast paths for typed values: property setters, and the compiler of generated code.

Every typed kind knows a *shortcut*: a Python expression over ``raw`` that is
true exactly when its visitor would hand ``raw`` back unchanged (an in-range
``int`` for an int64 read through the JSON visitor, say).  Setters (and the
QAPI checker's member checks, `qom_py.qapi._checker`) test the shortcut inline and call the visitor only otherwise, so the
common case costs one comparison instead of three calls, while every refusal
still comes from the visitor, worded as QEMU words it.

As attrs and cattrs do, the code is generated from source templates: one
factory is compiled per (template, shortcut) pair -- a handful per process --
and each property gets a closure from it.  `compile_function`
also compiles the per-class constructors (`qom_py.qom._object.InstancePlan`) and
user-creatable builders (`qom_py.qom._creation`).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["compile_function", "make_setter"]

#: ``set(obj, visitor, name, raw)`` handing the checked value to ``user_set(obj, value)``.
_SETTER: Final = """\
def setter(obj, visitor, pname, raw):
    if {guard}{fast}:
        user_set(obj, raw)
    else:
        user_set(obj, visit(visitor, pname, raw))
"""

#: The same, storing the checked value in ``obj.__dict__[slot]`` (declarative types).
_SLOT_SETTER: Final = """\
def setter(obj, visitor, pname, raw):
    if {guard}{fast}:
        obj.__dict__[slot] = raw
    else:
        obj.__dict__[slot] = visit(visitor, pname, raw)
"""

# (template, shortcut, guarded, constant names) -> compiled factory
_factories: dict[tuple[str, str, bool, tuple[str, ...]], Callable[..., Any]] = {}


def _factory(
    template: str, fast: str, guarded: bool, constants: tuple[str, ...], free: tuple[str, ...]
) -> Callable[..., Any]:
    # The factory takes the free variables, then the kind's constants (sorted by
    # name), and returns the function the template defines.
    key = (template, fast, guarded, constants)
    factory = _factories.get(key)
    if factory is None:
        body = template.format(guard="visitor is JSON_VISITOR and " if guarded else "", fast=f"({fast})")
        params = ", ".join(free + constants)
        inner = "".join("    " + line + "\n" for line in body.splitlines())
        function = body[len("def ") : body.index("(")]
        source = f"def factory({params}):\n{inner}    return {function}\n"
        factory = compile_function(source, "factory", {}, "typed value")
        _factories[key] = factory
    return factory


_compiled = 0


def compile_function(source: str, name: str, namespace: dict[str, Any], what: str) -> Callable[..., Any]:
    """
    Compile *source* with the globals *namespace*; return the function *name* it defines.

    The source is registered with linecache (under a name saying *what* it is
    for), so tracebacks through generated code show it.
    """
    global _compiled  # noqa: PLW0603 - a counter for unique file names
    _compiled += 1
    filename = f"<qom_py generated {what} {_compiled}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own templates only
    return namespace[name]  # type: ignore[no-any-return]


def make_setter(
    visit: Callable[[Any, str, object], Any],
    fast: str,
    any_visitor: bool,
    constants: Mapping[str, Any],
    json_visitor: object,
    *,
    user_set: Callable[[Any, Any], None] | None = None,
    slot: str | None = None,
) -> Callable[[Any, Any, str, object], None]:
    """
    Build a property setter: the shortcut *fast* (for the JSON visitor only unless
    *any_visitor*), else ``visit(visitor, name, raw)``; the value goes to *user_set*
    or, when *slot* is given, into ``obj.__dict__[slot]``.
    """
    names = tuple(sorted(constants))
    if slot is not None:
        factory = _factory(_SLOT_SETTER, fast, not any_visitor, names, ("visit", "slot", "JSON_VISITOR"))
        return factory(visit, slot, json_visitor, *(constants[n] for n in names))  # type: ignore[no-any-return]
    factory = _factory(_SETTER, fast, not any_visitor, names, ("visit", "user_set", "JSON_VISITOR"))
    return factory(visit, user_set, json_visitor, *(constants[n] for n in names))  # type: ignore[no-any-return]
