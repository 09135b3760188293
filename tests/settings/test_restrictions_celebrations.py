"""Notification restrictions, celebration settings and message templates."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saleshome.errors import ValidationError
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import SettingsProblems, current_state
from saleshome.settings.audit import read_audit
from saleshome.settings.celebrations import is_won, load_celebrations, render_message, won_stage
from saleshome.settings.changes import set_celebrations, set_restrictions, set_won_stage
from saleshome.settings.context import SettingsContext
from saleshome.settings.model import DEFAULT_MESSAGE
from saleshome.settings.restrictions import Restrictions, blocked_reason, load_restrictions
from saleshome.settings.templates import PLACEHOLDERS, check_template, render_template, template_problems
from tests.fixtures.workspace import ALIAS, People

# ---------------------------------------------------------------------- templates (no sandbox)


def test_a_template_uses_known_placeholders_only() -> None:
    assert check_template("{owner} won {opportunity} ({account}) for {amount}, {close_date}, {stage} {{literal}}")
    for bad, problem in [
        ("{owner} {ownr}", "unknown placeholder {ownr}"),
        ("{owner.__class__}", "unknown placeholder {owner.__class__}"),
        ("{amount[0]}", "unknown placeholder {amount[0]}"),
        ("{amount!r}", "takes no conversion or format"),
        ("{amount:>10}", "takes no conversion or format"),
        ("{}", "unknown placeholder {}"),
        ("{0}", "unknown placeholder {0}"),
        ("{owner", "unbalanced braces"),
        ("owner}", "unbalanced braces"),
        ("   ", "the message is empty"),
    ]:
        with pytest.raises(ValidationError) as refused:
            check_template(bad)
        assert problem in refused.value.message, bad


def test_rendering_substitutes_values_verbatim() -> None:
    values = {"owner": "<@U1>", "opportunity": "{account}", "account": "Acme {0.__class__}", "amount": "$1,000"}
    assert render_template("{owner} won {opportunity} with {account} for {amount}{{!}} {stage}", values) == (
        "<@U1> won {account} with Acme {0.__class__} for $1,000{!} ")


@given(st.dictionaries(st.sampled_from(PLACEHOLDERS), st.text(max_size=30)),
       st.lists(st.one_of(st.sampled_from([f"{{{p}}}" for p in PLACEHOLDERS]), st.text(alphabet="ab {}.[]!:", max_size=8)),
                max_size=8))
@settings(max_examples=300, deadline=None)
def test_any_valid_template_renders_to_literal_text_and_values(values: dict[str, str], parts: list[str]) -> None:
    template = "".join(parts)
    if template_problems(template):
        return
    # A valid template has no other brace than placeholders and escapes: one regex pass is the oracle.
    expected = re.sub(r"\{\{|\}\}|\{(\w+)\}",
                      lambda m: values.get(m[1], "") if m[1] else m[0][0], template)
    assert render_template(template, values) == expected


def test_is_won_uses_the_chosen_stage_or_is_won() -> None:
    assert is_won("Closed Won", True, None) and not is_won("Negotiation/Review", False, None)
    assert is_won("Contract Signed", False, "Contract Signed") and not is_won("Closed Won", True, "Contract Signed")


# ---------------------------------------------------------------------- restrictions (Slack sandbox)
pytest_integration = pytest.mark.integration


@pytest_integration
def test_restrictions_are_validated_in_slack_and_read_by_the_publisher(ready: SettingsContext, people: People,
                                                                      slack_sandbox: SlackSandbox) -> None:
    teams = [t.id for t in ready.directory.teams()]
    set_restrictions(ready, people.sales_admin, channel_types=["public", "direct"], include_external=True,
                     workspaces=[teams[1]])
    r = load_restrictions(ready.control, ready.workspace)  # what publisher_from_settings reads
    assert r == Restrictions(allow_public=True, allow_private=False, allow_direct=True, include_external=True,
                             allowed_teams=[teams[1]])
    info = {"is_private": True, "is_channel": True}
    assert blocked_reason(r, info, teams[1]) == "restricted: private conversations may not receive notifications"
    assert blocked_reason(r, {"is_channel": True}, teams[0]) == f"restricted: workspace {teams[0]} may not receive notifications"
    entry = read_audit(ready.control, ready.workspace)[-1]
    assert entry.target == "restrictions" and entry.before["allow_private"] and not entry.after["allow_private"]
    # by name, and back to every workspace
    set_restrictions(ready, people.sales_admin, workspaces=[ready.directory.teams()[0].name])
    assert load_restrictions(ready.control, ready.workspace).allowed_teams == [teams[0]]
    set_restrictions(ready, people.sales_admin, workspaces=None)
    assert load_restrictions(ready.control, ready.workspace).allowed_teams is None


@pytest_integration
def test_bad_restrictions_are_refused(ready: SettingsContext, people: People) -> None:
    before = current_state(ready)
    with pytest.raises(SettingsProblems) as refused:
        set_restrictions(ready, people.sales_admin, workspaces=["T0NOPE", "Nowhere"])
    assert [p.split(":")[0] for p in refused.value.problems] == ["restrictions.workspaces[0]",
                                                                  "restrictions.workspaces[1]"]
    assert "unknown Slack workspace 'T0NOPE'" in refused.value.problems[0]
    with pytest.raises(SettingsProblems) as refused:
        set_restrictions(ready, people.sales_admin, channel_types=["public", "shared"])
    assert refused.value.problems[0].startswith("restrictions.channel_types[1]: Input should be 'public', "
                                                "'private' or 'direct'")
    assert current_state(ready) == before


# ---------------------------------------------------------------------- celebrations
@pytest_integration
def test_celebration_settings(ready: SettingsContext, people: People, slack_sandbox: SlackSandbox) -> None:
    assert load_celebrations(ready.control, ready.workspace).message == DEFAULT_MESSAGE
    deals = slack_sandbox.channel_id("deals-won")
    set_celebrations(ready, people.sales_admin, enabled=True, message=":trophy: {owner} closed {opportunity}!",
                     channels=["#deals-won", slack_sandbox.channel_id("sales")])
    c = load_celebrations(ready.control, ready.workspace)
    assert c.channels == [deals, slack_sandbox.channel_id("sales")]
    assert render_message(c, {"owner": "Ana", "opportunity": "Big deal"}) == ":trophy: Ana closed Big deal!"
    set_celebrations(ready, people.sales_admin, enabled=False)
    assert not load_celebrations(ready.control, ready.workspace).enabled
    assert load_celebrations(ready.control, ready.workspace).channels == c.channels


@pytest_integration
@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"message": "{owner} won {deal}"}, "celebrations.message: unknown placeholder {deal}"),
        ({"message": "{owner.__init__.__globals__}"}, "celebrations.message: unknown placeholder"),
        ({"channels": ["#no-such-channel"]}, "celebrations.channels[0]: unknown Slack channel #no-such-channel"),
        ({"channels": ["C0NOPE"]}, "celebrations.channels[0]: unknown Slack channel C0NOPE"),
        ({"channels": ["#q3-2023-push"]}, "celebrations.channels[0]: #q3-2023-push is archived"),
        ({"channels": ["#apac-pipeline"]}, "celebrations.channels[0]: the Sales Home app is not in #apac-pipeline"),
        ({"channels": ["#sales", "#sales"]}, "celebrations.channels[1]: #sales is listed twice"),
        ({"channels": ["#sales-ops"]}, "celebrations.channels[0]: unknown Slack channel #sales-ops"),  # private, bot out
    ],
)
def test_bad_celebration_settings_are_refused(ready: SettingsContext, people: People, kwargs: dict[str, object],
                                              problem: str) -> None:
    before = current_state(ready)
    with pytest.raises(SettingsProblems) as refused:
        set_celebrations(ready, people.sales_admin, **kwargs)  # type: ignore[arg-type]
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert current_state(ready) == before


@pytest_integration
def test_a_celebration_channel_must_be_allowed_by_the_restrictions(ready: SettingsContext, people: People) -> None:
    set_restrictions(ready, people.sales_admin, channel_types=["private", "direct"])
    with pytest.raises(SettingsProblems, match=r"celebrations.channels\[0\]: #deals-won cannot receive celebrations"):
        set_celebrations(ready, people.sales_admin, channels=["#deals-won"])


@pytest_integration
def test_the_won_stage_must_exist_in_the_org(ready: SettingsContext, people: People) -> None:
    assert won_stage(ready.control, ALIAS) is None
    set_won_stage(ready, people.sales_admin, ALIAS, "Contract Signed")
    assert won_stage(ready.control, ALIAS) == "Contract Signed"
    with pytest.raises(SettingsProblems) as refused:
        set_won_stage(ready, people.sales_admin, ALIAS, "closed won")
    assert refused.value.problems == ["orgs.acme.won_stage: org 'acme' has no opportunity stage 'closed won' "
                                      "(did you mean 'Closed Won'?)"]
    with pytest.raises(SettingsProblems, match="has no opportunity stage 'Signed'"):
        set_won_stage(ready, people.sales_admin, ALIAS, "Signed")
    assert won_stage(ready.control, ALIAS) == "Contract Signed"
    set_won_stage(ready, people.sales_admin, ALIAS, None)
    assert won_stage(ready.control, ALIAS) is None
