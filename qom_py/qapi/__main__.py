"""``python -m qom_py.qapi``: check or introspect a QAPI schema (`qom_py.qapi._cli`)."""

from __future__ import annotations

from ._cli import main

raise SystemExit(main())
