"""The QAPI schema files shipped with qom_py (data only; read by qom_py.qapi)."""
