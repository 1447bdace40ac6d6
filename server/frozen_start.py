"""A server's start built without the cyclic garbage collector, then frozen (issue 17).

A start makes some 130,000 objects the collector tracks, nearly all living as long as the
process (the SDK's and pydantic's modules, every tool's schemas and validators). As they pile
up the collector walks them again and again: 50 ms of CPU of a 550 ms stdio start
(``bench/cold_start.py``), then again at each full collection while serving (an HTTP server
under ``bench/http_throughput.py`` stopped answering for 36-115 ms at each, every call in
flight waiting) and at exit. So collection is off until the server is built; what the start
made is then frozen (``gc.freeze``: the permanent generation, which no collection walks, as
the gc docs advise for state made at start-up; full collections while serving then took about
10 ms) and collection resumes, if it was on, for what calls allocate. The start's few cyclic
leftovers stay: 1.5 MB of peak RSS.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def built_then_frozen(young_threshold: int | None = None) -> Iterator[None]:
    """Run the build with collection off, then freeze what the process holds; with
    ``young_threshold``, the youngest generation is collected after that many allocations
    (gc's default is 700)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if young_threshold is not None:
            gc.set_threshold(young_threshold, *gc.get_threshold()[1:])
        if collecting:
            gc.enable()
