"""The sandbox API's transport-free request and response (``server.py`` puts them on HTTPS)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .policy import Fault

JSON_TYPE = "application/json;charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    fault: Fault | None = None  # an injected fault that acts later than the request (job_failed)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (fault injection)

    @staticmethod
    def of(status: int, payload: Any, **headers: str) -> Response:
        body = b"" if payload is None else json.dumps(payload).encode()
        return Response(status, body, headers=dict(headers))
