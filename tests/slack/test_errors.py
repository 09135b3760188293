"""The Slack error classifier: each family of Slack's answers, from the Slack sandbox, maps to its
branch of the error tree; the settings' Slack directory goes through it."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.errors import ConfigurationError, QuotaExceededError, RetriableError, SalesHomeError
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.slack.directory import SlackDirectory
from saleshome.slack.errors import SlackErrorFamily, SlackRefusedError, error_code, error_family, slack_error


def _bare(slack: SlackSandbox, token: str | None = None) -> WebClient:
    """A WebClient without retry handlers: every answer reaches the caller as it came."""
    assert slack.info is not None
    return WebClient(token=token or slack.info.bot_token, base_url=slack.info.api_url, timeout=3, retry_handlers=[])


def _refusal(call: object) -> SlackApiError:
    assert callable(call)
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def test_a_bad_token_is_an_auth_answer_a_configuration_error_with_its_hint(slack: SlackSandbox) -> None:
    exc = _refusal(lambda: _bare(slack, "xoxb-not-a-token").auth_test())
    assert (error_code(exc), error_family(error_code(exc))) == ("invalid_auth", SlackErrorFamily.AUTH)
    error = slack_error(exc, "auth.test")
    assert isinstance(error, SlackRefusedError) and isinstance(error, ConfigurationError)
    assert (error.code, error.message) == ("invalid_auth", "Slack refused auth.test: invalid_auth")
    assert error.hint == "check SALESHOME_SLACK_BOT_TOKEN"
    assert slack_error(exc, "the admin token", hint="use an xoxp token").hint == "use an xoxp token"


def test_a_rate_limit_is_a_quota_error_carrying_retry_after(slack: SlackSandbox) -> None:
    slack.inject("ratelimited", "users.info", retry_after=7)
    exc = _refusal(lambda: _bare(slack).users_info(user="U0"))
    assert exc.response.status_code == 429
    error = slack_error(exc, "users.info")
    assert type(error) is QuotaExceededError and error.retry_after == 7.0
    assert error_family(error_code(exc), 429) is SlackErrorFamily.RATE_LIMITED


@pytest.mark.parametrize(("status", "code"), [(500, "internal_error"), (503, "service_unavailable"),
                                              (504, "request_timeout")])
def test_slack_unwell_is_retriable(slack: SlackSandbox, status: int, code: str) -> None:
    slack.inject("error", "conversations.list", status=status)
    exc = _refusal(lambda: _bare(slack).conversations_list())
    assert error_code(exc) == code and error_family(code, status) is SlackErrorFamily.TRANSIENT
    error = slack_error(exc, "conversations.list")
    assert type(error) is RetriableError and error.message == f"Slack answered {code} to conversations.list"


def test_any_5xx_is_transient_whatever_its_code(slack: SlackSandbox) -> None:
    slack.inject("error", "conversations.list", status=502, error="something_new")
    exc = _refusal(lambda: _bare(slack).conversations_list())
    assert type(slack_error(exc, "conversations.list")) is RetriableError


def test_no_answer_is_retriable(slack: SlackSandbox) -> None:
    slack.inject("drop", "auth.test", times=0)
    with pytest.raises(Exception) as caught:
        _bare(slack).auth_test()
    error = slack_error(caught.value, "auth.test")
    assert type(error) is RetriableError and error.message.startswith("Slack could not be reached for auth.test (")


def test_a_request_that_will_fail_again_is_permanent(slack: SlackSandbox) -> None:
    exc = _refusal(lambda: _bare(slack).conversations_info(channel="C0NOSUCH"))
    assert error_family(error_code(exc)) is SlackErrorFamily.PERMANENT
    error = slack_error(exc, "conversations.info", hints={"channel_not_found": "check the channel id"})
    assert isinstance(error, SlackRefusedError) and (error.code, error.hint) == ("channel_not_found",
                                                                                 "check the channel id")


def test_a_code_nobody_listed_is_unknown_and_refused(slack: SlackSandbox) -> None:
    slack.inject("error", "auth.test", status=200, error="brand_new_refusal")
    exc = _refusal(lambda: _bare(slack).auth_test())
    assert error_family(error_code(exc)) is SlackErrorFamily.UNKNOWN
    error = slack_error(exc, "auth.test")
    assert isinstance(error, SlackRefusedError) and error.code == "brand_new_refusal"
    assert error.hint == "check the Sales Home app's installation"


def test_the_directory_reports_a_spent_rate_limit_as_a_quota_error(slack: SlackSandbox) -> None:
    """A 429 the client did not wait out reaches the caller as a QuotaExceededError (a RetriableError
    with Slack's Retry-After), no longer as a plain RetriableError."""
    assert slack.info is not None
    slack.inject("ratelimited", "users.info", retry_after=3)
    directory = SlackDirectory(WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=3))
    with pytest.raises(QuotaExceededError, match=r"Slack rate-limited users\.info") as caught:
        directory.user("U0ABCDEF")
    assert caught.value.retry_after == 3.0


def test_the_directory_keeps_its_missing_scope_hint(slack: SlackSandbox) -> None:
    assert slack.info is not None
    slack.inject("error", "auth.teams.list", status=200, error="missing_scope")
    directory = SlackDirectory(WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=3))
    with pytest.raises(SalesHomeError) as caught:
        directory.teams()
    assert isinstance(caught.value, SlackRefusedError) and caught.value.code == "missing_scope"
    assert caught.value.hint is not None and "channels:read" in caught.value.hint
