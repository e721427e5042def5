"""The QAPI tests keep the schema cache (`qom_py.qapi._loader`) out of the user's home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_schema_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QOM_PY_CACHE_DIR", str(tmp_path_factory.mktemp("qom-py-cache")))
        yield
