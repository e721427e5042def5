"""
Smoke test of an installed qom-py (run by .ci/run with each further Python version).

Run with the interpreter of a virtual environment where qom-py was installed with
``pip install .``, from outside the checkout (so the installed package is the one
imported): ``python smoke.py EXAMPLES_DIR``.  It runs the README's example, checks
``qom-py --version``, then starts the daemon with an iothread and a unix QMP monitor,
queries it and quits it.  Exit status 0 when every step gave what it should.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import qom_py
from qom_py.testing import wait_until

TIMEOUT = 30.0
BIN = Path(sys.executable).parent


def check(what: str, got: object, expected: object) -> None:
    if got != expected:
        sys.exit(f"smoke: {what}: got {got!r}, expected {expected!r}")


def main() -> None:
    examples = Path(sys.argv[1])
    assert "site-packages" in qom_py.__file__, qom_py.__file__  # the installed package, not a checkout
    out = subprocess.run([sys.executable, str(examples / "readme.py")], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True).stdout  # fmt: skip
    check("examples/readme.py", out, "32\n2\nGenericError Parameter 'count' expects uint16_t\n")
    version = subprocess.run([str(BIN / "qom-py"), "--version"], capture_output=True, text=True, timeout=TIMEOUT,
                             check=True).stdout  # fmt: skip
    check("qom-py --version", version.splitlines()[0], f"qom-py version {qom_py.__version__} (QEMU 7.2 compatible)")
    with tempfile.TemporaryDirectory(prefix="qom-smoke") as tmp:
        path = os.path.join(tmp, "qmp.sock")
        daemon = subprocess.Popen([str(BIN / "qom-py"), "--object", "iothread,id=io0", "--qmp", f"unix:{path}"])
        try:
            if not wait_until(lambda: os.path.exists(path) or daemon.poll() is not None, TIMEOUT):
                sys.exit("smoke: qom-py did not create its socket")
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(TIMEOUT)
                sock.connect(path)
                replies = sock.makefile("rb")
                check("greeting", "QMP" in json.loads(replies.readline()), True)
                for command in ("qmp_capabilities", "query-iothreads", "quit"):
                    sock.sendall(json.dumps({"execute": command}).encode())
                    reply = json.loads(replies.readline())
                    if command == "query-iothreads":
                        check("query-iothreads", [t["id"] for t in reply["return"]], ["io0"])
            check("qom-py exit status", daemon.wait(TIMEOUT), 0)
            check("socket removed", os.path.exists(path), False)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait(TIMEOUT)
    print(f"smoke: Python {sys.version.split()[0]}: qom-py {qom_py.__version__} passed")


if __name__ == "__main__":
    main()
