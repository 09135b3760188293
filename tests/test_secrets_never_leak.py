"""No secret ever appears in what Sales Home produces.

Org add + sync + status on the command line (subprocesses, DEBUG logging; orgs connected by a
sales admin, checked in the Slack sandbox) and flow runs under Prefect (logs captured), for the
four login methods and a Prefect Secret block (each on its own sandbox org: an org is connected once); then
EVERYTHING they produced is searched for every secret: terminal output, Python and Prefect
logs, Prefect artifacts, flow and task runs, Prefect's persisted results, and every file
under SALESHOME_HOME (raw bytes, and each DuckDB file's contents through SQL, since DuckDB
compresses strings on disk).  The secrets: client id and secret, password, security token,
refresh token, private key, every access token the org issued during the test, and the Slack
bot token.

The Slack app too (``saleshome app serve`` at DEBUG): a member connects Salesforce through it, is refreshed,
disconnects, another is refused; its log, its callback pages, this process's logs and the control store's files
are searched for the members' tokens, the authorization codes, the member's password, the Fernet key, the signing
secret, the client secret and the bot token.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.logging.handlers import APILogHandler

from flows.states import finish
from flows.sync import sync_org
from saleshome.app.connections import Connections
from saleshome.app.tokens import TokenCipher
from saleshome.config import load_settings
from saleshome.errors import SalesHomeError
from saleshome.pipeline import refresh_org_users
from saleshome.salesforce.client import OrgConnection
from saleshome.salesforce.credentials import AuthMethod, Credentials, env_prefix_for
from saleshome.salesforce.login import connect
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.orgs import add_org
from saleshome.sync.engine import sync_org as core_sync_org
from saleshome.warehouse.control import ControlDB, control_db
from tasks.credentials import read_secret_block
from tests.fixtures.app import MemberHome, login_of, post_action, start_app, wait_for
from tests.fixtures.app import connect as connect_member
from tests.fixtures.sandboxes import sandbox_session, use_slack
from tests.fixtures.slack_workspace import make_ready, slack_environment

# The module's own sandboxes, and ``info`` (their org's credentials): tests/fixtures/sandboxes.py.
pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.usefixtures("no_running_event_loop"),
              pytest.mark.sandboxes(seed=31, opportunities=150)]

OBJECTS = "User,Account,Opportunity"
# alias -> (login method, the credential variables it is given)
LOGINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "acme-cc": ("client-credentials", ("CLIENT_ID", "CLIENT_SECRET")),
    "acme-pw": ("password", ("CLIENT_ID", "CLIENT_SECRET", "USERNAME", "PASSWORD", "SECURITY_TOKEN")),
    "acme-rt": ("refresh-token", ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN")),
    "acme-jwt": ("jwt", ("CLIENT_ID", "USERNAME", "PRIVATE_KEY")),
}
WRONG_PASSWORD = "Wr0ngPassw0rd-9f8e7d6c5b4a"
WRONG_SECRET = "F" * 64
PAGE = 200  # the Prefect API's largest page


@pytest.fixture(scope="module")
def other_orgs() -> Iterator[dict[str, SalesforceSandbox]]:
    """The orgs of the sweep's other aliases (``acme-cc`` is ``sandbox``): a Salesforce org is connected once."""
    with contextlib.ExitStack() as stack:
        yield {alias: stack.enter_context(SalesforceSandbox(seed=32 + i, opportunities=60))
               for i, alias in enumerate(["acme-pw", "acme-rt", "acme-jwt", "acme-block"])}


def credential_values(info: SandboxInfo) -> dict[str, str]:
    return {
        "CLIENT_ID": info.client_id, "CLIENT_SECRET": info.client_secret, "USERNAME": info.username,
        "PASSWORD": info.password, "SECURITY_TOKEN": info.security_token, "REFRESH_TOKEN": info.refresh_token,
        "PRIVATE_KEY": Path(info.jwt_key_file).read_text(),
    }


def secrets(orgs: dict[str, SalesforceSandbox], slack: SlackSandbox) -> dict[str, str]:
    """Every secret to look for (of every org in ``orgs``, by alias), by a name safe to print (never the value)."""
    assert slack.info is not None
    found = {"wrong password": WRONG_PASSWORD, "wrong client secret": WRONG_SECRET,
             "slack bot token": slack.info.bot_token}
    for alias, sandbox in orgs.items():
        info = sandbox.info
        assert info is not None
        found.update({
            f"{alias} client id": info.client_id, f"{alias} client secret": info.client_secret,
            f"{alias} password": info.password, f"{alias} security token": info.security_token,
            f"{alias} refresh token": info.refresh_token,
        })
        key_lines = [line for line in Path(info.jwt_key_file).read_text().splitlines() if "-----" not in line]
        found.update({f"{alias} private key line {i}": line for i, line in enumerate(key_lines) if len(line) >= 32})
        tokens = list(sandbox.sessions._sessions)
        found.update({f"access token {i} of {alias}": token for i, token in enumerate(tokens)})
        found.update({f"access token {i} of {alias} (tail)": token.partition("!")[2] for i, token in enumerate(tokens)})
    return found


def leaks(where: str, blob: str | bytes, secret_values: dict[str, str]) -> list[str]:
    """``where: secret name`` for each secret found in ``blob`` (names only: the report must not leak either)."""
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    raw = blob if isinstance(blob, bytes) else blob.encode()
    return [f"{where}: {name}" for name, value in secret_values.items() if value in text or value.encode() in raw]


def duckdb_text(path: Path) -> str:
    """Every value of every table of a DuckDB file, as text."""
    copy = path.with_name(path.name + ".read")
    shutil.copy(path, copy)  # read a copy: the original may still be attached elsewhere in this process
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    try:
        with duckdb.connect(str(copy), read_only=True) as db:
            tables = db.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
            parts = [repr(db.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall()) for schema, name in tables]
    finally:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
    return "\n".join(parts)


def decoded(blob: bytes) -> bytes:
    """Prefect stores results base64-encoded pickles: decode them too, to look inside."""
    try:
        return base64.b64decode(blob, validate=False)
    except (binascii.Error, ValueError):
        return b""


def every_page(read: Callable[..., Any]) -> Iterator[str]:
    """Each item ``read(limit=, offset=)`` returns, page after page, as JSON."""
    for offset in range(0, 1_000_000, PAGE):
        page = read(limit=PAGE, offset=offset)
        yield from (item.model_dump_json() for item in page)
        if len(page) < PAGE:
            return


def prefect_everything() -> dict[str, str]:
    """Every log, artifact, flow run and task run the Prefect test server holds, as JSON text."""
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        readers: dict[str, Callable[..., Any]] = {"logs": client.read_logs, "artifacts": client.read_artifacts, "flow runs": client.read_flow_runs,
                   "task runs": client.read_task_runs}
        return {where: "\n".join(every_page(read)) for where, read in readers.items()}


def cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    script = shutil.which("saleshome", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, f"$ saleshome {' '.join(args)}\n{done.stdout}{done.stderr}"


# ---------------------------------------------------------------------------------------- the sweep
def test_no_secret_in_anything_the_cli_and_the_flows_produce(
    info: SandboxInfo, sandbox: SalesforceSandbox, other_orgs: dict[str, SalesforceSandbox], slack: SlackSandbox,
    prefect_harness: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    home = tmp_path / "home"
    orgs = {"acme-cc": sandbox, **other_orgs}  # alias -> its org
    infos = {alias: org.info for alias, org in orgs.items() if org.info is not None}
    values = credential_values(info)
    env = {**os.environ, "SALESHOME_HOME": str(home), "SALESHOME_LOG_LEVEL": "DEBUG", "COLUMNS": "200",
           **slack_environment(slack)}
    monkeypatch.setenv("SALESHOME_HOME", str(home))
    use_slack(monkeypatch, slack)
    env["SALESHOME_ACTOR"] = make_ready(load_settings(), slack)  # the plan, and a sales admin who adds the orgs
    # Share compiled bytecode between the subprocesses (in a scratch directory), even where
    # PYTHONDONTWRITEBYTECODE is set: each one would otherwise compile every module again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    for alias, (_, keys) in LOGINS.items():
        env.update({f"{env_prefix_for(alias)}_{key}": credential_values(infos[alias])[key] for key in keys})
    env.update({f"BAD_{k}": values[k] for k in ("CLIENT_ID", "CLIENT_SECRET", "USERNAME", "SECURITY_TOKEN")})
    env["BAD_PASSWORD"] = WRONG_PASSWORD

    # 1. the command line, in subprocesses, logging at DEBUG
    outputs: list[str] = []
    for alias, (method, _) in LOGINS.items():
        code, output = cli(env, "org", "add", alias, "--login-url", infos[alias].instance_url, "--auth", method,
                           "--ca-file", infos[alias].ca_file, "--objects", OBJECTS)
        assert code == 0, output
        outputs.append(output)
    code, output = cli(env, "org", "add", "refused", "--login-url", info.instance_url, "--auth", "password",
                       "--env-prefix", "BAD", "--ca-file", info.ca_file)
    assert code == 1 and "refused the password login" in output
    outputs.append(output)
    for args in (("sync",), ("status",), ("org", "list")):
        code, output = cli(env, *args)
        assert code == 0, output
        outputs.append(output)
    assert " DEBUG urllib3" in "\n".join(outputs)  # the HTTP client's debug logging was on

    # 2. flow runs in this process, with a Prefect Secret block too, and a refused login
    for key, value in env.items():
        if key.startswith(("SALESHOME_SF_", "BAD_")):
            monkeypatch.setenv(key, value)
    block_org = infos["acme-block"]
    block: Secret[Any] = Secret(value={k.lower(): credential_values(block_org)[k] for k in LOGINS["acme-pw"][1]})
    block.save("acme-block-salesforce", overwrite=True)
    settings = load_settings()
    add_org(control_db(settings), settings, "acme-block", login_url=block_org.instance_url,
            auth_method=AuthMethod.PASSWORD, credential_ref="prefect-secret:acme-block-salesforce",
            ca_file=block_org.ca_file, objects=tuple(OBJECTS.split(",")), resolvers={"prefect-secret": read_secret_block})
    for logger in ("saleshome", "flows", "tasks", "urllib3", "requests", "simple_salesforce", "prefect.flow_runs",
                   "prefect.task_runs"):
        caplog.set_level("DEBUG", logger=logger)
    for alias in ("acme-block", "acme-jwt"):
        assert finish(sync_org(alias, return_state=True)).is_completed()
    monkeypatch.setenv("SALESHOME_SF_ACME_CC_CLIENT_SECRET", WRONG_SECRET)
    failed = finish(sync_org("acme-cc", return_state=True))
    assert failed.is_failed() and "refused the client-credentials login" in (failed.message or "")

    # 3. search everything
    secret_values = secrets(orgs, slack)
    assert sum(name.startswith("access token") for name in secret_values) >= 2 * 9
    found = leaks("command line output", "\n".join(outputs), secret_values)
    captured = capfd.readouterr()
    found += leaks("test process stdout/stderr", captured.out + captured.err, secret_values)
    found += leaks("python logs", caplog.text, secret_values)
    produced = prefect_everything()
    assert "acme-jwt Opportunity: " in produced["logs"] and "sync-summary-acme-block" in produced["artifacts"]
    assert "refused the client-credentials login" in produced["flow runs"]  # what was searched is not empty
    for where, text in produced.items():
        found += leaks(f"prefect {where}", text, secret_values)
    for path in prefect_harness.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            found += leaks(f"prefect result {path.name}", blob + b"\n" + decoded(blob), secret_values)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files) and home / "control.sqlite" in files
    for path in files:
        found += leaks(f"file {path.relative_to(home)}", path.read_bytes(), secret_values)
        if path.suffix == ".duckdb":
            found += leaks(f"tables of {path.relative_to(home)}", duckdb_text(path), secret_values)
    assert found == [], "secrets leaked:\n" + "\n".join(found)


# ---------------------------------------------------------------------------------------- refused logins
def other_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize(
    ("method", "given"),
    [
        (AuthMethod.CLIENT_CREDENTIALS, {"client_secret": WRONG_SECRET}),
        (AuthMethod.PASSWORD, {"password": WRONG_PASSWORD}),
        (AuthMethod.PASSWORD, {"client_secret": WRONG_SECRET}),
        (AuthMethod.REFRESH_TOKEN, {"refresh_token": "5Aep861" + "x" * 80}),
        (AuthMethod.JWT, {"private_key": other_private_key()}),
        (AuthMethod.JWT, {"private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----"}),
    ],
    ids=["client-credentials", "password", "password-secret", "refresh-token", "jwt-other-key", "jwt-garbage-key"],
)
def test_a_refused_login_says_why_without_a_secret(
    info: SandboxInfo, method: AuthMethod, given: dict[str, str],
) -> None:
    values = {k.lower(): v for k, v in credential_values(info).items()} | given
    conn = OrgConnection("acme", info.instance_url, method, "test:acme", info.ca_file)
    with pytest.raises(SalesHomeError) as refused:
        connect(conn, {"test": lambda _name: values})
    exc = refused.value
    assert "acme" in exc.message
    texts = [str(exc), repr(exc), exc.hint or "", "".join(traceback.format_exception(exc)),
             pickle.dumps(exc).decode("latin-1")]
    secret_values = {f"given {k}": v for k, v in values.items() if k != "username"}
    secret_values |= {f"key line {i}": line for i, line in enumerate(values["private_key"].splitlines())
                      if "-----" not in line and len(line) >= 16}
    found = [hit for text in texts for hit in leaks("exception", text, secret_values)]
    assert found == []


def test_credentials_and_clients_never_show_their_secrets(info: SandboxInfo) -> None:
    values = {k.lower(): v for k, v in credential_values(info).items()}
    creds = Credentials(**values)
    conn = OrgConnection("acme", info.instance_url, AuthMethod.PASSWORD, "test:acme", info.ca_file)
    client = connect(conn, {"test": lambda _name: values})
    assert client.token is not None
    shown = " ".join([repr(creds), str(creds), creds.model_dump_json(), repr(client), repr(client.token)])
    hidden = {k: v for k, v in values.items() if k != "username"} | {"access token": client.token.access_token}
    assert leaks("repr", shown, hidden) == []


# ---------------------------------------------------------------------------------------- the Slack app
def test_no_secret_in_what_the_slack_app_produces(
    info: SandboxInfo, sandbox: SalesforceSandbox, slack: SlackSandbox, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """A member connects Salesforce through the app (served at DEBUG), is refreshed, disconnects; another is refused:
    no token, code, password or key in the app's log, its pages, this process's logs or the control store."""
    assert slack.info is not None
    home = tmp_path / "home"
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SALESHOME_HOME", str(home))
    use_slack(monkeypatch, slack)
    monkeypatch.setenv("SALESHOME_SLACK_SIGNING_SECRET", slack.info.signing_secret)
    monkeypatch.setenv("SALESHOME_SECRET_KEY", key)
    monkeypatch.setenv("SALESHOME_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    make_ready(settings, slack)
    prefix = env_prefix_for("acme")
    monkeypatch.setenv(f"{prefix}_CLIENT_ID", info.client_id)
    monkeypatch.setenv(f"{prefix}_CLIENT_SECRET", info.client_secret)
    add_org(control_db(settings), settings, "acme", login_url=info.instance_url,
            auth_method=AuthMethod.CLIENT_CREDENTIALS, credential_ref=f"env:{prefix}", ca_file=info.ca_file,
            objects=("User", "PermissionSetAssignment"))
    assert core_sync_org(control_db(settings), settings, "acme").status == "completed"
    assert refresh_org_users(control_db(settings), settings, "acme") is not None
    for logger in ("saleshome", "urllib3", "requests", "slack_bolt", "slack_sdk"):
        caplog.set_level("DEBUG", logger=logger)
    control = ControlDB(settings.control_db)
    mapped = control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = 'acme' AND status = 'matched' "
                          "AND sales_home_user ORDER BY slack_user_id")
    assert len(mapped) >= 2
    (user, sf_user), (other, _) = ((r["slack_user_id"], r["sf_user_id"]) for r in mapped[:2])
    member = MemberHome(settings, control, slack.info.signing_secret, key, "")
    found_secrets: dict[str, str] = {"secret key": key, "signing secret": slack.info.signing_secret,
                                     "client secret": info.client_secret, "slack bot token": slack.info.bot_token}
    app = start_app(tmp_path, {"PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")})
    pages: list[str] = []
    try:
        page = connect_member(app, member, slack, sandbox, user, login_of(sandbox, sf_user), "Ev0LEAK000001")
        assert page.status_code == 200, page.text
        pages.append(page.text)
        found_secrets["authorization code"] = parse_qs(urlsplit(page.url).query)["code"][0]
        cipher = TokenCipher([key])
        row = control.rows("SELECT refresh_token, access_token FROM member_connections WHERE slack_user_id = ?", [user])[0]
        found_secrets["member refresh token"] = cipher.decrypt(row["refresh_token"])
        found_secrets["member access token"] = cipher.decrypt(row["access_token"])
        found_secrets["member password"] = login_of(sandbox, sf_user)["password"]
        refused = connect_member(app, member, slack, sandbox, other, login_of(sandbox, sf_user), "Ev0LEAK000002")
        assert refused.status_code == 403
        pages.append(refused.text)
        found_secrets["refused code"] = parse_qs(urlsplit(refused.url).query)["code"][0]
        sandbox_session(info.ca_file).post(f"{info.instance_url}/services/oauth2/revoke",
                                           data={"token": found_secrets["member access token"]}, timeout=30)
        earlier = [r for r in caplog.records if r.name.startswith(("saleshome", "slack_"))]
        caplog.clear()  # what this process logged as the test's browser (urls with codes) is not Sales Home's
        session = Connections(control, cipher).session(user, "acme")  # refreshed here, logging at DEBUG
        assert session.ui_api().object_info("Account").api_name
        refresh_log = caplog.text
        assert "POST /services/oauth2/token" in refresh_log  # what was searched is not empty
        row = control.rows("SELECT access_token FROM member_connections WHERE slack_user_id = ?", [user])[0]
        found_secrets["refreshed access token"] = cipher.decrypt(row["access_token"])
        assert post_action(app, user, "disconnect_salesforce:acme", "acme", slack.info.signing_secret).status_code == 200
        wait_for(lambda: not control.rows("SELECT 1 FROM member_connections WHERE slack_user_id = ?", [user]),
                 "the disconnection", app=app)
    finally:
        app.stop()
    assert " DEBUG " in app.output() or "DEBUG:" in app.output()  # the app's debug logging was on
    found = leaks("the app's log", app.output(), found_secrets)
    found += leaks("the callback pages", "\n".join(pages), found_secrets)
    found += leaks("python logs of a refresh", refresh_log, found_secrets)
    found += leaks("python logs of Sales Home", "\n".join(r.getMessage() for r in [*earlier, *caplog.records]
                                                            if r.name.startswith(("saleshome", "slack_"))), found_secrets)
    for path in sorted(home.glob("control.sqlite*")):
        found += leaks(f"file {path.name}", path.read_bytes(), found_secrets)
    assert found == [], "secrets leaked:\n" + "\n".join(found)
