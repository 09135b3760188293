"""A member's session on the Salesforce sandbox, for the Sales tab's tests.

It stands for the app core's ``ConnectedSession`` (the :class:`saleshome.app.services.MemberSession` protocol):
the one UI API client (:class:`saleshome.salesforce.ui_api.UiApi`) with a token the sandbox's own session
registry issued to the member, as its token endpoint issues them (the OAuth connection and its refresh are the
core's, tested there: this session has no refresh, a 401 is the client's ``MemberSessionExpired``).  Every
request goes to the sandbox over HTTPS; ``calls`` records the path of each one Salesforce answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from saleshome.salesforce.ui_api import MemberSession, UiApi


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

    def __post_init__(self) -> None:
        self.http.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.calls.append(urlsplit(response.url).path)

    def ui_api(self) -> UiApi:
        return UiApi(MemberSession(self.instance_url, self.token, api_version=self.api_version, timeout=30,
                                   user_id=self.sf_user_id), http=self.http)
