"""Won deals among the changes not evaluated yet: a single set-based DuckDB query over the org's change log.

The changes are a range of commit positions (:class:`saleshome.warehouse.watermarks.ChangeRange`):
everything committed since the last celebration pass, whichever run committed it.

**What counts as a win.** An opportunity *enters* the won stage: with no won stage chosen in the
settings, ``IsWon`` goes from false to true (any stage whose ``IsWon`` is true); with a chosen
stage (e.g. a custom "Contract Signed"), ``StageName`` becomes that stage.  The change log
shows it in two ways, both used:

- the ``Opportunity`` change: ``IsWon`` (or ``StageName``) changed to the won value, or the
  record is new to us and already won (created won, or created and won between two syncs);
- a new ``OpportunityHistory`` row that enters the won stage (the row before it, for that
  opportunity, was not won).  This catches a deal re-opened and won again between two syncs,
  which leaves the opportunity itself looking unchanged.

Only the transition counts: edits of a deal that is already won do neither, and changes logged by
an initial sync or a silent backfill (``change_log.initial``) never count.  The opportunity must
still be won and not deleted, and its owner must be a Sales member (the Sales Home permission set,
see ``saleshome.settings.members``).  One row per opportunity, with what the message shows: the
account's and owner's names, the currency (``CurrencyIsoCode``, else the org's default) and the
stage's label: the picklist's label as describe gave it (``columns.picklist``, when the org
database keeps it), else ``OpportunityStage.MasterLabel`` (when the org's stages are synced).

**Signature time** (``signed_at``): the ``CreatedDate`` of the ``OpportunityHistory`` row that
recorded the entry into the won stage — the latest such row at or before the change's
``SystemModstamp`` (or the latest one synced in the range).  Not the ``SystemModstamp``: it moves
with every later edit of the record (an amount fixed after the win, automation), so a deal won
and then edited between two syncs would carry the edit's time.  Without a history row
(``OpportunityHistory`` not synced) the change's ``SystemModstamp`` is used.

**Windows.** A celebration lives for :data:`CELEBRATION_WINDOW` (72 hours) after the signature:
a win detected later (an initial sync, a backfill, a long outage) comes back with
``in_window = false`` and produces nothing.  A deal re-opened and won again is celebrated again
only when its previous entry into the won stage (from the history) is more than
:data:`REWIN_GAP` (3 days) older (``rewon_too_soon``); ``celebrate`` also refuses a second
celebration of one opportunity within 3 days of one it already made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from saleshome.settings.members import SALES_HOME_PERMISSION_SET, eligible_users_sql
from saleshome.warehouse.catalog import table_columns
from saleshome.warehouse.watermarks import ChangeRange

CELEBRATION_WINDOW = timedelta(hours=72)
REWIN_GAP = timedelta(days=3)


def _has_picklist_labels(db: duckdb.DuckDBPyConnection) -> bool:
    """Whether the org database keeps describe's picklist labels (``columns.picklist``: [{value, label}])."""
    return "picklist" in table_columns(db, "columns", schema="main")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def won_sql(alias: str, stage: str | None) -> str:
    """SQL true when the opportunity ``alias`` counts as won (the SQL twin of
    :func:`saleshome.settings.celebrations.is_won`): ``IsWon`` with no won stage chosen, else its
    ``StageName`` is the chosen stage.  ``stage``: the chosen stage as SQL (a quoted literal or a
    parameter marker), None when none is chosen.  Shared with the "deal closed" notifications.
    """
    return f'{alias}."IsWon" IS true' if stage is None else f'{alias}."StageName" = {stage}'


def won_entry(won_stage: str | None) -> tuple[str, str]:
    """(field, new value) of the change-log row that shows an opportunity entering the won stage."""
    return ("IsWon", "true") if won_stage is None else ("StageName", won_stage)


def detection_sql(
    db: duckdb.DuckDBPyConnection, changes: ChangeRange, *, won_stage: str | None, default_currency: str,
    now: datetime, permission_set: str = SALES_HOME_PERMISSION_SET,
) -> str:
    """The query over ``changes`` (parameter ``$now``) for the columns this org database has."""
    opp = table_columns(db, "Opportunity")
    history = table_columns(db, "OpportunityHistory")
    has_history = {"Id", "OpportunityId", "StageName", "CreatedDate"} <= history
    org_currency = (
        f"coalesce((SELECT any_value(\"DefaultCurrencyIsoCode\") FROM sf.\"Organization\"), "
        f"{_literal(default_currency)})"
        if "DefaultCurrencyIsoCode" in table_columns(db, "Organization") else _literal(default_currency)
    )
    currency = f'coalesce(o."CurrencyIsoCode", {org_currency})' if "CurrencyIsoCode" in opp else org_currency
    field, entry = won_entry(won_stage)
    entered, won_now = _literal(entry), won_sql("o", None if won_stage is None else _literal(won_stage))
    if won_stage is None:
        stage_sources = ['SELECT DISTINCT "StageName" FROM sf."Opportunity" WHERE "IsWon" IS true']
        if {"ApiName", "IsWon"} <= table_columns(db, "OpportunityStage"):
            stage_sources.append('SELECT "ApiName" FROM sf."OpportunityStage" WHERE "IsWon" IS true')
        won_stages = " UNION ".join(stage_sources)
    else:
        won_stages = f"SELECT {_literal(won_stage)}"
    not_deleted = 'NOT coalesce(o."IsDeleted", false)' if "IsDeleted" in opp else "true"
    opp_changes = f"""
    opp_changes AS (
        SELECT record_id AS opp, max(system_modstamp) AS changed_at
        FROM change_log
        WHERE {changes.where()} AND object = 'Opportunity' AND NOT initial AND (
            operation = 'insert'
            OR (operation = 'update' AND field = '{field}' AND new_value = {entered}
                AND old_value IS DISTINCT FROM new_value))
        GROUP BY record_id
    ),"""
    if has_history:
        h_deleted = 'AND NOT coalesce(h."IsDeleted", false)' if "IsDeleted" in history else ""
        history_ctes = f"""
    run_history AS (
        SELECT DISTINCT record_id AS id FROM change_log
        WHERE {changes.where()} AND object = 'OpportunityHistory' AND NOT initial
            AND operation IN ('insert', 'update')
    ),
    candidates AS (
        SELECT opp, max(changed_at) AS changed_at FROM (
            SELECT opp, changed_at FROM opp_changes
            UNION ALL
            SELECT h."OpportunityId", NULL FROM run_history r JOIN sf."OpportunityHistory" h ON h."Id" = r.id
            WHERE h."StageName" IN (SELECT * FROM won_stages)
        ) GROUP BY opp
    ),
    won AS (
        SELECT o.*, {currency} AS _currency, coalesce(c.changed_at, o."SystemModstamp") AS _changed_at,
               c.changed_at IS NOT NULL AS _by_opportunity
        FROM candidates c JOIN sf."Opportunity" o ON o."Id" = c.opp
        WHERE {won_now} AND {not_deleted}
    ),
    history AS (
        SELECT h."OpportunityId" AS opp, h."CreatedDate" AS entered_at, h."Id" IN (SELECT id FROM run_history) AS in_run,
               h."StageName" IN (SELECT * FROM won_stages) AS is_won,
               lag(h."StageName" IN (SELECT * FROM won_stages))
                   OVER (PARTITION BY h."OpportunityId" ORDER BY h."CreatedDate", h."Id") AS was_won
        FROM sf."OpportunityHistory" h
        WHERE h."OpportunityId" IN (SELECT "Id" FROM won) {h_deleted}
    ),
    entries AS (
        SELECT opp, entered_at, in_run, lag(entered_at) OVER (PARTITION BY opp ORDER BY entered_at) AS previous_at
        FROM history WHERE is_won AND NOT coalesce(was_won, false)
    ),
    run_entries AS (
        -- the latest entry synced in the range; the win before it is the one before the range's first entry
        SELECT opp, max(entered_at) AS entered_at, arg_min(previous_at, entered_at) AS previous_at
        FROM entries WHERE in_run GROUP BY opp
    ),
    wins AS (
        SELECT w.*,
               CASE WHEN r.entered_at >= coalesce(e.entered_at, r.entered_at) THEN r.entered_at
                    ELSE e.entered_at END AS _entry_at,
               CASE WHEN r.entered_at >= coalesce(e.entered_at, r.entered_at) THEN r.previous_at
                    ELSE e.previous_at END AS _previous_at
        FROM won w
        ASOF LEFT JOIN entries e ON w."Id" = e.opp AND w._changed_at >= e.entered_at
        LEFT JOIN run_entries r ON r.opp = w."Id"
        WHERE w._by_opportunity OR r.entered_at IS NOT NULL
    )"""
    else:
        history_ctes = f"""
    wins AS (
        SELECT o.*, {currency} AS _currency, c.changed_at AS _changed_at,
               NULL::TIMESTAMPTZ AS _entry_at, NULL::TIMESTAMPTZ AS _previous_at
        FROM opp_changes c JOIN sf."Opportunity" o ON o."Id" = c.opp
        WHERE {won_now} AND {not_deleted}
    )"""
    account = (
        '(SELECT a."Name" FROM sf."Account" a WHERE a."Id" = w."AccountId")'
        if "AccountId" in opp and "Name" in table_columns(db, "Account") else "NULL::VARCHAR"
    )
    owner_name = ('(SELECT u."Name" FROM sf."User" u WHERE u."Id" = w."OwnerId")'
                  if "Name" in table_columns(db, "User") else "NULL::VARCHAR")
    labels = []  # the stage as Salesforce shows it: the picklist's label (describe), else the stage's master label
    if _has_picklist_labels(db):
        labels.append(
            "(SELECT any_value(p.label) FROM (SELECT unnest(from_json(c.picklist, "
            "'[{\"value\": \"VARCHAR\", \"label\": \"VARCHAR\"}]'), recursive := true) FROM columns c "
            "WHERE c.object = 'Opportunity' AND c.name = 'StageName') p WHERE p.value = w.\"StageName\")")
    if {"ApiName", "MasterLabel"} <= table_columns(db, "OpportunityStage"):
        labels.append('(SELECT any_value(s."MasterLabel") FROM sf."OpportunityStage" s WHERE s."ApiName" = w."StageName")')
    stage_label = f"coalesce({', '.join(labels)})" if labels else "NULL::VARCHAR"
    close_date = 'w."CloseDate"' if "CloseDate" in opp else "NULL::DATE"
    amount = 'CAST(w."Amount" AS DOUBLE)' if "Amount" in opp else "NULL::DOUBLE"
    members = eligible_users_sql(db, permission_set, now)
    signed = "coalesce(w._entry_at, w._changed_at)"
    window, gap = int(CELEBRATION_WINDOW.total_seconds()), int(REWIN_GAP.total_seconds())
    return f"""
    WITH won_stages AS ({won_stages}),{opp_changes}{history_ctes}
    SELECT
        w."Id" AS opportunity_id, w."Name" AS name, w."StageName" AS stage, {stage_label} AS stage_label,
        {amount} AS amount,
        w._currency AS currency, {close_date} AS close_date, w."OwnerId" AS owner_id,
        {owner_name} AS owner_name, {account} AS account_name,
        {signed} AS signed_at, w._previous_at AS previous_win_at, w._entry_at IS NOT NULL AS from_history,
        {signed} + INTERVAL {window} SECOND > $now AS in_window,
        coalesce(w._previous_at > {signed} - INTERVAL {gap} SECOND, false) AS rewon_too_soon,
        w."OwnerId" IN ({members}) AS is_member
    FROM wins w
    ORDER BY signed_at, opportunity_id
    """


def detect_wins(
    db: duckdb.DuckDBPyConnection, changes: ChangeRange, *, won_stage: str | None, now: datetime,
    default_currency: str = "USD", permission_set: str = SALES_HOME_PERMISSION_SET,
) -> list[dict[str, Any]]:
    """Every win among ``changes`` (one row per opportunity), with why it may not be celebrated.

    Rows carry ``in_window``, ``rewon_too_soon`` and ``is_member``; the caller celebrates those
    where all three allow it.  Nothing here iterates over the change log in Python.
    """
    if changes.empty or not table_columns(db, "Opportunity"):
        return []
    sql = detection_sql(db, changes, won_stage=won_stage, default_currency=default_currency, now=now,
                        permission_set=permission_set)
    cur = db.execute(sql, {"now": now})
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
