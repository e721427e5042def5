"""The one place the version is written: the build (pyproject.toml) and ``qom_py.__version__`` read it."""

__version__ = "0.1.0"
