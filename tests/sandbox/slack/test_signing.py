"""The app's configuration and Slack's request signing, checked by slack-sdk's own verifier.

Follows "Verifying requests from Slack" (docs.slack.dev/authentication/verifying-requests-from-slack):
``X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``, ``X-Slack-Request-Timestamp``, and
the 5-minute window; ``slack_sdk.signature.SignatureVerifier`` is what Bolt verifies with.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error

import pytest
from slack_sdk.signature import SignatureVerifier

from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from saleshome.sandbox.slack.signing import AppConfig, signature

from .app_double import AppDouble
from .conftest import control

# The worked example of Slack's "Verifying requests from Slack" page (a slash command's body).
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
EVENT = json.dumps({"type": "event_callback", "event": {"type": "app_home_opened", "tab": "home"}}).encode()


class FixedClock:
    """slack-sdk's verifier reads the time from ``clock.now()``."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_the_documented_example_signs_as_slack_says() -> None:
    assert signature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY) == DOC_SIGNATURE


def test_slack_sdk_accepts_what_the_sandbox_signs(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    assert info.signing_secret == sandbox.app.signing_secret and len(info.signing_secret) == 32
    timestamp = 1_800_000_000
    headers = sandbox.app.sign(EVENT, timestamp)
    assert headers["X-Slack-Request-Timestamp"] == str(timestamp)
    verifier = SignatureVerifier(info.signing_secret, clock=FixedClock(timestamp + 1))  # type: ignore[arg-type]
    assert verifier.is_valid_request(EVENT, headers)
    assert not verifier.is_valid_request(EVENT.replace(b"home", b"messages"), headers)
    assert not SignatureVerifier("0" * 32, clock=FixedClock(timestamp)).is_valid_request(EVENT, headers)  # type: ignore[arg-type]


def test_a_request_six_minutes_old_is_refused_by_the_verifier(sandbox: SlackSandbox) -> None:
    timestamp = 1_800_000_000
    headers = sandbox.app.sign(EVENT, timestamp)
    verifier = SignatureVerifier(sandbox.app.signing_secret, clock=FixedClock(timestamp + 6 * 60))  # type: ignore[arg-type]
    assert not verifier.is_valid_request(EVENT, headers)


def test_the_app_configuration_is_given_at_start() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    with SlackSandbox(
        seed=3,
        history=False,
        signing_secret=secret,
        event_url="http://127.0.0.1:3000/slack/events",
        interactivity_url="http://127.0.0.1:3000/slack/actions",
    ) as sandbox:
        assert sandbox.info is not None
        assert sandbox.info.signing_secret == secret
        assert sandbox.info.event_url == "http://127.0.0.1:3000/slack/events"
        assert sandbox.info.interactivity_url == "http://127.0.0.1:3000/slack/actions"


def test_the_drawn_signing_secret_follows_the_seed() -> None:
    secrets = []
    for _ in range(2):
        with SlackSandbox(seed=3, history=False) as sandbox:
            secrets.append(sandbox.app.signing_secret)
    assert secrets[0] == secrets[1] and set(secrets[0]) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"signing_secret": "not-hex"}, "32 lower-case hex digits"),
        ({"event_url": "ftp://127.0.0.1/events"}, "event request URL"),
        ({"interactivity_url": "/slack/events"}, "interactivity request URL"),
    ],
)
def test_a_bad_configuration_is_refused_before_start(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlackSandbox(seed=3, **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        AppConfig(**{"signing_secret": "a" * 32, **options})


def test_the_cli_prints_the_signing_secret() -> None:
    secret = "fedcba9876543210fedcba9876543210"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "saleshome.sandbox.slack.cli",
            "--seed",
            "3",
            "--signing-secret",
            secret,
            "--event-url",
            "http://127.0.0.1:3000/slack/events",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["signing_secret"] == secret
        assert ready["event_url"] == "http://127.0.0.1:3000/slack/events" and ready["interactivity_url"] is None
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0


def test_the_request_urls_change_at_run_time() -> None:
    with SlackSandbox(seed=3, history=False) as sandbox:
        assert sandbox.info is not None
        secret = sandbox.app.signing_secret
        app = AppDouble(secret)  # a new event URL must answer Slack's url_verification (test_events.py)
        with app.running():
            answer = control(sandbox.info, "POST", "app", {"event_url": app.url})
        assert answer["app"] == {"signing_secret": secret, "event_url": app.url, "interactivity_url": None}
        sandbox.configure_app(interactivity_url="http://127.0.0.1:3000/slack/events")
        assert control(sandbox.info, "GET", "app")["app"]["interactivity_url"] == "http://127.0.0.1:3000/slack/events"
        for bad in ({"event_url": "nowhere"}, {"signing_secret": "f" * 32}):
            with pytest.raises(urllib.error.HTTPError) as refused:
                control(sandbox.info, "POST", "app", bad)
            assert refused.value.code == 400
        assert sandbox.app.event_url == app.url and sandbox.app.signing_secret == secret
