"""
Checked by tests/test_typing.py with mypy and pyright, never imported by pytest.

A structured property declared with a class reads as that class (a list as a
tuple of it) and takes instances or JSON; each line marked ``# E: ...`` must be
reported by both checkers, every other line must pass.
"""

from __future__ import annotations

import enum
from typing import assert_type, reveal_type

import attrs

import qom_py
from qom_py import Object, prop, qom_type


class Verdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


@attrs.frozen(kw_only=True)
class FirewallRule:
    match: str
    verdict: Verdict
    port: int | None = None


@attrs.frozen
class Other:
    x: int


qom_py.qapi_define(FirewallRule)


@qom_type("typing-firewall", interfaces=["user-creatable"])
class Firewall(Object):
    rules = prop.QAPIList(FirewallRule)
    first = prop.QAPIStruct(FirewallRule)
    verdict = prop.QAPI(Verdict)
    names = prop.QAPIList("str")
    listed = prop.QAPI([FirewallRule])
    verdicts = prop.QAPI((Verdict,))


def check(fw: Firewall) -> None:
    reveal_type(fw.rules)
    assert_type(fw.rules, tuple[FirewallRule, ...])
    assert_type(fw.first, FirewallRule | None)
    assert_type(fw.verdict, Verdict | None)
    assert_type(fw.rules[0].verdict, Verdict)
    assert_type(fw.listed, tuple[FirewallRule, ...])
    assert_type(fw.verdicts, tuple[Verdict, ...])
    fw.rules = [FirewallRule(match="*", verdict=Verdict.ALLOW)]
    fw.rules = (*fw.rules, {"match": "10.0.0.*", "verdict": "deny"})
    fw.first = {"match": "x", "verdict": "deny"}
    fw.verdict = Verdict.DENY
    fw.verdict = "deny"
    fw.names = ["a", "b"]
    fw.listed = (FirewallRule(match="*", verdict=Verdict.ALLOW), {"match": "x", "verdict": "deny"})
    fw.rules = [Other(1)]  # E: assignment
    fw.rules = 5  # E: assignment
    fw.first = Other(1)  # E: assignment
    fw.verdict = Other(1)  # E: assignment
    fw.rules[0].match = "y"  # E: frozen
    fw.listed = [Other(1)]  # E: assignment
    fw.listed = FirewallRule(match="*", verdict=Verdict.ALLOW)  # E: assignment
