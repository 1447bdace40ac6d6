"""What a malformed JSON-RPC message is owed, decided the same way for stdio and HTTP.

JSON-RPC 2.0 section 5 answers a request it cannot serve with an error: ``-32700`` for text
that is not JSON, ``-32600`` for a value that is not a valid request, ``-32602`` for invalid
params. MCP adds that ``params`` is always an object (named parameters): an array, allowed by
JSON-RPC, is invalid params here. A notification (no ``id``) is never answered; an ``id`` that
cannot be read is answered with a null one.
"""

from __future__ import annotations

from mcp_types import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError

_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def not_json() -> JSONRPCError:
    return error_answer(None, PARSE_ERROR, "Parse error: the message is not a JSON value")


def malformed(message: object) -> JSONRPCError | None:
    """The error owed for a decoded message whose shape is wrong, or None when it has none:
    a well-formed request, or a notification (nothing to answer)."""
    if isinstance(message, list):
        return error_answer(None, INVALID_REQUEST, "Invalid Request: batches (JSON arrays) are not supported")
    if not isinstance(message, dict):
        return error_answer(None, INVALID_REQUEST, "Invalid Request: a message must be a JSON object")
    if "id" not in message:
        return None
    request_id = message["id"]
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        return error_answer(None, INVALID_REQUEST, "Invalid Request: id must be a string or an integer")
    if message.get("jsonrpc") != "2.0":
        return error_answer(request_id, INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"')
    if "method" in message and not isinstance(message["method"], str):
        return error_answer(request_id, INVALID_REQUEST, "Invalid Request: method must be a string")
    params = message.get("params")
    if "params" in message and not isinstance(params, dict):
        kind = _JSON_KINDS.get(type(params), "a value")
        text = f"Invalid params: params must be an object (named parameters), not {kind}"
        return error_answer(request_id, INVALID_PARAMS, text)
    return None


def error_answer(request_id: str | int | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))
