"""A faithful local emulator of Twilio's Conversation Memory API (Identifiers and friends).

A starlette ASGI app serving, with Twilio's shapes and status codes
(``twilio_memory_v1.json``): the five Identifiers operations, Lookup, FetchProfile (traits by
group), Recall (a deterministic stand-in for its hybrid search), the paged observation and
conversation-summary lists, Identity Resolution Settings (GET/PUT with ETag/If-Match) and
FetchOperation; HTTP Basic auth (401/403);
normalization, limits and merges as configured per store; 301/308 redirects for merged
profiles; and fault injection (429, 500/503, latency) through :class:`Faults` or
``/_emulator/faults``. The server package never imports this one; the command line composes them.

Open questions of the spec and the chosen defaults (see :mod:`emulator.config` and
``emulator/README.md``): an unconfigured path idType answers 404 (switch: 400); a configured
idType with no values answers 200 with ``values: []`` (switch: 404); a redirect points at the
same sub-resource of the canonical profile (switch: the profile root); values are oldest first
and a re-added value keeps its place.

    app.py            the ASGI app; routing.py one route per path; middleware.py the gateway
    serving.py        uvicorn, in the background or the foreground; state.py its state
    config.py         seed, switches, faults; seed.py the seed data (default_seed.json)
    store.py          stores, profiles, values, merges and limits; ids.py the id formats
    identifiers.py    the Identifiers operations; normalization.py values as stored
    profiles.py       Lookup and FetchProfile; resolution.py identifier configuration
    control_plane.py  Identity Resolution Settings and operations
    memories.py       observations, summaries, communications; search.py Recall's ranking
    recall.py         Recall; memory_lists.py the paged lists; paging.py and params.py theirs
    context.py        what every handler needs; bodies.py request bodies; timestamps.py dates
    auth.py           HTTP Basic; errors.py Twilio error bodies; faults.py and admin.py faults
    writes.py         profile writes: observations, summaries, traits
"""

from __future__ import annotations

from .app import create_app
from .config import EmulatorConfig
from .faults import Faults
from .seed import SeedExamples, default_examples
from .serving import banner, banner_for, serve, serve_in_background
from .state import EmulatorState

__all__ = [
    "EmulatorConfig",
    "EmulatorState",
    "Faults",
    "SeedExamples",
    "banner",
    "banner_for",
    "create_app",
    "default_examples",
    "serve",
    "serve_in_background",
]
