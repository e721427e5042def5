"""``python -m qom_py``: the ``qom-py`` daemon."""

from __future__ import annotations

from .daemon.cli import main

raise SystemExit(main())
