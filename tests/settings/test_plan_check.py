"""The one Sales Home plan check: every plan, with and without Sales Elevate, and no plan declared."""

from __future__ import annotations

import pytest

from saleshome.errors import ConfigurationError
from saleshome.settings.workspace import (
    Plan,
    SalesHomeUnavailableError,
    Workspace,
    require_sales_home_of,
    sales_home_problem_of,
)


@pytest.mark.parametrize("elevate", [False, True])
@pytest.mark.parametrize("plan", list(Plan))
def test_sales_home_runs_on_business_plus_enterprise_plus_or_with_sales_elevate(plan: Plan, elevate: bool) -> None:
    found = Workspace(workspace="acme", plan=plan, sales_elevate=elevate, team_ids=["T1"])
    problem = sales_home_problem_of(found, "acme")
    if elevate or plan in (Plan.BUSINESS_PLUS, Plan.ENTERPRISE_PLUS):
        assert problem is None
        assert require_sales_home_of(found, "acme") is found
        return
    assert isinstance(problem, SalesHomeUnavailableError)
    assert problem.message == f"Sales Home is not available on the {plan.label} plan of workspace 'acme'"
    assert problem.hint and "Business+" in problem.hint
    with pytest.raises(SalesHomeUnavailableError) as refused:
        require_sales_home_of(found, "acme")
    assert refused.value.message == problem.message


def test_no_plan_declared_is_a_configuration_problem() -> None:
    problem = sales_home_problem_of(None, "acme")
    assert type(problem) is ConfigurationError and "no Slack plan is set for workspace 'acme'" in problem.message
    assert problem.hint and "saleshome workspace set-plan" in problem.hint
    with pytest.raises(ConfigurationError, match="no Slack plan is set"):
        require_sales_home_of(None, "acme")
