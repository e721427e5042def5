"""
Benchmark: the cost per user type as the number of registered types grows.

For N types (user-creatable, each with a string, an integer, an enum of its
own and a bool property, registered as ``type_register`` + ``class_init``
registers them), one run:

1. registers the N types (as a daemon's plugins do at start-up);
2. times the first QMP ``object-add`` in the process (of the last type
   registered): what the first creation after start-up pays, one-time costs
   (the check table, the first generated code) included; then the first
   ``object-add`` of a second type (the last but one), which pays only for
   its own type;
3. then, for every type in turn, QMP ``object-add``, ``qom-get`` of one
   property and ``object-del`` (through the in-process QMP client, the bytes a
   socket client sends).

The figure per type is (registration + the three commands) / N, in
microseconds.  Costs that grow with the number of types (a schema rebuilt per
new type, a set of all names rebuilt per branch) show as a per-type cost
growing with N; linear cost shows as a flat one.  The ratio printed is the
per-type cost at the large N over the small N (target: at most 2), and the
first ``object-add`` after the large N registrations should take a few
milliseconds, the same as after the small N.

Each N runs in a fresh process (so one run's types do not burden the next);
the figure is the median of ``--runs`` runs.

Run: ``python bench/scale.py`` (about a minute), ``--small 1000 --large 10000 --runs 3``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def one_run(n: int) -> dict[str, float]:
    """Register *n* types, then create, read and delete one object of each; return the timings."""
    import gc

    import qom_py
    from qom_py.testing import qmp_client

    def make_class_init(index: int) -> Any:
        def class_init(klass: Any, data: Any) -> None:
            klass.property_add_str(
                "label", lambda o: o.__dict__.get("label", ""), lambda o, v: o.__dict__.__setitem__("label", v)
            )
            klass.property_add_int(
                "count", lambda o: o.__dict__.get("count", 0), lambda o, v: o.__dict__.__setitem__("count", v)
            )
            klass.property_add_enum(
                "mode",
                f"ScaleMode{index + 1}",
                ["slow", "fast"],
                lambda o: o.__dict__.get("mode", "slow"),
                lambda o, v: o.__dict__.__setitem__("mode", v),
            )
            klass.property_add_bool(
                "flag", lambda o: o.__dict__.get("flag", False), lambda o, v: o.__dict__.__setitem__("flag", v)
            )

        return class_init

    names = [f"scale-type-{i}" for i in range(n)]
    qmp = qmp_client()
    gc.collect()
    start = time.perf_counter()
    for i, name in enumerate(names):
        qom_py.type_register(
            qom_py.TypeInfo(
                name, parent="object", interfaces=(qom_py.TYPE_USER_CREATABLE,), class_init=make_class_init(i)
            )
        )
    registered = time.perf_counter()
    request = {"qom-type": names[-1], "id": "first", "label": "x", "count": 1, "mode": "fast", "flag": True}
    qmp.execute("object-add", request)
    first = time.perf_counter()
    qmp.execute("object-add", {**request, "qom-type": names[-2], "id": "second"})
    second = time.perf_counter()
    qmp.execute("object-del", {"id": "first"})
    qmp.execute("object-del", {"id": "second"})
    cycle_start = time.perf_counter()
    for i, name in enumerate(names):
        qmp.execute("object-add", {"qom-type": name, "id": f"o{i}", "label": "x", "count": i, "mode": "fast"})
        assert qmp.execute("qom-get", {"path": f"/objects/o{i}", "property": "count"}) == i
        qmp.execute("object-del", {"id": f"o{i}"})
    done = time.perf_counter()
    qmp.close()
    return {
        "register": registered - start,
        "first_add": first - registered,
        "second_add": second - first,
        "cycle": done - cycle_start,
        "per_type": ((registered - start) + (done - cycle_start)) / n,
    }


def measure(n: int, runs: int) -> dict[str, float]:
    """The median of *runs* fresh-process runs at *n* types."""
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)], check=True, capture_output=True, text=True, timeout=3600
        )
        results.append(json.loads(out.stdout))
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_run(args.child)))
        return
    import qom_py

    print(f"Python {platform.python_version()}; qom_py {qom_py.__version__}; median of {args.runs} runs per N")
    print(
        f"  {'N':>7} {'register us/type':>17} {'first object-add ms':>20} {'2nd type first ms':>20}"
        f" {'add+get+del us/type':>20} {'us/type':>9}"
    )
    rows = {}
    for n in (args.small, args.large):
        row = rows[n] = measure(n, args.runs)
        print(
            f"  {n:>7} {row['register'] / n * 1e6:>17.1f} {row['first_add'] * 1e3:>20.2f}"
            f" {row['second_add'] * 1e3:>20.2f} {row['cycle'] / n * 1e6:>20.1f} {row['per_type'] * 1e6:>9.1f}"
        )
    ratio = rows[args.large]["per_type"] / rows[args.small]["per_type"]
    print(f"per-type cost at N={args.large} / at N={args.small}: {ratio:.2f} (target: at most 2)")
    print(f"first object-add after {args.large} registrations: {rows[args.large]['first_add'] * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
