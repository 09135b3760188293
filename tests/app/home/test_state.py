"""Where the member is, kept in ``private_metadata``: page tokens round-trip, within 3,000 characters, and
anything that is not ours reads as the tab's start."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from saleshome.app.home.state import PRIVATE_METADATA_MAX, Nav, decode, encode

names = st.text(min_size=1, max_size=80)
tokens = st.none() | st.text(max_size=2000)


@given(org=names, obj=names, lst=names, page=st.integers(1, 10_000), token=tokens, nxt=tokens, prev=tokens,
       record=st.none() | st.text(min_size=15, max_size=18))
def test_a_place_round_trips_within_slacks_limit(org: str, obj: str, lst: str, page: int, token: str | None,
                                                  nxt: str | None, prev: str | None, record: str | None) -> None:
    nav = Nav(org=org, object=obj, list=lst, page=page, token=token, next=nxt, previous=prev, record=record)
    text = encode(nav)
    assert len(text) <= PRIVATE_METADATA_MAX
    back = decode(text)
    assert (back.org, back.object, back.list, back.page, back.record) == (org, obj, lst, page, record)
    for kept, given_token in ((back.token, token), (back.next, nxt), (back.previous, prev)):
        assert kept == given_token or kept is None  # a token too long to keep is dropped, never cut


def test_paging_forward_and_back_follows_salesforces_tokens() -> None:
    first = Nav(org="acme", object="Opportunity", list="AllOpportunities").with_page("0", "25", None)
    assert first.previous_page() is None
    second = decode(encode(first)).next_page()
    assert second is not None and (second.page, second.token) == (2, "25")
    second = second.with_page("25", "50", "0")
    third = decode(encode(second)).next_page()
    assert third is not None and (third.page, third.token) == (3, "50")
    back = decode(encode(third.with_page("50", None, "25"))).previous_page()
    assert back is not None and (back.page, back.token) == (2, "25")
    assert decode(encode(third.with_page("50", None, "25"))).next_page() is None  # the last page
    start = decode(encode(back.with_page("25", "50", "0"))).previous_page()
    assert start is not None and (start.page, start.token) == (1, None)


def test_a_page_whose_previous_token_was_not_kept_goes_back_to_the_first_page() -> None:
    nav = decode(encode(Nav(org="a", object="Lead", list="All", page=4, token="75", previous="x" * 5000)))
    assert nav.previous is None
    back = nav.previous_page()
    assert back is not None and (back.page, back.token) == (1, None)


def test_anything_not_ours_is_the_tabs_start() -> None:
    for text in (None, "", "not json", "[1, 2]", '{"v": 99, "org": "a"}', '{"org": "a"}'):
        assert decode(text) == Nav()
    assert decode('{"v": 1, "org": "a", "page": "3", "record": 7}') == Nav(org="a")
    assert decode('{"v": 1, "org": "a", "page": true}') == Nav(org="a")


def test_opening_a_list_or_switching_org_starts_afresh() -> None:
    deep = Nav(org="a", object="Lead", list="Mine", page=3, token="50", next="75", previous="25", record="00Q1")
    assert deep.open_list("Account", "AllAccounts") == Nav(org="a", object="Account", list="AllAccounts")
    assert deep.switch_org("b") == Nav(org="b")
    assert deep.close_record() == Nav(org="a", object="Lead", list="Mine", page=3, token="50", next="75",
                                      previous="25")


def test_each_action_takes_the_member_where_it_says() -> None:
    from saleshome.app.home import Action, next_nav

    here = Nav(org="a", object="Lead", list="Mine", page=2, token="25", next="50", previous="0")
    assert next_nav({"action_id": Action.OPEN_LIST, "selected_option": {"value": "Account/AllAccounts"}}, here) \
        == Nav(org="a", object="Account", list="AllAccounts")
    assert next_nav({"action_id": Action.SWITCH_ORG, "selected_option": {"value": "b"}}, here) == Nav(org="b")
    assert next_nav({"action_id": Action.NEXT_PAGE, "value": "next"}, here) == Nav(
        org="a", object="Lead", list="Mine", page=3, token="50")
    assert next_nav({"action_id": Action.PREVIOUS_PAGE, "value": "previous"}, here) == Nav(
        org="a", object="Lead", list="Mine", page=1, token=None)
    opened = next_nav({"action_id": Action.OPEN_RECORD, "value": "00Q000000000001"}, here)
    assert opened.record == "00Q000000000001" and opened.token == "25"
    assert next_nav({"action_id": Action.BACK_TO_LIST, "value": "back"}, opened) == here
    assert next_nav({"action_id": Action.RETRY, "value": "retry"}, here) == here
    assert next_nav({"action_id": Action.OPEN_LIST, "selected_option": {"value": "garbage"}}, here) == here


def test_the_tab_opens_on_the_first_list_the_admins_suggest_else_the_members_own() -> None:
    from saleshome.app.home.blocks import ObjectLists
    from saleshome.app.home.screen import first_list
    from saleshome.salesforce.ui_api_types import ListViewSummary

    empty = ObjectLists("Case", "Cases")
    own = ObjectLists("Account", "Accounts", own=[ListViewSummary("AllAccounts", "", "All Accounts")])
    both = ObjectLists("Opportunity", "Opportunities", defaults=[ListViewSummary("ClosingThisMonth", "", "Closing")],
                       own=[ListViewSummary("AllOpportunities", "", "All")])
    assert first_list([empty, own, both]) == ("Account", "AllAccounts")
    assert first_list([both, own]) == ("Opportunity", "ClosingThisMonth")
    assert first_list([empty]) is None
