"""Deal celebration settings, as the celebrate step reads them.

``load_celebrations(control, workspace)``: on/off, the message template, the channels where
celebrations are shared.  ``won_stage(control, alias)``: the stage that counts as won in an
org (None: any stage whose ``IsWon`` is true).  ``is_won`` decides for one opportunity;
``render_message`` fills the template (see ``templates.py``: nothing is ever evaluated).
"""

from __future__ import annotations

from collections.abc import Mapping

from saleshome.warehouse.control import ControlDB

from .model import CelebrationSettings
from .store import celebrations_in, org_settings_in
from .templates import render_template


def load_celebrations(control: ControlDB, workspace: str) -> CelebrationSettings:
    with control.transaction() as db:
        return celebrations_in(db, workspace)


def won_stage(control: ControlDB, alias: str) -> str | None:
    with control.transaction() as db:
        return org_settings_in(db, alias).won_stage


def is_won(stage: str | None, stage_is_won: bool, chosen: str | None) -> bool:
    """Whether an opportunity in ``stage`` (whose ``IsWon`` is ``stage_is_won``) counts as won."""
    return stage_is_won if chosen is None else stage == chosen


def render_message(settings: CelebrationSettings, values: Mapping[str, str]) -> str:
    """The celebration text for one deal (escape ``values`` for Slack before calling)."""
    return render_template(settings.message, values)
