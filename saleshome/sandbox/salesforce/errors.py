"""Errors the sandbox returns the way Salesforce does: a status and ``[{"errorCode", "message"}]``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Salesforce REST error response (REST API Developer Guide, "Status Codes and Error Responses")."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")
