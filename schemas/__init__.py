"""The QAPI schema files shipped with qom_py (data only; loaded by qom_py._schema)."""
