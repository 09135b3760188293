"""Every committed change is evaluated exactly once, whatever happened to the run that committed it.

Each test prepares an org (the example settings, an initial silent sync, users mapped), lets the
org change, then copies the whole Sales Home home aside: one uninterrupted ``run_org`` in the
copy gives the reference — the outbox and digest keys one run over those changes produces.  The
same changes then reach the real home the hard way (a sync that fails half-way, or processes
SIGKILLed anywhere in sync → evaluate → enqueue), followed by clean runs: the keys must be
exactly the reference's, none missing, none doubled.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.config import Settings, load_settings
from saleshome.pipeline import run_org
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.control import ControlStores
from tests.fixtures.sandboxes import sandbox_control
from tests.fixtures.workspace import ALIAS, People

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"
KILLS = 20

Keys = tuple[set[str], set[str]]


def _keys(settings: Settings) -> Keys:
    """(outbox keys, digest item keys) of a home."""
    control = ControlDB(settings.control_db, timeout=settings.lock_timeout_seconds)
    outbox = {r["key"] for r in control.rows("SELECT key FROM outbox")}
    digest = {r["key"] for r in control.rows("SELECT key FROM digest_items")}
    return outbox, digest


def _wins_logged(settings: Settings) -> set[str]:
    """Opportunities whose change log shows a win after the initial sync."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        rows = wh.conn.execute("SELECT DISTINCT record_id FROM change_log WHERE object = 'Opportunity' AND NOT initial "
                               "AND field = 'IsWon' AND new_value = 'true'").fetchall()
    return {r[0] for r in rows}


def _clear_faults(sandbox: SalesforceSandbox) -> None:
    assert sandbox.info is not None
    session = requests.Session()
    session.trust_env = False
    answer = session.delete(f"{sandbox.info.instance_url}/_sandbox/faults", verify=sandbox.info.ca_file, timeout=30)
    assert answer.status_code in (200, 204), answer.text


@pytest.fixture()
def changed(ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, tmp_path: Path,
            control_stores: ControlStores) -> Iterator[tuple[Settings, Keys]]:
    """The org synced once (silent), then changed; yields (settings, the keys one uninterrupted run queues)."""
    import_yaml(ready, people.sales_admin, EXAMPLE.read_text().replace("  demo-org:", f"  {ALIAS}:"))
    settings = ready.settings
    initial = run_org(control_db(settings), settings, ALIAS)
    assert initial.notifications is not None and initial.notifications.silent
    sandbox_control(sf_sandbox, "simulate", {"changes": 300, "seed": 1207})
    sandbox_control(sf_sandbox, "clock", {"advance_seconds": 20 * 60})
    reference = tmp_path / "reference-home"
    shutil.copytree(settings.home, reference)
    with pytest.MonkeyPatch.context() as patch, contextlib.ExitStack() as stack:
        patch.setenv("SALESHOME_HOME", str(reference))
        if control_stores.backend == "postgresql":  # the home's state is in its database, not in its directory
            patch.setenv("SALESHOME_DATABASE_URL", stack.enter_context(control_stores.copy(settings.control_db)))
        reference_settings = load_settings()
        uninterrupted = run_org(control_db(reference_settings), reference_settings, ALIAS)
        assert uninterrupted.sync.status == "completed"
        assert uninterrupted.celebrations is not None and uninterrupted.celebrations.celebrated > 0
        assert uninterrupted.notifications is not None and uninterrupted.notifications.messages > 0
        keys = _keys(load_settings())
    yield settings, keys


def test_the_changes_of_a_failed_sync_are_evaluated_by_the_next_run(
    changed: tuple[Settings, Keys], sf_sandbox: SalesforceSandbox,
) -> None:
    settings, reference = changed
    # Salesforce answers 500 to the describe of Lead, the 6th object: User to Opportunity are committed first.
    sandbox_control(sf_sandbox, "faults", {"kind": "status", "status": 500, "path": "/sobjects/Lead/describe",
                                           "times": 0})
    try:
        failed = CliRunner().invoke(app, ["sync", "--org", ALIAS])
    finally:
        _clear_faults(sf_sandbox)
    assert failed.exit_code == 75, failed.output
    assert _wins_logged(settings), "the failed run committed no win: the test needs some"
    assert _keys(settings) == (set(), set())  # nothing is evaluated after a failed run...

    again = CliRunner().invoke(app, ["sync", "--org", ALIAS])  # ...the next one evaluates both runs' changes
    assert again.exit_code == 0, again.output
    assert "no new deal won" not in again.output
    assert _keys(settings) == reference
    assert CliRunner().invoke(app, ["sync", "--org", ALIAS]).exit_code == 0
    assert _keys(settings) == reference  # and never again


CHILD = """
import sys, threading
from saleshome.config import load_settings
from saleshome.pipeline import after_sync
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db

lock = threading.Lock()

def gate(event):
    # tell the parent where we are, then wait for its go (it may SIGKILL us here instead)
    with lock:
        print(event, flush=True)
        sys.stdin.readline()

def windows(obj, done, total):
    if done:
        gate("window " + obj)  # right after the window's transaction committed

settings = load_settings()
control = control_db(settings)
gate("start")
result = sync_org(control, settings, sys.argv[1], progress=windows)
gate("synced")  # the run is closed; nothing of it evaluated yet
for line in after_sync(control, settings, result).lines():
    print("step " + line, flush=True)
print("done", flush=True)
"""


class Child:
    """One ``sync → evaluate → enqueue`` process (the steps of ``saleshome sync``), held at the events it reports."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, ALIAS], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))

    def run_to(self, wanted: str, skip: int = 0, *, at_latest: str | None = None) -> str | None:
        """Let it run to the ``skip``+1-th event starting with ``wanted`` (or to ``at_latest``, if that comes first),
        where it waits; returns that event, None when it ended first.

        Bounded: the child reports an event within its run, or exits (EOF)."""
        assert self.proc.stdout is not None and self.proc.stdin is not None
        while True:
            event = self.proc.stdout.readline().strip()
            if not event or event == "done":
                return None
            if event.startswith("step "):
                continue
            if event == at_latest:
                return event
            if event.startswith(wanted):
                if skip == 0:
                    return event
                skip -= 1
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()

    def kill(self, after: float = 0.0) -> None:
        """SIGKILL it where it waits, or ``after`` seconds after letting it go on from there."""
        assert self.proc.stdin is not None
        if after:
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=after)
        self.proc.kill()
        self.proc.communicate(timeout=60)

    def finish(self) -> None:
        while self.run_to("(no such event)"):
            pass
        _, err = self.proc.communicate(timeout=300)
        assert self.proc.returncode == 0, err


def test_sigkill_anywhere_in_sync_evaluate_enqueue_then_a_clean_run_equals_one_uninterrupted_run(
    changed: tuple[Settings, Keys],
) -> None:
    settings, reference = changed
    rng = random.Random(20261207)
    control = ControlDB(settings.control_db, timeout=settings.lock_timeout_seconds)

    def watermarks() -> dict[str, int]:
        return {r["step"]: r["position"] for r in control.rows("SELECT step, position FROM evaluation_watermarks "
                                                                "WHERE alias = ?", [ALIAS])}

    silent = watermarks()  # past the initial sync's changes, which were passed over
    assert set(silent) == {"notifications", "celebrations"}

    # 1. Killed inside the sync: right after one of its windows committed, or a moment later (at the latest when
    #    its sync is over: a run whose windows are all behind it has fewer to report).
    for attempt in range(8):
        child = Child()
        # the first stops right after an Opportunity window committed (its wins are then committed by construction)
        wanted, skip = ("window Opportunity", 0) if attempt == 0 else ("window ", rng.randint(0, 5))
        at = child.run_to(wanted, skip=skip, at_latest="synced")
        assert at is not None
        child.kill(after=0.0 if at == "synced" else rng.choice([0.0, rng.uniform(0.0, 0.3)]))
    assert _wins_logged(settings), "no kill left committed wins behind"
    # 2. Killed right after the sync closed its run: what it and the killed runs committed is not evaluated yet.
    for _ in range(4):
        child = Child()
        assert child.run_to("synced")
        child.kill()
    assert watermarks() == silent and _keys(settings) == (set(), set())
    # 3. Killed at a random moment of the user map, the evaluation, the celebrations or the commits of what they
    #    queue (some land after a step committed: later runs must not evaluate those changes again).
    for _ in range(KILLS - 12):
        child = Child()
        assert child.run_to("synced")
        child.kill(after=rng.uniform(0.0, 1.5))
    # 4. One clean run: the same messages as one uninterrupted run over the same changes.
    Child().finish()
    assert _keys(settings) == reference
    assert all(watermarks()[step] > position for step, position in silent.items())
