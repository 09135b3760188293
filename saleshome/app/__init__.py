"""Sales Home's Slack app: Bolt for Python in HTTP mode (uvicorn), an entrance beside the CLI, Prefect-free.

``saleshome app serve`` runs it (:func:`serve`).  What handlers get: :class:`Services` (:mod:`.services`); the
Sales tab (:mod:`.home`) registers its listeners with ``saleshome.app.home.register`` and sees the app through
its ``HomeServices``, implemented by :mod:`.tab`.  It verifies Slack's signatures,
takes each event once (:mod:`.events`), keeps members' own Salesforce connections (:mod:`.oauth`,
:mod:`.connections`, tokens encrypted: :mod:`.tokens`), shows the connect and no-access screens
(:mod:`.screens`, :mod:`.entry`); it reads and writes the control store only.
"""

from __future__ import annotations

from .server import SlackApp, asgi_app, build, serve
from .services import Member, MemberOrg, MemberSession, NotConnectedError, Services
from .tokens import TokenCipher, new_key

__all__ = [
    "Member", "MemberOrg", "MemberSession", "NotConnectedError", "Services", "SlackApp",
    "TokenCipher", "asgi_app", "build", "new_key", "serve",
]
