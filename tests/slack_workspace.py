"""A Sales Home workspace ready for settings changes, for tests that connect orgs the way an operator does.

Connecting or removing an org is a settings change: the workspace's Slack plan must include
Sales Home and the acting Slack user must be a sales admin, read from Slack.  These helpers point
Sales Home at a Slack sandbox (``slack_environment``), have its primary owner declare the plan
and grant the sales admin role (``make_ready``), and return that sales admin, to pass as
``--as`` or ``SALESHOME_ACTOR``.

Fixtures that only need an org connected (sync, flows) call ``saleshome.settings.orgs.add_org``,
which does not check the actor and needs no Slack.
"""

from __future__ import annotations

from saleshome.config import Settings
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.roles import grant_sales_admin
from saleshome.settings.workspace import Plan, set_plan


def slack_environment(slack: SlackSandbox) -> dict[str, str]:
    """The variables that point Sales Home at the Slack sandbox (its bot token and API URL)."""
    assert slack.info is not None
    return {"SALESHOME_SLACK_BOT_TOKEN": slack.info.bot_token, "SALESHOME_SLACK_API_URL": slack.info.api_url}


def sales_admin_of(slack: SlackSandbox) -> str:
    """The Slack user made sales admin: an active member with no Slack role."""
    return next(u.id for u in slack.world.users.values()
                if u.person is not None and not u.is_admin and not u.is_owner and not u.deleted)


def make_ready(settings: Settings, slack: SlackSandbox, plan: Plan = Plan.ENTERPRISE_PLUS) -> str:
    """The primary owner declares ``plan`` and grants the sales admin role; returns the sales admin's id.

    ``settings`` must talk to ``slack`` (see :func:`slack_environment`).
    """
    ctx = SettingsContext(settings)
    owner = slack.world.primary_owner_id
    teams = None if Plan(plan).is_enterprise else [ctx.directory.teams()[0].id]
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=owner, plan=plan, teams=teams)
    admin = sales_admin_of(slack)
    grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=owner, user=admin)
    return admin
