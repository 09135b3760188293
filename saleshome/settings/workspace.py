"""The workspace Sales Home serves, its Slack plan, and whether Sales Home is available on it.

A workspace (``Settings.workspace``) is one Slack workspace or an Enterprise organisation with
several workspaces (Slack team ids).  Sales Home is available with the Sales Elevate add-on,
on the Business+ plan, or on Enterprise+; on any other plan every Sales Home command and flow
refuses (:func:`require_sales_home`).

Slack's Web API does not tell an app which plan a workspace is on, so the plan is declared
once by the Slack primary owner (``saleshome workspace set-plan PLAN --as U…``), who is
checked in Slack (``users.info``: ``is_primary_owner``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, PermissionDeniedError, SalesHomeError, ValidationError
from saleshome.slack.directory import SlackDirectory
from saleshome.warehouse.control import ControlDB, Tx

from .audit import record_change


class Plan(StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS_PLUS = "business_plus"
    ENTERPRISE_GRID = "enterprise_grid"
    ENTERPRISE_PLUS = "enterprise_plus"

    @property
    def label(self) -> str:
        return PLAN_LABELS[self]

    @property
    def is_enterprise(self) -> bool:
        return self in (Plan.ENTERPRISE_GRID, Plan.ENTERPRISE_PLUS)


PLAN_LABELS: dict[Plan, str] = {
    Plan.FREE: "Free", Plan.PRO: "Pro", Plan.BUSINESS_PLUS: "Business+", Plan.ENTERPRISE_GRID: "Enterprise Grid",
    Plan.ENTERPRISE_PLUS: "Enterprise+",
}
PLANS_WITH_SALES_HOME = (Plan.BUSINESS_PLUS, Plan.ENTERPRISE_PLUS)
ACCESS = "the Sales Elevate add-on (on any plan), the Business+ plan or the Enterprise+ plan"


class SalesHomeUnavailableError(PermissionDeniedError):
    """The workspace's plan does not include Sales Home."""


class Workspace(BaseModel):
    """A workspace's plan as the primary owner declared it."""

    workspace: str
    plan: Plan
    sales_elevate: bool = False
    team_ids: list[str]
    updated_at: datetime | None = None
    updated_by: str | None = None
    default_locale: str | None = None  # channels' language as stored (None: en-US); set by a sales admin

    @property
    def has_sales_home(self) -> bool:
        return self.sales_elevate or self.plan in PLANS_WITH_SALES_HOME

    @property
    def plan_label(self) -> str:
        return self.plan.label + (" with Sales Elevate" if self.sales_elevate else "")


def get_workspace(control: ControlDB, workspace: str) -> Workspace | None:
    """The workspace's declared plan, or None before the primary owner declared it."""
    with control.transaction() as db:
        return workspace_in(db, workspace)


def workspace_in(db: Tx, workspace: str) -> Workspace | None:
    row = db.execute("SELECT plan, sales_elevate, team_ids, updated_at, updated_by, default_locale FROM workspaces "
                     "WHERE workspace = ?", [workspace]).fetchone()
    if row is None:
        return None
    return Workspace(workspace=workspace, plan=Plan(row[0]), sales_elevate=row[1], team_ids=list(row[2]),
                     updated_at=row[3], updated_by=row[4], default_locale=row[5])


def require_sales_home(control: ControlDB, workspace: str) -> Workspace:
    """The workspace, when its plan includes Sales Home; otherwise an error naming the plans that do.

    Every Sales Home settings command calls it first; flows should too, before syncing or sending.
    """
    return require_sales_home_of(get_workspace(control, workspace), workspace)


def require_sales_home_for(control: ControlDB, settings: Settings) -> Workspace:
    """:func:`require_sales_home` for the workspace ``settings`` serve (the first step of every flow)."""
    return require_sales_home(control, settings.workspace)


def require_sales_home_of(found: Workspace | None, workspace: str) -> Workspace:
    """:func:`require_sales_home` on a workspace already read (None: no plan declared)."""
    problem = sales_home_problem_of(found, workspace)
    if problem is not None:
        raise problem
    assert found is not None
    return found


def sales_home_problem(control: ControlDB, workspace: str) -> SalesHomeError | None:
    """Why Sales Home cannot run on ``workspace`` (what :func:`require_sales_home` would raise), or None.

    For read-only views (``saleshome status``, ``saleshome outbox list``) that still show what
    they can, with the problem first, and for steps that skip rather than refuse.
    """
    return sales_home_problem_of(get_workspace(control, workspace), workspace)


def sales_home_problem_of(found: Workspace | None, workspace: str) -> ConfigurationError | SalesHomeUnavailableError | None:
    """The one plan check: None when Sales Home may run on the workspace ``found`` (None: no plan declared).

    Every other check (:func:`require_sales_home`, :func:`require_sales_home_for`,
    :func:`sales_home_problem`) is this one on a workspace read for it.
    """
    if found is None:
        return ConfigurationError(
            f"no Slack plan is set for workspace {workspace!r}, so Sales Home cannot tell whether it is available",
            hint="the Slack primary owner sets it once: `saleshome workspace set-plan PLAN --as U…` "
                 f"(Sales Home needs {ACCESS})",
        )
    if not found.has_sales_home:
        return SalesHomeUnavailableError(
            f"Sales Home is not available on the {found.plan.label} plan of workspace {found.workspace!r}",
            hint=f"Sales Home comes with {ACCESS}; once upgraded, the primary owner runs "
                 "`saleshome workspace set-plan`",
        )
    return None


def set_plan(
    control: ControlDB, directory: SlackDirectory, workspace: str, *, actor: str, plan: Plan | str,
    sales_elevate: bool = False, teams: list[str] | None = None,
) -> Workspace:
    """Declare the workspace's plan (the Slack primary owner only), audited.

    ``teams`` (ids or names) are the Slack workspaces served; by default every workspace the
    Sales Home app is installed in (``auth.teams.list``).  Several only on Enterprise plans.
    """
    try:
        chosen = Plan(plan)
    except ValueError:
        raise ValidationError(f"unknown plan {plan!r}",
                              hint=f"choose one of {', '.join(p.value for p in Plan)}") from None
    user = directory.user(actor)
    if user.deleted:
        raise PermissionDeniedError(f"{user.label} is deactivated in Slack", hint="act as an active Slack user")
    if not user.is_primary_owner:
        raise PermissionDeniedError(
            f"{user.label} is not the Slack primary owner: only the primary owner declares the plan",
            hint="ask the workspace's (or organisation's) primary owner to run `saleshome workspace set-plan`",
        )
    team_ids = [directory.team(t).id for t in teams] if teams else [t.id for t in directory.teams()]
    team_ids = list(dict.fromkeys(team_ids))
    if len(team_ids) > 1 and not chosen.is_enterprise:
        raise ValidationError(
            f"the {chosen.label} plan covers one workspace, got {len(team_ids)} ({', '.join(team_ids)})",
            hint="pick one with --team, or declare an Enterprise plan (enterprise_grid, enterprise_plus)",
        )
    new = Workspace(workspace=workspace, plan=chosen, sales_elevate=sales_elevate, team_ids=team_ids)
    with control.transaction() as db:
        before = _row(db, workspace)
        after = new.model_dump(mode="json", include={"plan", "sales_elevate", "team_ids"})
        now = datetime.now(UTC)
        db.execute("INSERT INTO workspaces (workspace, plan, sales_elevate, team_ids, updated_at, updated_by) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace) DO UPDATE SET plan = excluded.plan, "
                   "sales_elevate = excluded.sales_elevate, team_ids = excluded.team_ids, "
                   "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                   [workspace, chosen.value, sales_elevate, team_ids, now, actor])
        if before != after:
            record_change(db, workspace, actor, "workspace.set-plan", "workspace", before, after)
    found = get_workspace(control, workspace)
    assert found is not None
    return found


def _row(db: Tx, workspace: str) -> dict[str, Any] | None:
    row = db.execute("SELECT plan, sales_elevate, team_ids FROM workspaces WHERE workspace = ?",
                     [workspace]).fetchone()
    return {"plan": row[0], "sales_elevate": row[1], "team_ids": list(row[2])} if row else None
