"""
Small helpers every layer may use, importing nothing of qom_py's own: generated code
(`codegen`), QAPI's name mangling (`names`), lazy public names (`lazy`), the `UNSET`
sentinel (`unset`).
"""
