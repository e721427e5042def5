"""The shipped schemas' doc comments: the project's own text, in QEMU's doc-comment format."""

from __future__ import annotations

from pathlib import Path

from qom_py.qapi import ROOT_SCHEMA, QAPISchema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _schema() -> QAPISchema:
    return QAPISchema.from_file(str(SCHEMAS / ROOT_SCHEMA))


def test_every_definition_is_documented() -> None:
    """doc-required holds: every definition has its doc, and every member and feature its section."""
    schema = _schema()
    for entity in schema:
        if entity.info is None or entity.is_implicit:
            continue
        assert entity.doc is not None and entity.doc.symbol == entity.name, entity.name
        for feature in entity.features:
            assert entity.doc.features[feature.name].text, (entity.name, feature.name)


#: Definitions QEMU 7.2's own schema gives no Since: section (the versions are QEMU's facts, not ours).
UNDATED = {"ShutdownCause"}


def test_since_sections() -> None:
    """Every definition says since when it exists (QEMU's version, or qom-py's for its own)."""
    schema = _schema()
    for doc in schema.docs:
        if doc.symbol is not None and doc.symbol not in UNDATED:
            assert [s.text for s in doc.sections if s.name == "Since"], doc.symbol


def test_no_foreign_notices() -> None:
    """The schemas carry no copyright or licence notice of another project (the package is MIT)."""
    for path in SCHEMAS.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        for word in ("Copyright", "GNU GPL", "licensed under"):
            assert word not in text, (path.name, word)


def test_served_schema_is_the_files() -> None:
    """load_schema (the schema the daemon serves) is the files as read, doc comments included."""
    from qom_py.qapi import load_schema

    full = _schema()
    served = load_schema()
    assert list(served) == list(full)
    assert [d.symbol for d in served.docs] == [d.symbol for d in full.docs]
