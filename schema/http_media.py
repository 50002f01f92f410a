"""GraphQL over HTTP: which media type a client asked for, and the status a result is sent with.

`application/json` is what every client understands: a well-formed request always gets 200 and
the errors in the body. Clients that ask for `application/graphql-response+json` (urql and
graphql-http's own client do) get that media type, and with it a 400 and no `data` entry when
the request could not be executed at all (a syntax or validation error, variables that do not
fit), as the GraphQL-over-HTTP specification recommends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


@dataclass(frozen=True)
class Reply:
    media_type: str
    status_code: int
    send_data: bool

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


def negotiate(accept: str | None) -> str:
    """The media type to answer with: `application/graphql-response+json` when the Accept header
    names it and likes it at least as much as `application/json`; otherwise `application/json`
    (also for no Accept header, `*/*` or media types we do not serve)."""
    if not accept:
        return JSON
    wanted = _qualities(accept)
    graphql_response = wanted.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json = max(wanted.get(JSON, 0.0), wanted.get("application/*", 0.0), wanted.get("*/*", 0.0))
    return GRAPHQL_RESPONSE_JSON if graphql_response > 0 and graphql_response >= json else JSON


def reply_for(media_type: str, result: Any) -> Reply:  # noqa: ANN401  an ExecutionResult
    if media_type == GRAPHQL_RESPONSE_JSON and is_request_error(result):
        return Reply(media_type, 400, send_data=False)
    return Reply(media_type, 200, send_data=True)


def is_request_error(result: Any) -> bool:  # noqa: ANN401
    """The request failed before execution: no data and no error that belongs to a field
    (field errors carry the path of the field; parse, validation and variable errors do not)."""
    errors: Sequence[Any] = result.errors or ()
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def _qualities(accept: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for item in accept.split(","):
        media_type, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_type:
            media_type = media_type.lower()
            qualities[media_type] = max(quality, qualities.get(media_type, 0.0))
    return qualities
