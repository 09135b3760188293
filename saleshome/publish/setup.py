"""Building a publisher from the settings (token and pace), for the CLI and the Prefect flow.

Nothing is sent on a workspace whose Slack plan does not include Sales Home: the publisher is
not built (:func:`~saleshome.settings.workspace.require_sales_home`).
"""

from __future__ import annotations

from saleshome.config import Settings
from saleshome.errors import ConfigurationError
from saleshome.settings.restrictions import load_restrictions
from saleshome.settings.workspace import require_sales_home
from saleshome.warehouse.control import ControlDB

from .publisher import Publisher, web_client


def publisher_from_settings(control: ControlDB, settings: Settings, *, token: str | None = None) -> Publisher:
    """A publisher on the control database, with the restrictions in force right now.

    Refuses (:class:`~saleshome.settings.workspace.SalesHomeUnavailableError`, or a
    ``ConfigurationError`` before the plan is declared) when Sales Home is not available.
    """
    require_sales_home(control, settings.workspace)
    secret = token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
    if not secret:
        raise ConfigurationError("no Slack bot token", hint="set SALESHOME_SLACK_BOT_TOKEN (or a Prefect Secret block)")
    client, handler = web_client(secret, base_url=settings.slack_api_url)
    return Publisher(
        control, client, restrictions=load_restrictions(control, settings.workspace), rate_handler=handler,
        workers=settings.publish_workers, channel_interval=1.0 / settings.slack_posts_per_second,
    )
