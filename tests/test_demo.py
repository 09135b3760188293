"""``make demo`` end to end (``saleshome demo`` in a scratch directory): what it prints, and the
static copy of the Slack viewer it writes with the messages it delivered."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_demo_runs_end_to_end_and_leaves_a_static_viewer(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SALESHOME_HOME", None)
    demo = subprocess.run([sys.executable, "-c", "from saleshome.cli import main; main()", "demo"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=280, check=False)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    out = demo.stdout
    assert "Initial sync" in out and out.count("Incremental sync") == 3
    assert "What the demo did" in out and "Demo done" in out
    summary = {m[1].strip(): int(m[2]) for m in re.finditer(r"│ ([a-z ]+?)\s+│ (\d+)\s+│", out)}
    assert summary["initial sync runs"] == 1 and summary["incremental sync runs"] == 3
    for delivered in ("notifications", "digests", "celebration messages", "profile banners"):
        assert summary.get(delivered, 0) >= 1, f"no {delivered} delivered: {summary}"
    snapshot = re.search(r"A static copy of the viewer, to open without the sandbox: (\S+)", out)
    assert snapshot, out[-2000:]
    index = Path(snapshot[1])
    assert index == (tmp_path / ".demo" / "slack-viewer" / "index.html").resolve() and index.is_file()
    pages = "".join(p.read_text() for p in (index.parent / "channels").glob("*.html"))
    assert "won" in pages.lower() and "saleshome_message" in pages  # celebration and notification messages
    profiles = "".join(p.read_text() for p in (index.parent / "users").glob("*.html"))
    assert 'class="status-emoji"' in profiles, "no banner on any profile page"
