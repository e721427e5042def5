"""
The iteration orders of QEMU's ``QDict`` and GLib's ``GHashTable``.

They decide the bytes of a QMP reply (keys in ``QDict`` order) and which of
several unexpected members QEMU names: ``qobject_input_check_struct()``
(``qapi/qobject-input-visitor.c``) copies the input ``QDict``'s keys, in
``QDict`` order, into a ``GHashTable``, removes each member the visitor
consumed, and reports the first key the table then iterates.  `first_unexpected`
replays that; the other functions are its parts.

Pure functions over strings: nothing here knows about schemas or objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["first_unexpected", "g_str_hash", "ghash_first_remaining", "qdict_keys"]

# -- QDict (qobject/qdict.c) ----------------------------------------------------

_QDICT_BUCKETS: Final = 512
# key -> bucket.  Bounded because keys come from clients too; the bound is arbitrary.
_BUCKET_CACHE: dict[str, int] = {}
_BUCKET_CACHE_MAX: Final = 4096


def _tdb_hash(raw: bytes) -> int:
    """QDict's hash (``tdb_hash()`` in ``qobject/qdict.c``), on 32-bit unsigned ints."""
    value = (0x238F13AF * len(raw)) & 0xFFFFFFFF
    for i, c in enumerate(raw):
        value = (value + (c << (i * 5 % 24))) & 0xFFFFFFFF
    return (1103515243 * value + 12345) & 0xFFFFFFFF


def _qemu_bytes(text: str) -> bytes:
    """Encode *text* as QEMU stores it: UTF-8 with U+0000 as ``\\xC0\\x80``."""
    return text.encode("utf-8", "surrogatepass").replace(b"\0", b"\xc0\x80")


def _bucket(key: str) -> int:
    bucket = _BUCKET_CACHE.get(key)
    if bucket is None:
        bucket = _tdb_hash(_qemu_bytes(key)) % _QDICT_BUCKETS
        if len(_BUCKET_CACHE) < _BUCKET_CACHE_MAX:
            _BUCKET_CACHE[key] = bucket
    return bucket


def qdict_keys(mapping: Iterable[str]) -> list[str]:
    """
    Return the keys of *mapping* in the order QEMU's ``QDict`` iterates them.

    A QDict is a 512-bucket hash table; iteration goes bucket by bucket, and a
    bucket lists its most recently inserted key first.  *mapping*'s own order
    (a dict, or any iterable of distinct keys) is taken as the insertion order.
    """
    keys = list(mapping)
    if len(keys) < 2:
        return keys
    keys.reverse()  # a stable sort then puts later insertions first in a bucket
    keys.sort(key=_bucket)
    return keys


# -- GHashTable (GLib 2.74 ghash.c) -----------------------------------------------

# GLib's prime moduli for hash tables of 1 << shift buckets (ghash.c).
_GLIB_PRIMES: Final = (
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521,
    131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393,
    67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
)  # fmt: skip


def g_str_hash(key: str) -> int:
    """Return GLib's ``g_str_hash()`` of *key*: djb2 over *signed* chars of QEMU's bytes."""
    value = 5381
    for byte in _qemu_bytes(key):
        value = (value * 33 + (byte - 256 if byte >= 128 else byte)) & 0xFFFFFFFF
    return value


def ghash_first_remaining(keys: Iterable[str], removed: Iterable[str]) -> str:
    """
    Return the key a GLib (2.74) ``GHashTable`` iterates first.

    The table gets *keys* inserted in order, then *removed* removed in order
    (keys not in the table are ignored, as ``g_hash_table_remove()`` does).
    This replays the table: quadratic probing, tombstones, and the resize on
    growth and shrinkage, which all decide the iteration order.

    Raises:
        ValueError: no key is left.
    """
    shift = 3
    size = 1 << shift
    hashes = [0] * size  # 0 unused, 1 tombstone, >= 2 a real hash
    slots: list[str | None] = [None] * size
    nnodes = 0
    noccupied = 0

    def lookup(key: str) -> tuple[int, int]:
        hash_value = max(g_str_hash(key), 2)
        index = (hash_value * 11 & 0xFFFFFFFF) % _GLIB_PRIMES[shift]
        tombstone = -1
        step = 0
        while hashes[index] != 0:
            if hashes[index] == hash_value and slots[index] == key:
                return index, hash_value
            if hashes[index] == 1 and tombstone < 0:
                tombstone = index
            step += 1
            index = (index + step) & (size - 1)
        return (tombstone if tombstone >= 0 else index), hash_value

    def maybe_resize() -> None:
        nonlocal shift, size, hashes, slots, noccupied
        if not ((size > nnodes * 4 and size > 8) or size <= noccupied + noccupied // 16):
            return
        old_size = size
        shift = max(int(nnodes * 1.333).bit_length(), 3)
        size = 1 << shift
        if size > old_size:
            hashes += [0] * (size - old_size)
            slots += [None] * (size - old_size)
        relocated = [False] * max(size, old_size)
        for i in range(old_size):
            node_hash = hashes[i]
            if node_hash < 2:
                hashes[i] = 0
                continue
            if relocated[i]:
                continue
            hashes[i] = 0
            key, slots[i] = slots[i], None
            while True:  # resize_map(): place, evicting whatever sits there
                index = (node_hash * 11 & 0xFFFFFFFF) % _GLIB_PRIMES[shift]
                step = 0
                while relocated[index]:
                    step += 1
                    index = (index + step) & (size - 1)
                relocated[index] = True
                replaced = hashes[index]
                hashes[index] = node_hash
                if replaced < 2:
                    slots[index] = key
                    break
                node_hash = replaced
                key, slots[index] = slots[index], key
        if size < old_size:
            del hashes[size:]
            del slots[size:]
        noccupied = nnodes

    for key in keys:
        index, hash_value = lookup(key)
        if hashes[index] >= 2:
            continue
        was_unused = hashes[index] == 0
        hashes[index] = hash_value
        slots[index] = key
        nnodes += 1
        if was_unused:
            noccupied += 1
            maybe_resize()
    for key in removed:
        index, _ = lookup(key)
        if hashes[index] < 2:
            continue
        hashes[index] = 1
        slots[index] = None
        nnodes -= 1
        maybe_resize()
    for index in range(size):
        if hashes[index] >= 2:
            found = slots[index]
            assert found is not None
            return found
    msg = "no key is left in the table"
    raise ValueError(msg)


def first_unexpected(present: Iterable[str], consumed: Iterable[str]) -> str:
    """
    Return the unexpected member QEMU's QObject input visitor names.

    Args:
        present: the input object's keys in insertion order (as the JSON
            text or the keyval string gave them).
        consumed: the members the visitor took, in visit order (schema
            member order, base first); names not in *present* are ignored.

    Raises:
        ValueError: every key in *present* was consumed.
    """
    return ghash_first_remaining(qdict_keys(present), consumed)
