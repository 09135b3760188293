"""The notification modal's pure parts: what a submitted view reads back as, and each problem on its own input.

Object infos are built in the UI API's documented shape (``tests/app/home/shapes.py``); the member's own, as the
sandbox answers them, are used by ``test_my_notifications.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from saleshome.app.subscriptions.form import (
    Block,
    ConditionChoice,
    FormContext,
    OrgOption,
    Selection,
    form_view,
    read_form,
)
from saleshome.app.subscriptions.handlers import problems_to_blocks
from saleshome.i18n import Messages
from saleshome.salesforce.ui_api_types import ObjectInfo
from tests.app.home import shapes

INFO = ObjectInfo.parse(shapes.object_info())


def context(template: str, *, scope: Any = "mine", delivery: Any = "immediate", locale: str = "en-US",
            stages: tuple[tuple[str, str], ...] = (("Prospecting", "Prospecting"), ("Closed Won", "Closed Won"))
            ) -> FormContext:
    return FormContext(Messages(locale, "app"), "Europe/Paris", [OrgOption("acme", "Acme")],
                       Selection("acme", template, "Opportunity", scope, delivery), [template, "new_record"],
                       [("Opportunity", "Opportunity")], INFO, stages)


def submitted(**values: Any) -> dict[str, Any]:
    """A view as Slack sends it back: ``values`` as ``{block_id: element state}`` (the action id is the block id)."""
    return {"state": {"values": {block: {block: state} for block, state in values.items()}}}


def picked(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def test_stage_changed_reads_back_with_the_stages_and_the_defaults() -> None:
    ctx = context("stage_changed")
    choice, errors = read_form(submitted(**{Block.option("to_stages"): {
        "type": "multi_static_select", "selected_options": [{"value": "Closed Won"}]}}), ctx)
    assert errors == {} and choice is not None
    assert (choice.template, choice.object, dict(choice.options), choice.scope, choice.delivery) == (
        "stage_changed", "Opportunity", {"to_stages": ["Closed Won"], "direction": "any"}, "mine", "immediate")


def test_a_stage_the_member_was_not_offered_is_refused_on_its_input() -> None:
    choice, errors = read_form(submitted(**{Block.option("to_stages"): {
        "type": "multi_static_select", "selected_options": [{"value": "Made Up"}]}}), context("stage_changed"))
    assert choice is None and set(errors) == {Block.option("to_stages")}


@pytest.mark.parametrize(("values", "wrong"), [
    ({Block.condition(0, "field"): picked("Amount"), Block.condition(0, "op"): picked(">="),
      Block.condition(0, "value"): typed("lots")}, Block.condition(0, "value")),
    ({Block.condition(0, "field"): picked("Amount"), Block.condition(0, "op"): picked("contains"),
      Block.condition(0, "value"): typed("1")}, Block.condition(0, "op")),
    ({Block.condition(0, "field"): picked("ExpectedRevenue"), Block.condition(0, "op"): picked(">"),
      Block.condition(0, "value"): typed("1")}, Block.condition(0, "field")),  # not in the member's object info
    ({Block.condition(0, "field"): picked("Description"), Block.condition(0, "op"): picked("is_null"),
      Block.condition(0, "value"): typed("x")}, Block.condition(0, "value")),
    ({}, Block.condition(0, "field")),  # matching conditions, none given
])
def test_each_condition_problem_is_on_its_own_input(values: dict[str, Any], wrong: str) -> None:
    choice, errors = read_form(submitted(**values), context("new_record", scope="matching"))
    assert choice is None and set(errors) == {wrong}, errors


def test_conditions_read_back_typed_by_their_field() -> None:
    choice, errors = read_form(submitted(**{
        Block.condition(0, "field"): picked("Amount"), Block.condition(0, "op"): picked("in"),
        Block.condition(0, "value"): typed("100; 2\u202f500,5"),
        Block.condition(1, "field"): picked("IsPrivate"), Block.condition(1, "op"): picked("="),
        Block.condition(1, "value"): typed("oui"),
        Block.condition(2, "field"): picked("Description"), Block.condition(2, "op"): picked("is_not_null")}),
        context("new_record", scope="matching"))
    assert errors == {} and choice is not None
    assert list(choice.conditions) == [ConditionChoice("Amount", "in", [100.0, 2500.5]),
                                       ConditionChoice("IsPrivate", "=", True),
                                       ConditionChoice("Description", "is_not_null")]


def test_a_digest_needs_its_hour_and_keeps_it() -> None:
    ctx = context("new_record", delivery="digest")
    assert read_form(submitted(), ctx) == (None, {Block.HOUR: "Choose an hour."})
    choice, _ = read_form(submitted(**{Block.HOUR: picked("7")}), ctx)
    assert choice is not None and (choice.delivery, choice.hour) == ("digest", 7)


def test_a_template_not_offered_is_refused() -> None:
    ctx = context("stage_changed")
    forged = FormContext(ctx.words, ctx.tz, ctx.orgs, Selection("acme", "deal_closed", "Opportunity"),
                         ctx.templates, ctx.objects, ctx.info, ctx.stages)
    assert read_form(submitted(), forged) == (None, {Block.TEMPLATE: "Choose one of the notifications offered."})


def test_the_settings_apis_problems_land_on_their_inputs() -> None:
    inputs = {Block.TEMPLATE, Block.SCOPE, Block.option("to_stages"), *(Block.condition(0, p) for p in
                                                                           ("field", "op", "value"))}
    assert problems_to_blocks([
        "subscription.options.to_stages[0]: 'X' is not a value of Opportunity.StageName",
        "subscription.conditions[0].value: Opportunity.Amount is currency: expected a number, got 'x'",
        "subscription.scope: Task has no owner you can see",
        "subscription.recipients: something without an input",
    ], inputs) == {
        Block.option("to_stages"): "'X' is not a value of Opportunity.StageName",
        Block.condition(0, "value"): "Opportunity.Amount is currency: expected a number, got 'x'",
        Block.SCOPE: "Task has no owner you can see",
        Block.TEMPLATE: "something without an input",
    }


def test_the_form_offers_only_readable_fields_in_french() -> None:
    view = form_view(context("stage_changed", scope="matching", locale="fr-FR"))
    assert view["title"]["text"] == "Nouvelle notification" and len(view["title"]["text"]) <= 24
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    template = blocks[Block.TEMPLATE]["element"]
    assert template["initial_option"]["text"]["text"] == "Changement d'étape"
    fields = [o["value"] for o in blocks[Block.condition(0, "field")]["element"]["options"]]
    assert set(fields) == set(INFO.fields) and "ExpectedRevenue" not in fields
    assert len(view["blocks"]) <= 100
