"""A member's own notifications, from the Sales tab (issue 20 §2): the "My notifications" screen and the
"New notification"/"Edit notification" modal.

Pure parts: :mod:`.words` (how a subscription reads, English and French), :mod:`.listing` (the screen),
:mod:`.form` (the modal, and reading a submission back); :mod:`.handlers` wires Bolt (ack at once, the work in
lazy listeners; the submission checked within its ack) over the settings API
(:mod:`saleshome.settings.subscriptions`), whose every call names the member who acted (Slack's signed request);
:mod:`.app_services` is the app's side of what the handlers need.
"""

from __future__ import annotations

from .app_services import AppSubsServices
from .form import CALLBACK_ID as FORM_CALLBACK_ID
from .handlers import SubsServices, register
from .listing import CALLBACK_ID as LIST_CALLBACK_ID
from .listing import SubsAction

__all__ = ["FORM_CALLBACK_ID", "LIST_CALLBACK_ID", "AppSubsServices", "SubsAction", "SubsServices", "register"]
