"""The OpenAPI document tells the truth about errors: every /api/v1 refusal is problem details
(RFC 9457, council.web.errors.problem) as application/problem+json, not Litestar's default
{status_code, detail, extra} JSON. Applied once to the built document, so routes added by any
module are described without flags of their own."""

from __future__ import annotations

from litestar.openapi.spec import Components, OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail", "code"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="A URI naming the kind of problem"),
        "title": Schema(type=OpenAPIType.STRING, description="Short summary in the user's language"),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, in the user's language"),
        "code": Schema(type=OpenAPIType.STRING, description="Machine-readable reason, e.g. invalid, conflict"),
        "errors": Schema(type=OpenAPIType.OBJECT, additional_properties=Schema(type=OpenAPIType.STRING),
                         description="Field name → message"),
    },
    description="Problem details (RFC 9457)",
)

# Status → description. Every operation can meet these; the body ones only operations taking a body.
ALWAYS = {
    "400": "The request could not be understood (malformed or unknown fields)",
    "401": "No valid bearer token",
    "403": "Your role or station may not do this",
    "404": "No such row, or not one you may see",
    "409": "Conflict: someone changed it first (version), or the move is not allowed now",
    "422": "The values were refused; `errors` names the fields",
    "429": "Too many attempts",
    "500": "Server error (logged)",
}
WITH_BODY = {
    "413": "The request body is larger than this route accepts",
    "415": "The uploaded file is not one of the accepted types",
}


TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"


def _times_of_day(node, seen=None) -> None:
    """Litestar documents datetime.time as format "duration" (ISO 8601 "PT9H"), but sends
    "09:00:00". The API has no durations, so every "duration" is a time of day: say so."""
    seen = seen if seen is not None else set()
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, Schema) and node.format == OpenAPIFormat.DURATION:
        node.format = None
        node.pattern = TIME_OF_DAY
        node.description = node.description or "Time of day, HH:MM[:SS]"
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    elif hasattr(node, "__dataclass_fields__"):
        children = (getattr(node, f) for f in node.__dataclass_fields__)
    else:
        return
    for child in children:
        if child is not None and not isinstance(child, (str, int, float, bool)):
            _times_of_day(child, seen)


def document_problems(openapi: OpenAPI, prefix: str = "/api/") -> OpenAPI:
    _times_of_day(openapi)
    if openapi.components is None:
        openapi.components = Components()
    schemas = openapi.components.schemas if openapi.components.schemas is not None else {}
    schemas["Problem"] = PROBLEM
    openapi.components.schemas = schemas
    ref = Reference(ref="#/components/schemas/Problem")
    for path, item in (openapi.paths or {}).items():
        if not path.startswith(prefix):
            continue
        for method in ("get", "put", "post", "delete", "patch"):
            op = getattr(item, method, None)
            if op is None:
                continue
            wanted = dict(ALWAYS)
            if op.request_body is not None:
                wanted.update(WITH_BODY)
            responses = op.responses if op.responses is not None else {}
            for status, description in wanted.items():
                responses[status] = OpenAPIResponse(
                    description=description, content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=ref)})
            op.responses = responses
    return openapi
