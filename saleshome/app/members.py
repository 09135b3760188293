"""Who a Slack user is for Sales Home, read from the control store only (never an org's warehouse).

A member's orgs are the ``user_map`` rows naming their Slack user with status ``matched`` (the Salesforce user
with the same verified email) or ``approved`` (a mapping a sales admin approved); in each, whether they hold the
Sales Home permission set is what the last sync's user-map step recorded (``user_map.sales_home_user``: the
app holds no warehouse lock to compute it), and whether they connected Salesforce there (``member_connections``).
Their locale: their Slack locale as the user map holds it, else the workspace's default language.
"""

from __future__ import annotations

from saleshome.i18n import normalise
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.control_tables import LINKED

from .services import Member, MemberOrg

__all__ = ["load_member", "sales_admins"]



def load_member(control: ControlDB, user_id: str) -> Member:
    """``user_id``'s orgs (mapped ones), permission set and connections, and locale."""
    with control.reading() as db:
        rows = db.rows(
            "SELECT m.alias, o.org_name, m.sf_user_id, m.team_id, m.locale, m.tz, m.sales_home_user, "
            "c.sf_user_id AS connected_as, w.default_locale FROM user_map m "
            "LEFT JOIN orgs o ON o.alias = m.alias LEFT JOIN workspaces w ON w.workspace = o.workspace "
            "LEFT JOIN member_connections c ON c.alias = m.alias AND c.slack_user_id = m.slack_user_id "
            f"WHERE m.slack_user_id = ? AND m.{LINKED} ORDER BY m.alias", [user_id])
    orgs = tuple(MemberOrg(alias=r["alias"], org_name=r["org_name"], sf_user_id=r["sf_user_id"],
                           sales_home_user=bool(r["sales_home_user"]), connected=r["connected_as"] is not None)
                 for r in rows)
    locale = next((r["locale"] for r in rows if r["locale"]), None) or next(
        (r["default_locale"] for r in rows if r["default_locale"]), None)
    team = next((r["team_id"] for r in rows if r["team_id"]), None)
    tz = next((r["tz"] for r in rows if r["tz"]), None)
    return Member(user_id=user_id, team_id=team, locale=normalise(locale), tz=tz, orgs=orgs)


def sales_admins(control: ControlDB, workspace: str) -> list[str]:
    """The Slack users (U…) with the sales admin role in ``workspace``: whom a member asks for access."""
    return [r["user_id"] for r in control.rows(
        "SELECT user_id FROM role_assignments WHERE workspace = ? AND role = 'sales_admin' ORDER BY user_id",
        [workspace])]
