"""`saleshome sandbox salesforce | simulate | slack`: the local Salesforce and Slack sandboxes in the foreground.

The commands live with the sandboxes (``saleshome/sandbox/*/cli.py``); this module gathers them under one
group.  Besides the demo (:mod:`saleshome.cli.demo`), it is the only module of the package that imports the
sandboxes (tests/test_import_contracts.py).
"""

from __future__ import annotations

from saleshome.sandbox.salesforce.cli import sandbox_app as app
from saleshome.sandbox.slack.cli import slack

__all__ = ["app"]

app.command("slack")(slack)
