"""
Hostile input (issue 22, items 4-7): schema files, deep values, plugins, token floods.

Each case gets one line of error (or a clean result) and the process or
session goes on; every wait has a timeout.
"""

from __future__ import annotations

import statistics
import threading
import time

from qom_py.qapi._json import MAX_TOKEN_COUNT, JSONStreamParser
from tests.daemon import running
from tests.qmp.conftest import TIMEOUT, RawClient

QUERY_VERSION = b'{"execute":"query-version"}'
COUNT_LIMIT = b'{"error": {"class": "GenericError", "desc": "JSON token count limit exceeded"}}\r\n'


def _negotiate(client: RawClient) -> None:
    assert client.command(b'{"execute":"qmp_capabilities"}') == b'{"return": {}}\r\n'


# --- item 7: a message past a JSON limit gets one error -------------------------------


class TestTokenFlood:
    """After a limit error the rest of the message is skipped, not read as a million messages."""

    #: A 1M-element list: 2 Mi + 11 tokens, past QEMU's count limit.
    FLOOD = b'{"execute":"query-version","arguments":{"x":[' + b"1," * (1 << 20) + b"1]}}"

    def test_parser_one_error(self) -> None:
        """The streamer: one error, then the next message as usual."""
        assert 2 * self.FLOOD.count(b",") > MAX_TOKEN_COUNT  # each "1," is two tokens
        results = JSONStreamParser().feed(self.FLOOD + b'{"execute":"x"}')
        assert [str(r) for r in results[:1]] == ["JSON token count limit exceeded"]
        assert results[1:] == [{"execute": "x"}]

    def test_limits_end_at_the_message_end(self) -> None:
        """Size, count and nesting limits all skip to the end of their message, strings and all."""
        cases = [
            (JSONStreamParser(max_token_size=16), b'["aaaaaaaa", "bbbbbbbb", "]]]", [1]]'),
            (JSONStreamParser(max_token_count=4), b'{"a": [1, 2, {"b": "}}"}]}'),
            (JSONStreamParser(max_nesting=3), b"[[[[[[1]], [2]]]]]"),
        ]
        for parser, data in cases:
            results = parser.feed(data + b" [7]")
            assert len(results) == 2, data
            assert str(results[0]).endswith("limit exceeded")
            assert results[1] == [7]
            assert parser.is_idle

    def test_resynchronisation_still_ends_a_skip(self) -> None:
        """0xFF (a lexer error) ends a skipped message as it ends any: the client's way back."""
        parser = JSONStreamParser(max_nesting=2)
        results = parser.feed(b"[[[[ \xff\n[1]")
        assert [str(r) for r in results[:2]] == [
            "JSON nesting depth limit exceeded",
            "JSON parse error, stray '\ufffd'",
        ]
        assert results[2:] == [[1]]

    def test_daemon_one_reply_and_bystander_served(self) -> None:
        """Over QMP: one error reply, the session goes on, and another client is served meanwhile."""
        with running() as daemon:
            bystander = RawClient(daemon.socket_path)
            flooder = RawClient(daemon.socket_path)
            try:
                _negotiate(bystander)
                _negotiate(flooder)
                sent = threading.Event()

                def flood() -> None:
                    try:
                        flooder.send(self.FLOOD + QUERY_VERSION)
                    finally:
                        sent.set()

                thread = threading.Thread(target=flood, name="flooder")
                thread.start()
                times: list[float] = []
                try:
                    deadline = time.monotonic() + TIMEOUT
                    while (not sent.is_set() or len(times) < 5) and time.monotonic() < deadline:
                        start = time.perf_counter()
                        assert bystander.command(QUERY_VERSION).startswith(b'{"return": {"qemu": ')
                        times.append(time.perf_counter() - start)
                finally:
                    thread.join(TIMEOUT)
                assert not thread.is_alive()
                assert flooder.read_message() == COUNT_LIMIT
                assert flooder.read_message().startswith(b'{"return": {"qemu": ')
                # Nothing else was queued for the flood: the next reply is the next command's.
                assert flooder.command(b'{"execute":"query-version","id":2}').endswith(b', "id": 2}\r\n')
                assert len(times) >= 5
                # Generous: a loaded 2-core machine (before the fix, the 1.58M replies stalled ~400 ms).
                assert statistics.median(times) < 0.5, sorted(times)[-5:]
            finally:
                flooder.close()
                bystander.close()
