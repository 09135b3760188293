"""The member's UI API client against the Salesforce sandbox: typed answers, paging, sorting, what a
member may see, and errors grouped by what the app does (never showing the token)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from saleshome.errors import QuotaExceededError, RetriableError, ValidationError, is_retriable
from saleshome.salesforce.ui_api import (
    MemberSession,
    MemberSessionExpired,
    SalesforceUnavailable,
    UiAccessDenied,
    UiApi,
    UiNotFound,
    UiRequestRefused,
)
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.members import HIDDEN_FROM_REPS, Members, member_token, pick_members

pytestmark = pytest.mark.sandboxes(seed=11, opportunities=400)

Connect = Callable[[str], UiApi]


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


@pytest.fixture()
def connect(sandbox: SalesforceSandbox, info: SandboxInfo) -> Connect:
    """A client logged in as ``user_id`` (a fresh member token)."""
    return lambda user_id: UiApi(MemberSession(info.instance_url, member_token(sandbox, user_id), info.ca_file))


def test_list_views_and_their_columns(connect: Connect, members: Members) -> None:
    api = connect(members.rep.user_id)
    views = api.all_list_views("Opportunity")
    assert {"AllOpportunities", "MyOpportunities", "Won"} <= {v.api_name for v in views}
    first = api.list_views("Opportunity", page_size=2)
    assert len(first.lists) == 2 and first.next_page_token == "2" and first.previous_page_token is None
    won = api.list_info("Opportunity", "Won")
    assert (won.api_name, won.object_api_name, won.label) == ("Won", "Opportunity", "Won Opportunities")
    assert [c.field_api_name for c in won.columns][:2] == ["Name", "Account.Name"]
    assert won.order_by[0].field_api_name == "CloseDate" and won.order_by[0].ascending is False
    assert api.list_info_by_id(won.id) == won


def test_list_records_page_by_token_and_sort(connect: Connect, members: Members) -> None:
    api = connect(members.manager.user_id)
    whole = api.list_records("Opportunity", "AllOpportunities", page_size=2000)
    assert whole.next_page_token is None and len(whole.records) > 30
    ids: list[str] = []
    page = api.list_records("Opportunity", "AllOpportunities", page_size=25)
    for _ in range(len(whole.records) // 25 + 2):
        ids += [r.id for r in page.records]
        if page.next_page_token is None:
            break
        page = api.list_records("Opportunity", "AllOpportunities", page_size=25, page_token=page.next_page_token)
    assert ids == [r.id for r in whole.records]
    assert [r["id"] for r in whole.raw["records"]] == ids  # the documented JSON, for callers that read it
    assert all(r.text("OwnerId") in members.manager.visible_owner_ids for r in whole.records)
    by_amount = api.list_records("Opportunity", "AllOpportunities", page_size=200, sort_by="Amount", descending=True)
    amounts = [v.value for r in by_amount.records if (v := r.get("Amount")) is not None and v.value is not None]
    assert by_amount.sort_by == "-Amount" and amounts == sorted(amounts, reverse=True)
    by_id = api.list_records_by_id(api.list_info("Opportunity", "AllOpportunities").id, page_size=5)
    assert [r.id for r in by_id.records] == [r.id for r in whole.records[:5]]


def test_a_record_as_its_layout_shows_it(connect: Connect, members: Members) -> None:
    rep = connect(members.rep.user_id)
    mine = rep.list_records("Opportunity", "MyOpportunities", page_size=1).records[0]
    view = rep.record_view(mine.id)
    assert view.record.id == mine.id and view.object_info.api_name == "Opportunity"
    assert set(view.raw["records"]) == {mine.id} and "Opportunity" in view.raw["objectInfos"]
    assert view.layout.sections[0].heading == "Opportunity Information"
    assert "StageName" in view.layout.fields and HIDDEN_FROM_REPS not in view.layout.fields
    assert HIDDEN_FROM_REPS not in view.record.fields and HIDDEN_FROM_REPS not in view.object_info.fields
    assert all(name in view.record.fields for name in view.layout.fields)
    account = view.record.get("Account")
    assert account is not None and account.record is not None and account.text == account.record.text("Name")
    assert view.record.text("Opportunity.Account.Name") == account.text
    amount = view.object_info.fields["Amount"]
    assert (amount.data_type, amount.scale, amount.updateable) == ("Currency", 2, True)
    assert view.object_info.fields["ForecastCategoryName"].updateable is False  # the rep's field-level security
    manager = connect(members.manager.user_id).record_view(mine.id)
    assert HIDDEN_FROM_REPS in manager.layout.fields and HIDDEN_FROM_REPS in manager.record.fields


def test_record_fields_and_optional_fields(connect: Connect, members: Members) -> None:
    rep = connect(members.rep.user_id)
    mine = rep.list_records("Opportunity", "MyOpportunities", page_size=1).records[0]
    record = rep.record(mine.id, fields=["Opportunity.Name", "Opportunity.CloseDate"],
                        optional_fields=[f"Opportunity.{HIDDEN_FROM_REPS}"])
    assert set(record.fields) == {"Name", "CloseDate", "Id"}
    assert record.text("CloseDate") is not None and record.get("Account.Name") is None
    with pytest.raises(UiRequestRefused) as refused:
        rep.record(mine.id, fields=[f"Opportunity.{HIDDEN_FROM_REPS}"])
    assert refused.value.error_code == "INVALID_FIELD" and not is_retriable(refused.value)
    with pytest.raises(ValidationError):
        rep.record(mine.id)


def test_picklist_values(connect: Connect, members: Members) -> None:
    api = connect(members.rep.user_id)
    every = api.picklist_values("Opportunity")
    stages = every["StageName"]
    assert stages.values[0].value == "Prospecting" and stages.default_value is None
    assert next(v for v in stages.values if v.value == "Closed Won").attributes == {
        "closed": True, "defaultProbability": 100, "forecastCategoryName": "Closed",
        "picklistAtrributesValueType": "OpportunityStage", "won": True}
    assert api.field_picklist_values("Opportunity", "StageName") == stages


def test_what_a_member_may_not_see_is_a_named_error(connect: Connect, members: Members, sandbox: SalesforceSandbox,
                                                    ) -> None:
    rep = connect(members.rep.user_id)
    assert sandbox.store is not None
    hidden = sandbox.store.read(
        'SELECT "Id" FROM "Opportunity" WHERE "OwnerId" NOT IN (SELECT unnest(?)) LIMIT 1',
        [list(members.rep.visible_owner_ids)],
    ).column("Id")[0].as_py()
    with pytest.raises(UiAccessDenied) as denied:
        rep.record_view(hidden)
    assert denied.value.error_code == "INSUFFICIENT_ACCESS" and hidden in denied.value.message
    with pytest.raises(UiAccessDenied, match="Case"):
        connect(members.no_cases.user_id).object_info("Case")
    with pytest.raises(UiNotFound, match="Opportunity/NoSuchView") as missing:
        rep.list_info("Opportunity", "NoSuchView")
    assert missing.value.error_code == "NOT_FOUND"
    with pytest.raises(UiRequestRefused) as unsupported:
        rep.object_info("OpportunityHistory")
    assert unsupported.value.error_code == "INVALID_TYPE"
    with pytest.raises(ValidationError):
        rep.list_records("Opportunity", "Won", page_size=2001)


def test_expired_and_unavailable_are_retriable_with_reasons(
    connect: Connect, members: Members, sandbox: SalesforceSandbox, info: SandboxInfo,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = member_token(sandbox, members.rep.user_id)
    api = UiApi(MemberSession(info.instance_url, token, info.ca_file))
    sandbox.faults.add("expire_session", path="/ui-api/")
    with pytest.raises(MemberSessionExpired) as expired:
        api.object_info("Opportunity")
    assert is_retriable(expired.value) and "reconnect" in (expired.value.hint or "")
    with pytest.raises(MemberSessionExpired):
        UiApi(MemberSession(info.instance_url, "00D000000000000!AQbogus", info.ca_file)).object_info("Account")
    live = connect(members.rep.user_id)
    sandbox.faults.add("status", status=503, path="/ui-api/list-records/")
    with pytest.raises(SalesforceUnavailable, match="503") as down:
        live.list_records("Opportunity", "Won")
    sandbox.faults.add("limit_exceeded", path="/ui-api/")
    with pytest.raises(QuotaExceededError):
        live.list_views("Opportunity")
    sandbox.faults.add("slow", path="/ui-api/object-info/", delay=1.5)
    impatient = UiApi(MemberSession(info.instance_url, member_token(sandbox, members.rep.user_id), info.ca_file,
                                    timeout=0.3))
    with pytest.raises(SalesforceUnavailable, match="did not answer within"):
        impatient.object_info("Opportunity")
    closed = UiApi(MemberSession("https://127.0.0.1:1", token, info.ca_file))
    with pytest.raises(SalesforceUnavailable, match="could not reach Salesforce") as unreachable:
        closed.object_info("Opportunity")
    for error in (expired.value, down.value, unreachable.value):
        assert isinstance(error, RetriableError)
        assert token not in str(error) and token not in repr(error)
    assert token not in repr(api) and token not in repr(api.member) and token not in caplog.text


def test_a_refused_token_is_refreshed_once_through_the_hook(
    members: Members, sandbox: SalesforceSandbox, info: SandboxInfo,
) -> None:
    """The member's refresh lives in one place: the client asks its hook for a new token once on a 401."""
    stale = sandbox.sessions.issue(members.rep.user_id).token
    assert sandbox.sessions.revoke(stale)  # Salesforce now answers 401 INVALID_SESSION_ID to it
    asked: list[str] = []

    def refresh(refused: str) -> str:
        asked.append(refused)
        return sandbox.sessions.issue(members.rep.user_id).token

    api = UiApi(MemberSession(info.instance_url, stale, info.ca_file), refresh=refresh)
    assert api.object_info("Opportunity").api_name == "Opportunity"
    assert asked == [stale]
    assert api.list_info("Opportunity", "Won").api_name == "Won"
    assert asked == [stale]  # the new token is kept: no refresh per call
    refused: list[str] = []

    def useless(token: str) -> str:
        refused.append(token)
        return "00D000000000000!AQbogus"

    with pytest.raises(MemberSessionExpired):
        UiApi(MemberSession(info.instance_url, stale, info.ca_file), refresh=useless).object_info("Account")
    assert refused == [stale]  # one refresh, then the member must reconnect: never a loop
    with pytest.raises(MemberSessionExpired):  # no hook: a 401 is the member's to answer at once
        UiApi(MemberSession(info.instance_url, stale, info.ca_file)).object_info("Account")
