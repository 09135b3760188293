"""The app's door: Slack's signature checked before anything (Bolt), and an event taken once however often Slack
retries it, whichever app process gets the retry.

Observed through what the app's work leaves: opening the Home tab of a member with access but no connection
publishes the Connect screen, and each such screen mints one single-use Salesforce link (a row of
``oauth_states``); an event processed twice would mint two.  The app processes are stopped (SIGTERM, waited for)
before counting, so whatever work they had accepted has finished.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from saleshome.sandbox.slack.server import SlackSandbox
from tests.fixtures.app import MemberHome, event_body, member_with_access, post_event, start_app, wait_for


def states(home: MemberHome, user: str) -> int:
    return len(home.control.rows("SELECT state_hash FROM oauth_states WHERE slack_user_id = ?", [user]))


def test_a_forged_or_replayed_request_is_refused_and_changes_nothing(
        member_home: MemberHome, slack_sandbox: SlackSandbox, tmp_path: Path) -> None:
    user, _ = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        body = event_body(user, "Ev0FORGED0001")
        wrong = post_event(app, body, "0" * len(member_home.signing_secret))  # signed with another secret
        assert wrong.status_code == 401, wrong.text
        old = post_event(app, body, member_home.signing_secret, timestamp=int(time.time()) - 6 * 60)
        assert old.status_code == 401, old.text
        genuine = post_event(app, body, member_home.signing_secret)
        assert genuine.status_code == 200, genuine.text  # the same body, signed now with the secret, passes ...
    finally:
        app.stop()
    # ... and only it did anything: one event taken, one screen published
    assert [r["event_id"] for r in member_home.control.rows("SELECT event_id FROM app_events")] == ["Ev0FORGED0001"]
    assert states(member_home, user) == 1


def test_a_forged_request_alone_leaves_no_trace(member_home: MemberHome, slack_sandbox: SlackSandbox,
                                               tmp_path: Path) -> None:
    user, _ = member_with_access(member_home)
    before = slack_sandbox.home_view(user)
    app = start_app(tmp_path)
    try:
        body = event_body(user, "Ev0FORGED0002")
        assert post_event(app, body, "f" * len(member_home.signing_secret)).status_code == 401
        assert post_event(app, body, member_home.signing_secret,
                          timestamp=int(time.time()) - 6 * 60).status_code == 401
        assert post_event(app, body, member_home.signing_secret,
                          timestamp=int(time.time()) + 6 * 60).status_code == 401
    finally:
        app.stop()
    assert member_home.control.rows("SELECT event_id FROM app_events") == []
    assert states(member_home, user) == 0
    assert slack_sandbox.home_view(user) == before


def test_a_retried_event_is_processed_once_across_two_app_processes(
        member_home: MemberHome, slack_sandbox: SlackSandbox, tmp_path: Path) -> None:
    user, _ = member_with_access(member_home)
    first, second = start_app(tmp_path, name="first"), start_app(tmp_path, name="second")
    try:
        body = event_body(user, "Ev0RETRIED001")
        assert post_event(first, body, member_home.signing_secret).status_code == 200
        wait_for(lambda: states(member_home, user) == 1, "the first delivery's Connect screen")
        for retry, app in ((1, first), (2, second), (3, second)):  # Slack's retries, to either process
            response = post_event(app, body, member_home.signing_secret, retry=retry)
            assert response.status_code == 200, response.text
        other = event_body(user, "Ev0RETRIED002")  # a new event is processed, by either process
        assert post_event(second, other, member_home.signing_secret).status_code == 200
    finally:
        first.stop()
        second.stop()
    assert states(member_home, user) == 2
    taken = [r["event_id"] for r in member_home.control.rows("SELECT event_id FROM app_events ORDER BY event_id")]
    assert taken == ["Ev0RETRIED001", "Ev0RETRIED002"]


@pytest.mark.parametrize("retry", [None, 1])
def test_an_event_is_acknowledged_within_three_seconds(member_home: MemberHome, tmp_path: Path,
                                                       retry: int | None) -> None:
    user, _ = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        response = post_event(app, event_body(user, "Ev0QUICK00001"), member_home.signing_secret, retry=retry)
    finally:
        app.stop()
    assert response.status_code == 200 and response.elapsed.total_seconds() < 3
