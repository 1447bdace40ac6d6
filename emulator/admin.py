"""The emulator's own admin endpoint (not part of the spec): fault settings at run time.

``GET /_emulator/faults`` answers the current :class:`~emulator.faults.Faults` as JSON
(counters such as ``rate_limit_next`` show what is left). ``PUT`` replaces them: fields the
body omits take their defaults, so ``PUT {}`` clears every fault. ``PATCH`` changes only the
fields given. Both answer 200 with the new settings, or 400 with a Twilio error body. Either
write re-seeds the random generator and refills the token bucket. The endpoint takes the same
Basic credentials as the API (any seeded account) and is never subject to faults.

``GET /_emulator/writes`` lists the profile writes received so far, oldest first:
``{"writes": [{"operation", "storeId", "profileId", "outcome"}]}`` (outcome ``applied``,
``pending``, or the scripted fault answered), so a test over HTTP can count what reached it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .bodies import json_object
from .context import state_of
from .errors import BadRequest
from .faults import Faults

ADMIN_PREFIX = "/_emulator"


async def faults_endpoint(request: Request) -> JSONResponse:
    state = state_of(request)
    if request.method in ("PUT", "PATCH"):
        body = await json_object(request)
        base = state.faults if request.method == "PATCH" else None
        try:
            state.faults = Faults.from_json(body, base)
        except (TypeError, ValueError) as error:
            raise BadRequest(f"Invalid fault settings: {error}") from None
    return JSONResponse(state.faults.to_json())


async def writes_endpoint(request: Request) -> JSONResponse:
    writes = [
        {"operation": w.operation, "storeId": w.store_id, "profileId": w.profile_id, "outcome": w.outcome}
        for w in state_of(request).received
    ]
    return JSONResponse({"writes": writes})
