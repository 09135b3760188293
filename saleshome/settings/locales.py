"""Who reads which language: the locale a Slack message is written in.

The rule (issue 16.2), in one place:

- a **direct message** reads its recipient's Slack locale (``user_map.locale``, read with
  ``users.info include_locale`` when the user map is refreshed), else the workspace's default;
- a **channel** reads the workspace's default (``workspaces.default_locale``, set by a sales admin
  with ``saleshome workspace locale fr-FR`` or ``locale:`` in the settings YAML; null: ``en-US``).

Locales are BCP 47 tags as Slack gives them (``fr-FR``, ``en-GB``); one Babel cannot read (a
Slack locale with no CLDR data) counts as none.  The catalog is then chosen by language and the
formats by the whole tag (:mod:`saleshome.i18n`).  Nothing here talks to Slack or Prefect: each
function is one short read of the control database, so a renderer calls :func:`channel_locale`
once and :func:`member_locales` once per org and run, then picks per recipient.
"""

from __future__ import annotations

from saleshome.errors import ValidationError
from saleshome.i18n.catalog import DEFAULT_LOCALE, known_locale
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.control_tables import LINKED


def check_locale(value: str) -> str:
    """A locale a sales admin typed, as a tag; a :class:`ValidationError` naming it when Babel does not know it."""
    tag = known_locale(value)
    if tag is None:
        raise ValidationError(f"unknown locale {value!r}",
                              hint="give a language tag such as en-US, en-GB or fr-FR (messages exist in English "
                                   "and French; other locales read English with their own number and date formats)")
    return tag


def reader_locale(member_locale: str | None, default: str) -> str:
    """The rule for one DM recipient: their Slack locale when readable, else ``default`` (the channels' locale)."""
    return known_locale(member_locale) or default


def channel_locale(control: ControlDB, workspace: str) -> str:
    """The locale of messages posted in the workspace's channels (``en-US`` unless a sales admin changed it)."""
    with control.transaction() as db:
        return locale_in(db, workspace)


def locale_in(db: Tx, workspace: str) -> str:
    """:func:`channel_locale` inside the caller's transaction."""
    row = db.execute("SELECT default_locale FROM workspaces WHERE workspace = ?", [workspace]).fetchone()
    return known_locale(row[0] if row else None) or DEFAULT_LOCALE


def member_locales(control: ControlDB, alias: str) -> dict[str, str]:
    """The locale of a DM to each matched member of org ``alias``, by Salesforce user id.

    Their Slack locale, else the default of the workspace the org is connected to; members with
    no Slack match are left out (they receive no DM).  ``locales.get(owner_id, channel)`` for
    anyone else.
    """
    rows = control.rows(
        "SELECT m.sf_user_id, m.locale, w.default_locale FROM user_map m LEFT JOIN orgs o ON o.alias = m.alias "
        f"LEFT JOIN workspaces w ON w.workspace = o.workspace WHERE m.alias = ? AND m.{LINKED}", [alias])
    return {r["sf_user_id"]: reader_locale(r["locale"], known_locale(r["default_locale"]) or DEFAULT_LOCALE)
            for r in rows}


def locale_counts(control: ControlDB, alias: str | None = None) -> dict[str | None, int]:
    """Linked members (matched or approved) per Slack locale (None: not known yet), most common first (``saleshome status``)."""
    where = LINKED + (" AND alias = ?" if alias else "")
    rows = control.rows(f"SELECT locale, count(*) AS n FROM user_map WHERE {where} GROUP BY locale "
                        "ORDER BY n DESC, locale NULLS LAST", [alias] if alias else [])
    return {r["locale"]: int(r["n"]) for r in rows}


__all__ = ["channel_locale", "check_locale", "locale_counts", "locale_in", "member_locales", "reader_locale"]
