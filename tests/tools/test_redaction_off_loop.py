"""A 4 MiB answer being redacted holds no one else up (issue 16 item 1).

The real console script over HTTP, redaction on, against a Memory API on a loopback port whose
Recall answer is one message of just under 4 MiB (the most the server reads) to 100 recipients
(bench/redaction.py's fake API and answer). While that recall is in flight, ``/healthz`` and a
small tool call on another session are probed one request after the other: each must answer
within a few seconds (the issue's bound is one; see WITHIN), and enough
of them must answer during the recall for that to mean something.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.redaction import RecallUpstream, long_words, recall_answer, server_environment, while_redacting
from tests.support.in_process import serve_in_thread
from tests.support.processes import http_server

pytestmark = pytest.mark.anyio

# The bound is a second, and bench/redaction.py shows it (a median of tens of
# milliseconds). The test allows five, so that a busy machine fails it only where the event loop
# is really held: before redaction left the loop, /healthz waited over a minute.
WITHIN = 5.0


async def test_a_4_mib_answer_leaves_healthz_and_other_calls_answering(tmp_path: Path) -> None:
    upstream = RecallUpstream(recall_answer(text=long_words))
    with serve_in_thread(upstream) as base_url, http_server(server_environment(base_url), tmp_path) as server:
        latencies = await while_redacting(server.url)
    assert upstream.recalls == 1
    recall = latencies["recall"][0]
    assert len(latencies["healthz"]) >= 3, (recall, latencies)  # the recall took a while
    assert max(latencies["healthz"]) < WITHIN, latencies["healthz"]
    assert latencies["call"], (recall, latencies)
    assert max(latencies["call"]) < WITHIN, latencies["call"]
