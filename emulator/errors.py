"""Twilio error bodies and the exceptions that carry them out of a handler.

Every error the emulator answers has the spec's ``TwilioError`` shape (``components/schemas``):
``{code, message, more_info, status}``. Which ``code`` goes out is a switch
(:data:`ErrorCodes`): ``"generic"`` uses the codes of the spec's own examples
(``components/responses``: 20003, 20404, 20429, ...), ``"product"`` the Conversation Memory
codes from Twilio's error directory (52xxxx) where one exists. Clients must switch on the HTTP
status, never on ``code``; the switch lets them prove it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from starlette.responses import JSONResponse

ErrorCodes = Literal["generic", "product"]

# The spec's example code per status (components/responses/*/example).
GENERIC_CODES: Mapping[int, int] = {
    400: 400,
    401: 20003,
    403: 403,
    404: 20404,
    405: 20004,
    409: 20409,
    412: 20412,
    429: 20429,
    500: 20500,
    503: 20503,
}

# The spec's example message per status, used when nothing more specific is known.
GENERIC_MESSAGES: Mapping[int, str] = {
    400: "Failed to complete request due to a bad request",
    401: "Failed to complete request due to lack of authentication credentials",
    403: "Permission to access resource denied",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too many requests. Please retry according to the Retry-After response header.",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

MAX_MESSAGE = 1024

# RFC 9110 §11.6.1: a 401 carries a challenge; Twilio's REST APIs name this realm.
WWW_AUTHENTICATE = 'Basic realm="Twilio API"'


class ApiError(Exception):
    """An error answer: HTTP status, message, and optionally a 52xxxx product code."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        product_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        # TwilioError.message maxLength 1024: messages that echo input are cut to fit.
        self.message = (message or GENERIC_MESSAGES.get(status, "Error"))[:MAX_MESSAGE]
        self.product_code = product_code
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {self.message}")

    def code(self, style: ErrorCodes) -> int:
        if style == "product" and self.product_code is not None:
            return self.product_code
        return GENERIC_CODES.get(self.status, self.status)

    def to_response(self, style: ErrorCodes = "generic") -> JSONResponse:
        return error_response(self.status, self.message, self.code(style), self.headers)


def error_body(status: int, message: str, code: int) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/api/errors/{code}",
        "status": status,
    }


def error_response(
    status: int, message: str, code: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code), status_code=status, headers=headers)


class BadRequest(ApiError):
    """400; ``product_code`` 520046 "Invalid request" unless a closer code is given."""

    def __init__(self, message: str, *, product_code: int = 520046) -> None:
        super().__init__(400, message, product_code=product_code)


class NotFound(ApiError):
    def __init__(self, message: str, *, product_code: int | None = None) -> None:
        super().__init__(404, message, product_code=product_code)


class Moved(Exception):
    """The profile in the path was merged: 301 (reads) or 308 (writes), spec §MovedPermanently.

    Not an :class:`ApiError`: the body is ``{message, uri}``, not a ``TwilioError``.
    """

    def __init__(self, status: Literal[301, 308], canonical_id: str, location: str) -> None:
        self.status = status
        self.canonical_id = canonical_id
        self.location = location
        super().__init__(f"{status} -> {location}")

    def to_response(self) -> JSONResponse:
        return JSONResponse(
            {"message": "This resource has moved.", "uri": self.location},
            status_code=self.status,
            headers={"Canonical-Profile-Id": self.canonical_id, "Location": self.location},
        )
