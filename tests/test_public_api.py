"""The public surface: `qom_py.__all__` and the public submodules' `__all__`."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qom_py
import qom_py.testing
from tests.daemon import child_env

PUBLIC_MODULES = ["qom_py", "qom_py.errors", "qom_py.testing"]


def isort_key(name: str) -> tuple[int, str]:
    """
    Ruff's RUF022 ("isort-style") order: CONSTANTS, then Classes, then the rest.

    Within each group names sort by code point.
    """
    if len(name) > 1 and name.replace("_", "").isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_resolves(module_name: str) -> None:
    """Every name in a public module's `__all__` resolves to an attribute."""
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_sorted_and_unique(module_name: str) -> None:
    """`__all__` is sorted (constants, classes, functions) and has no duplicates or private names."""
    names = list(importlib.import_module(module_name).__all__)
    assert names == sorted(names, key=isort_key)
    assert len(set(names)) == len(names)
    assert not [name for name in names if name.startswith("_")]


def test_version() -> None:
    """`qom_py.__version__` is a string."""
    assert isinstance(qom_py.__version__, str)
    assert qom_py.__version__


def test_unknown_attribute() -> None:
    """An unknown module attribute raises `AttributeError` with Python's wording."""
    with pytest.raises(AttributeError, match="module 'qom_py' has no attribute 'no_such_name'"):
        getattr(qom_py, "no_such_name")  # noqa: B009 - the point of the test


@pytest.mark.parametrize(
    "name",
    [
        "TypeInfo",
        "TypeRegistry",
        "Object",
        "ObjectClass",
        "QOMError",
        "default_registry",
        "object_new",
        "object_dynamic_cast",
        "object_class_by_name",
        "object_resolve_path",
        "type_register",
        "prop",
        "qom_type",
    ],
)
def test_contract_names_exported(name: str) -> None:
    """The names ARCHITECTURE.md promises are part of `__all__`."""
    assert name in qom_py.__all__


def test_prop_module() -> None:
    """`qom_py.prop` offers the declarative property kinds."""
    for kind in ("Bool", "Str", "Enum", "Int", "UInt", "Size", "Link"):
        assert callable(getattr(qom_py.prop, kind))


# --- lazy submodules, the visitors, reprs, the version -------------------------------------


def test_submodules_reachable_lazily() -> None:
    """``import qom_py`` gives ``qom_py.qmp`` and ``qom_py.loop`` without importing the QMP layer up front."""
    code = (
        "import sys, qom_py\n"
        "assert 'qom_py.qmp' not in sys.modules, 'qmp imported eagerly'\n"
        "print(qom_py.qmp.QMPServer.__name__, qom_py.loop.ThreadPool.__name__)\n"
        "assert 'qom_py.qmp' in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=child_env(), check=False
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "QMPServer ThreadPool\n", "")


def test_visitors_public() -> None:
    """The visitors the README names are public names of `qom_py`."""
    for name in ("InputVisitor", "JSONInputVisitor", "KeyvalInputVisitor", "StringInputVisitor"):
        assert name in qom_py.__all__
    assert qom_py.KeyvalInputVisitor().type_int64("x", "0x10") == 16
    assert qom_py.StringInputVisitor().type_bool("x", "on") is True
    with pytest.raises(qom_py.QOMError, match="Invalid parameter type for 'x', expected: integer"):
        qom_py.JSONInputVisitor().type_int64("x", "16")
    visitor: qom_py.InputVisitor = qom_py.JSONInputVisitor()
    assert visitor.mode == "json"


def test_object_property_repr() -> None:
    """An `ObjectProperty`'s repr names the property, its type, access and default, not its closures."""
    klass = qom_py.object_class_by_name("iothread")
    assert klass is not None
    prop = klass.property_find("poll-max-ns")
    assert repr(prop) == "ObjectProperty(name='poll-max-ns', type='int', access='read-write')"
    obj = qom_py.object_new("container")
    obj.property_add_str("label", lambda o: "x", None)
    assert repr(obj.property_find("label")) == "ObjectProperty(name='label', type='string', access='read-only')"
    obj.unparent()


def test_declarative_property_repr() -> None:
    """`qom_py.prop` declarations show their wire name, type and default."""

    @qom_py.qom_type("repr-probe")
    class Probe(qom_py.Object):
        rate = qom_py.prop.UInt(32, default=5, description="jobs per second")
        backend = qom_py.prop.Link("iothread")

    assert repr(Probe.rate) == "Property(name='rate', type='uint32', default=5, description='jobs per second')"
    assert repr(Probe.backend) == "Link(name='backend', type='link<iothread>', strong=False)"
    assert "<function" not in repr(qom_py.prop.Bool(default=True))


def test_registry_repr() -> None:
    """A `TypeRegistry`'s repr counts its types without creating anything."""
    registry = qom_py.TypeRegistry()
    assert repr(registry) == "<TypeRegistry types=3, realized=0>"
    assert repr(qom_py.default_registry).startswith("<TypeRegistry (default) types=")


def test_inprocess_qmp_repr() -> None:
    """The in-process QMP client's repr says its state, not its internals."""
    client = qom_py.testing.qmp_client()
    assert re.fullmatch(r"<InProcessQMP negotiated, \d+ commands, 0 events, runs in the calling thread>", repr(client))
    client.close()
    assert repr(client).startswith("<InProcessQMP closed, ")


def test_version_in_one_place() -> None:
    """``__version__``, the QMP ``package`` string, the installed metadata and the CHANGELOG agree."""
    from importlib.metadata import version

    client = qom_py.testing.qmp_client()
    assert client.execute("query-version")["package"] == f"qom-py {qom_py.__version__}"  # type: ignore[index,call-overload]
    client.close()
    assert version("qom-py") == qom_py.__version__
    changelog = (Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert releases[0] == qom_py.__version__
