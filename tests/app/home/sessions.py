"""A member's session on the Salesforce sandbox, for the Sales tab's tests.

It stands for the app core's ``ConnectedSession`` (the :class:`saleshome.app.services.MemberSession` protocol):
a token the sandbox's own session registry issued to the member, as its token endpoint issues them (the OAuth
connection itself is the core's, tested there).  Every request goes to the sandbox over HTTPS; ``calls`` records
the paths asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from saleshome.app.services import NotConnectedError
from saleshome.errors import RetriableError


@dataclass
class SandboxSession:
    """A member's session on the Salesforce sandbox (the core's ConnectedSession stands here: a token of theirs)."""

    alias: str
    sf_user_id: str
    instance_url: str
    token: str
    http: requests.Session
    api_version: str = "62.0"
    calls: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self.calls.append(path)
        try:
            return self.http.request(method, self.instance_url + path, timeout=30,
                                     headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        except requests.RequestException as exc:
            raise RetriableError(f"could not reach Salesforce: {type(exc).__name__}") from None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.request("GET", path, params=params)
        if response.status_code == 401:
            raise NotConnectedError("Salesforce no longer accepts your connection", alias=self.alias)
        if response.status_code >= 500:
            raise RetriableError(f"Salesforce answered {response.status_code}")
        response.raise_for_status()
        return response.json()
