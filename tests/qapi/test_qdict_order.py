"""Which unexpected member QEMU names: QDict order into a GHashTable, minus the consumed members."""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from qom_py.qapi._qdict_order import first_unexpected, g_str_hash, ghash_first_remaining, qdict_keys
from qom_py.qmp import _protocol

#: The keys ``--object iothread,...`` puts in its QDict before the given ones, and what the visitor consumes.
BASE = ["qom-type", "id"]

#: ObjectOptions' members for iothread: the union's base, then IothreadProperties (base first).
IOTHREAD_MEMBERS = [
    "qom-type", "id", "aio-max-batch", "thread-pool-min", "thread-pool-max", "poll-max-ns", "poll-grow", "poll-shrink",
]  # fmt: skip


def _consumed(present: list[str]) -> list[str]:
    """The members QEMU's visitor takes from *present*, in visit order."""
    return [m for m in IOTHREAD_MEMBERS if m in present]


@pytest.mark.parametrize(
    ("extra", "named"),
    [(["aaa", "zzz"], "zzz"), (["zzz", "aaa"], "zzz"), (["b", "a", "c"], "b")],
    ids=["aaa-zzz", "zzz-aaa", "b-a-c"],
)
def test_qsd_names(extra: list[str], named: str) -> None:
    """qsd 7.2 names 'zzz' for aaa=1,zzz=2 and zzz=1,aaa=2, and 'b' for b=1,a=2,c=3 (issue 9)."""
    present = [*BASE, *extra]
    assert first_unexpected(present, _consumed(present)) == named


def test_consumed_names_absent_are_ignored() -> None:
    """Consumed names that are not present leave the table as it is."""
    present = [*BASE, "b", "a", "c"]
    assert first_unexpected(present, IOTHREAD_MEMBERS) == "b"


def test_nothing_left() -> None:
    """With every key consumed there is nothing to name."""
    with pytest.raises(ValueError, match="no key is left"):
        ghash_first_remaining(["a", "b"], ["b", "a"])


def test_g_str_hash() -> None:
    """g_str_hash() is djb2 on signed chars: 5381 for "", and non-ASCII bytes count negative."""
    assert g_str_hash("") == 5381
    assert g_str_hash("a") == 5381 * 33 + ord("a")
    assert g_str_hash("\xe9") == ((5381 * 33 + (0xC3 - 256)) * 33 + (0xA9 - 256)) & 0xFFFFFFFF


def test_qdict_keys_accepts_any_iterable() -> None:
    """qdict_keys() takes a dict or the keys alone, in insertion order."""
    assert qdict_keys(["major", "minor", "micro"]) == qdict_keys({"major": 1, "minor": 2, "micro": 3})


def test_old_names_still_work() -> None:
    """qmp._protocol keeps its old name for the helper."""
    assert _protocol.qdict_keys is qdict_keys


def _qsd_names(extra: list[str]) -> str:
    text = "iothread,id=io0," + ",".join(f"{key}=1" for key in extra)
    proc = subprocess.run(
        ["qemu-storage-daemon", "--object", text], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r"Parameter '([^']*)' is unexpected", proc.stderr)
    assert proc.returncode == 1 and match is not None, proc.stderr
    return match.group(1)


@pytest.mark.skipif(shutil.which("qemu-storage-daemon") is None, reason="qemu-storage-daemon is not installed")
def test_differential_against_qsd() -> None:
    """For random sets of unknown keys (some with known members among them), qsd names what we name."""
    rng = random.Random(9)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(40):
        extra: list[str] = []
        while len(extra) < rng.randint(2, 9):
            key = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
            if rng.random() < 0.2:
                key += "-" + rng.choice(alphabet)
            if key not in extra and key not in IOTHREAD_MEMBERS:
                extra.append(key)
        if rng.random() < 0.5:
            extra.insert(rng.randrange(len(extra) + 1), rng.choice(IOTHREAD_MEMBERS[2:]))
        present = [*BASE, *extra]
        assert first_unexpected(present, _consumed(present)) == _qsd_names(extra), extra
