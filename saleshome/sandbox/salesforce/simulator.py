"""Realistic activity on the sandbox org over simulated time, applied through :class:`OrgStore`.

:func:`simulate` makes N changes the way a sales team does (stage moves, wins and losses,
amount and close-date edits, owner reassignments, new records, case work, deletes and
undeletes, the odd purge), advancing the org's clock a little between changes.  Revoking a
user's Sales Home permission set (``revoke_assignment``: a PermissionSetAssignment hard
delete) is available through ``kinds`` but not in the default mix.  Some changes
share one millisecond; with ``late_commits`` some become visible with a SystemModstamp older
(by a second to a few minutes, never 10) than changes already visible: the cursor-boundary
trap.  Every change of a run is stamped between the run's start and end.  The returned
:class:`SimulationReport` says exactly what was done, for tests downstream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np

from saleshome.sandbox.people import FIRST_NAMES, LAST_NAMES, draw_names, email_local, region_of_time_zone
from saleshome.sandbox.salesforce.schema import PICKLISTS, STAGES
from saleshome.sandbox.salesforce.seed import (
    CASE_SUBJECTS,
    CONTACT_ROLES,
    DEAL_KINDS,
    INTEGRATION_USERNAME,
    NEXT_STEPS,
    PRODUCTS,
    SALES_HOME_PERMISSION_SET,
    company_names,
)
from saleshome.sandbox.salesforce.store import OrgStore

# (kind, relative weight): what a sales org does in a day, roughly.
KINDS: tuple[tuple[str, float], ...] = (
    ("stage_forward", 16),
    ("stage_backward", 4),
    ("won", 5),
    ("contract_signed", 2),
    ("lost", 5),
    ("amount_change", 9),
    ("close_date_push", 6),
    ("close_date_pull", 3),
    ("owner_change", 5),
    ("new_account", 3),
    ("new_contact", 5),
    ("new_opportunity", 6),
    ("new_lead", 6),
    ("new_case", 5),
    ("case_status", 7),
    ("delete", 4),
    ("undelete", 2),
    ("purge", 0.6),
    # Not in the default mix (weight 0 keeps every seed's default run as it was): ask for it in ``kinds``.
    ("revoke_assignment", 0),
)
SAME_MILLISECOND_SHARE = 0.12  # changes that reuse the previous change's timestamp
LATE_COMMIT_SHARE = 0.1  # with late_commits: changes stamped earlier than what is already visible
MAX_LATE = timedelta(minutes=10)
SAMPLE = 3000  # records of each object the simulator keeps at hand

_OPEN_STAGES = tuple(s["ApiName"] for s in STAGES if not s["IsClosed"] and s["ApiName"] != "Contract Signed")
_DELETABLE = (("Opportunity", 0.4), ("Contact", 0.2), ("Lead", 0.25), ("Case", 0.15))
_OWNED = (("Opportunity", 0.6), ("Account", 0.2), ("Lead", 0.1), ("Case", 0.1))


@dataclass(frozen=True)
class Change:
    """One change: its kind, the record, the SystemModstamp it was given, whether it committed late."""

    kind: str
    object: str
    record_id: str
    at: datetime
    late: bool = False
    visible_max: datetime | None = None  # for a late commit: the newest SystemModstamp visible before it


@dataclass(frozen=True)
class SimulationReport:
    """What :func:`simulate` did."""

    seed: int
    started: datetime  # the org's time when the run started
    ended: datetime  # the org's time when it ended (every change has at <= ended)
    counts: dict[str, int]  # changes per kind (every kind listed, zero included)
    touched: dict[str, tuple[str, ...]]  # ids per object, in order of first change
    late_committed: dict[str, tuple[str, ...]]  # ids per object changed by a late commit
    late_committed_ids: tuple[str, ...]  # the same ids, all objects together
    won_opportunity_ids: tuple[str, ...]  # moved to Closed Won
    contract_signed_ids: tuple[str, ...]  # moved to the custom won-like stage "Contract Signed"
    same_millisecond: int  # changes stamped with the same millisecond as the change before them
    changes: tuple[Change, ...]


@dataclass
class _Record:
    """A record the simulator knows, with the fields it needs (local, mutable state of one run)."""

    id: str
    modstamp: datetime
    fields: dict[str, Any]


Accept = Callable[[_Record], bool]


@dataclass
class _Pool:
    """Records of one object: random picks and O(1) removal."""

    records: list[_Record] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, record: _Record) -> None:
        self.index[record.id] = len(self.records)
        self.records.append(record)

    def remove(self, record_id: str) -> _Record | None:
        position = self.index.pop(record_id, None)
        if position is None:
            return None
        record = self.records[position]
        last = self.records.pop()
        if last.id != record_id:
            self.records[position] = last
            self.index[last.id] = position
        return record

    def pick(self, rng: np.random.Generator, accept: Accept | None = None, tries: int = 40) -> _Record | None:
        for _ in range(tries if self.records else 0):
            record = self.records[int(rng.integers(len(self.records)))]
            if accept is None or accept(record):
                return record
        return None


_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "Opportunity": '"StageName", "Amount", "CloseDate", "OwnerId", "AccountId", "CurrencyIsoCode"',
        "Account": '"OwnerId", "Name", "CurrencyIsoCode"',
        "Contact": '"AccountId", "OwnerId"',
        "Lead": '"Status", "OwnerId"',
        "Case": '"Status", "OwnerId", "AccountId"',
    }
)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Simulation:
    """One run: the org as the simulator sees it, the clock, and what was done so far."""

    def __init__(self, store: OrgStore, seed: int, late_commits: bool, step_ms: int) -> None:
        self.store = store
        self.rng = np.random.default_rng([seed, 0x51A])
        self.seed = seed
        self.late_commits = late_commits
        self.step_ms = step_ms
        self.pools = {name: self._sample(name) for name in _COLUMNS}
        self.deleted = self._deleted()
        self.users, self.regions = self._users()
        self.started = store.clock.now()
        self.elapsed = timedelta(0)
        self.visible_max = self._visible_max()
        self.last_at: datetime | None = None
        self.last_late = False
        self.deleted_records: dict[str, _Record] = {}
        self.assignments: list[str] | None = None  # Sales Home assignments, read at the first revoke
        self.changes: list[Change] = []
        self.ties = 0

    # ------------------------------------------------------------------ reading the org
    def _sample(self, obj: str) -> _Pool:
        rows = self.store.read(
            f'SELECT "Id", "SystemModstamp", {_COLUMNS[obj]} FROM "{obj}" WHERE NOT "IsDeleted" '
            f'ORDER BY hash("Id" || ?), "Id" LIMIT {SAMPLE}',
            [str(self.seed)],
        ).to_pylist()
        pool = _Pool()
        for row in rows:
            pool.add(_Record(row.pop("Id"), _aware(row.pop("SystemModstamp")), row))
        return pool

    def _deleted(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for obj, _ in _DELETABLE:
            rows = self.store.read(f'SELECT "Id" FROM "{obj}" WHERE "IsDeleted" ORDER BY "Id" LIMIT 200')
            out.extend((obj, str(i)) for i in rows.column("Id").to_pylist())
        return out

    def _users(self) -> tuple[list[str], dict[str, str]]:
        rows = self.store.read(
            'SELECT "Id", "TimeZoneSidKey" FROM "User" WHERE "IsActive" AND "Username" != ? ORDER BY "Id"',
            [INTEGRATION_USERNAME],
        ).to_pylist()
        if not rows:
            raise RuntimeError("the org has no active user to act as: seed it first")
        return [r["Id"] for r in rows], {r["Id"]: region_of_time_zone(r["TimeZoneSidKey"] or "") for r in rows}

    def _visible_max(self) -> datetime:
        parts = " UNION ALL ".join(f'SELECT max("SystemModstamp") m FROM "{o}"' for o in _COLUMNS)
        value = self.store.read(f"SELECT max(m) AS m FROM ({parts})").column("m")[0].as_py()
        return _aware(value) if value is not None else self.started

    # ------------------------------------------------------------------ time
    def next_time(self) -> tuple[datetime, bool]:
        """The SystemModstamp of the next change, and whether it is a late commit."""
        if self.last_at is not None and self.rng.random() < SAME_MILLISECOND_SHARE:
            return self.last_at, self.last_late
        step = float(self.rng.exponential(self.step_ms)) / 1000.0
        self.store.clock.advance(step)
        # Simulated time only (not the clock, which real time also moves): a seed gives the same changes.
        self.elapsed += timedelta(seconds=step)
        now = self.started + self.elapsed
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # Salesforce keeps milliseconds
        if self.late_commits and self.rng.random() < LATE_COMMIT_SHARE:
            newest = min(now, self.visible_max)
            back = timedelta(milliseconds=1000 + float(self.rng.exponential(15_000)))
            late = max(newest - min(back, MAX_LATE - timedelta(seconds=1)), self.started)
            late = late.replace(microsecond=late.microsecond // 1000 * 1000)
            if newest - late >= timedelta(seconds=1):
                return late, True
        return now, False

    def user_for(self, record: _Record | None) -> str:
        owner = record.fields.get("OwnerId") if record else None
        if owner in self.regions:
            return str(owner)
        return self.users[int(self.rng.integers(len(self.users)))]

    def other_user(self, current: str | None) -> str:
        for _ in range(10):
            user = self.users[int(self.rng.integers(len(self.users)))]
            if user != current:
                return user
        return self.users[0]

    # ------------------------------------------------------------------ bookkeeping
    def record(self, kind: str, obj: str, record_id: str, at: datetime, late: bool) -> Change:
        change = Change(kind, obj, record_id, at, late, self.visible_max if late else None)
        if self.changes and at == self.changes[-1].at:
            self.ties += 1
        self.changes.append(change)
        self.last_at, self.last_late = at, late
        self.visible_max = max(self.visible_max, at)
        return change

    def report(self) -> SimulationReport:
        counts = Counter(c.kind for c in self.changes)
        return SimulationReport(
            seed=self.seed,
            started=self.started,
            ended=max(self.store.clock.now(), self.visible_max),
            counts={kind: counts.get(kind, 0) for kind, _ in KINDS},
            touched=_ids_by_object(self.changes),
            late_committed=_ids_by_object(c for c in self.changes if c.late),
            late_committed_ids=tuple(dict.fromkeys(c.record_id for c in self.changes if c.late)),
            won_opportunity_ids=tuple(dict.fromkeys(c.record_id for c in self.changes if c.kind == "won")),
            contract_signed_ids=tuple(dict.fromkeys(c.record_id for c in self.changes if c.kind == "contract_signed")),
            same_millisecond=self.ties,
            changes=tuple(self.changes),
        )


def _ids_by_object(changes: Iterable[Change]) -> dict[str, tuple[str, ...]]:
    """Record ids per object, each once, in order of first change."""
    ids: dict[str, dict[str, None]] = {}
    for c in changes:
        ids.setdefault(c.object, {})[c.record_id] = None
    return {obj: tuple(by_id) for obj, by_id in ids.items()}


# --------------------------------------------------------------------------- the changes


def _update(
    sim: _Simulation, kind: str, obj: str, record: _Record, values: dict[str, Any], at: datetime, late: bool
) -> Change:
    sim.store.update(obj, record.id, values, user_id=sim.user_for(record), at=at)
    record.fields.update(values)
    record.modstamp = at
    return sim.record(kind, obj, record.id, at, late)


def _fresh(at: datetime) -> Accept:
    """Records that may take a change stamped ``at`` (their SystemModstamp is not newer)."""
    return lambda r: r.modstamp <= at


def _open_opportunity(sim: _Simulation, at: datetime, accept: Accept | None = None) -> _Record | None:
    return sim.pools["Opportunity"].pick(
        sim.rng, lambda r: r.fields["StageName"] in _OPEN_STAGES and r.modstamp <= at and (accept is None or accept(r))
    )


def _move_stage(sim: _Simulation, kind: str, at: datetime, late: bool) -> Change | None:
    backward = kind == "stage_backward"
    last = len(_OPEN_STAGES) - 1
    record = _open_opportunity(
        sim,
        at,
        lambda r: (
            (_OPEN_STAGES.index(r.fields["StageName"]) > 0)
            if backward
            else _OPEN_STAGES.index(r.fields["StageName"]) < last
        ),
    )
    if record is None:
        return None
    position = _OPEN_STAGES.index(record.fields["StageName"])
    step = -1 if backward else 1 + int(sim.rng.random() < 0.15)
    stage = _OPEN_STAGES[min(max(position + step, 0), last)]
    next_step = NEXT_STEPS[int(sim.rng.integers(len(NEXT_STEPS)))]
    return _update(sim, kind, "Opportunity", record, {"StageName": stage, "NextStep": next_step}, at, late)


def _close(sim: _Simulation, kind: str, at: datetime, late: bool) -> Change | None:
    stage = {"won": "Closed Won", "lost": "Closed Lost", "contract_signed": "Contract Signed"}[kind]
    record = None
    if kind == "won" and sim.rng.random() < 0.3:  # deals signed earlier get paid
        record = sim.pools["Opportunity"].pick(
            sim.rng, lambda r: r.fields["StageName"] == "Contract Signed" and r.modstamp <= at
        )
    record = record or _open_opportunity(sim, at)
    if record is None:
        return None
    values: dict[str, Any] = {"StageName": stage, "NextStep": None}
    if kind != "contract_signed":
        values["CloseDate"] = at.date()
    else:
        values["NextStep"] = "Awaiting first payment"
    return _update(sim, kind, "Opportunity", record, values, at, late)


def _amount_change(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    record = _open_opportunity(sim, at)
    if record is None:
        return None
    base = record.fields.get("Amount") or 20_000.0
    amount = max(round(base * float(sim.rng.lognormal(0.0, 0.25)) / 100.0) * 100.0, 100.0)
    if amount == base:
        amount += 500.0
    return _update(sim, "amount_change", "Opportunity", record, {"Amount": amount}, at, late)


def _close_date(sim: _Simulation, kind: str, at: datetime, late: bool) -> Change | None:
    record = _open_opportunity(sim, at)
    if record is None:
        return None
    current = record.fields.get("CloseDate") or at.date()
    if kind == "close_date_push":
        moved = current + timedelta(days=int(sim.rng.integers(7, 61)))
    else:
        moved = max(current - timedelta(days=int(sim.rng.integers(3, 21))), at.date() + timedelta(days=1))
        if moved == current:
            moved = current + timedelta(days=1)
    return _update(sim, kind, "Opportunity", record, {"CloseDate": moved}, at, late)


def _owner_change(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    obj = _OWNED[int(sim.rng.choice(len(_OWNED), p=[w for _, w in _OWNED]))][0]
    record = sim.pools[obj].pick(sim.rng, _fresh(at))
    if record is None:
        return None
    owner = sim.other_user(record.fields.get("OwnerId"))
    return _update(sim, "owner_change", obj, record, {"OwnerId": owner}, at, late)


def _case_status(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    record = sim.pools["Case"].pick(sim.rng, lambda r: r.fields["Status"] != "Closed" and r.modstamp <= at)
    if record is None:
        return None
    following = {"New": ("Working", "Closed"), "Working": ("Escalated", "Closed", "Closed"), "Escalated": ("Closed",)}
    options = following.get(record.fields["Status"], ("Working",))
    status = options[int(sim.rng.integers(len(options)))]
    values: dict[str, Any] = {"Status": status}
    if status == "Closed":
        values.update(IsClosed=True, ClosedDate=at)
    if status == "Escalated":
        values["IsEscalated"] = True
    return _update(sim, "case_status", "Case", record, values, at, late)


# --------------------------------------------------------------------------- new records


def _person(sim: _Simulation, domain: str) -> dict[str, Any]:
    first, last = draw_names(sim.rng, 1)
    first_name, last_name = FIRST_NAMES[int(first[0])], LAST_NAMES[int(last[0])]
    return {
        "FirstName": first_name,
        "LastName": last_name,
        "Email": f"{email_local(first_name)}.{email_local(last_name)}@{domain}",
    }


def _create(
    sim: _Simulation,
    kind: str,
    obj: str,
    values: dict[str, Any],
    owner: str,
    at: datetime,
    late: bool,
    keep: dict[str, Any],
) -> Change:
    record_id = sim.store.create(obj, {**values, "OwnerId": owner}, user_id=owner, at=at)
    sim.pools[obj].add(_Record(record_id, at, {**keep, "OwnerId": owner}))
    return sim.record(kind, obj, record_id, at, late)


def _new_account(sim: _Simulation, at: datetime, late: bool) -> Change:
    names, domains, industry = company_names(sim.rng, 1)
    name, domain = str(names[0].as_py()), str(domains[0].as_py())
    owner = sim.user_for(None)
    currency = "USD" if sim.regions[owner] in ("AMER", "LATAM") else "EUR"
    values = {
        "Name": name,
        "Website": f"https://www.{domain}",
        "Type": "Prospect",
        "CurrencyIsoCode": currency,
        "Industry": PICKLISTS["Industry"][int(industry[0])],
        "AccountSource": "Web",
    }
    return _create(sim, "new_account", "Account", values, owner, at, late, {"Name": name, "CurrencyIsoCode": currency})


def _new_contact(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    account = sim.pools["Account"].pick(sim.rng)
    if account is None:
        return None
    domain = "".join(c for c in str(account.fields["Name"]).lower() if c.isalnum())[:40] + ".example"
    title, department = CONTACT_ROLES[int(sim.rng.integers(len(CONTACT_ROLES)))]
    values = {
        **_person(sim, domain),
        "AccountId": account.id,
        "Title": title,
        "Department": department,
        "CurrencyIsoCode": account.fields.get("CurrencyIsoCode") or "USD",
    }
    return _create(sim, "new_contact", "Contact", values, sim.user_for(account), at, late, {"AccountId": account.id})


def _new_opportunity(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    account = sim.pools["Account"].pick(sim.rng)
    if account is None:
        return None
    owner = sim.user_for(account)
    kind_of = int(sim.rng.integers(len(DEAL_KINDS)))
    deal = DEAL_KINDS[kind_of][int(sim.rng.integers(len(DEAL_KINDS[kind_of])))]
    product = PRODUCTS[int(sim.rng.integers(len(PRODUCTS)))]
    stage = _OPEN_STAGES[int(sim.rng.integers(2))]
    amount = max(round(float(sim.rng.lognormal(np.log(28_000), 1.0)) / 100.0) * 100.0, 100.0)
    close = at.date() + timedelta(days=int(sim.rng.integers(30, 121)))
    currency = account.fields.get("CurrencyIsoCode") or "USD"
    values = {
        "Name": f"{account.fields['Name']} - {product} {deal}"[:120],
        "AccountId": account.id,
        "StageName": stage,
        "Amount": amount,
        "CloseDate": close,
        "CurrencyIsoCode": currency,
        "Type": PICKLISTS["OppType"][kind_of],
        "LeadSource": PICKLISTS["LeadSource"][int(sim.rng.integers(len(PICKLISTS["LeadSource"])))],
        "Region__c": sim.regions.get(owner, "AMER"),
        "NextStep": NEXT_STEPS[int(sim.rng.integers(len(NEXT_STEPS)))],
    }
    keep = {
        "StageName": stage,
        "Amount": amount,
        "CloseDate": close,
        "AccountId": account.id,
        "CurrencyIsoCode": currency,
    }
    return _create(sim, "new_opportunity", "Opportunity", values, owner, at, late, keep)


def _new_lead(sim: _Simulation, at: datetime, late: bool) -> Change:
    names, domains, industry = company_names(sim.rng, 1)
    domain = str(domains[0].as_py())
    title = CONTACT_ROLES[int(sim.rng.integers(len(CONTACT_ROLES)))][0]
    values = {
        **_person(sim, domain),
        "Company": str(names[0].as_py()),
        "Title": title,
        "Status": "Open - Not Contacted",
        "Website": f"https://www.{domain}",
        "Industry": PICKLISTS["Industry"][int(industry[0])],
        "LeadSource": PICKLISTS["LeadSource"][int(sim.rng.integers(len(PICKLISTS["LeadSource"])))],
    }
    return _create(sim, "new_lead", "Lead", values, sim.user_for(None), at, late, {"Status": "Open - Not Contacted"})


def _new_case(sim: _Simulation, at: datetime, late: bool) -> Change | None:
    contact = sim.pools["Contact"].pick(sim.rng)
    if contact is None:
        return None
    values = {
        "ContactId": contact.id,
        "AccountId": contact.fields["AccountId"],
        "Status": "New",
        "Subject": CASE_SUBJECTS[int(sim.rng.integers(len(CASE_SUBJECTS)))],
        "Origin": PICKLISTS["CaseOrigin"][int(sim.rng.integers(len(PICKLISTS["CaseOrigin"])))],
        "Priority": PICKLISTS["CasePriority"][int(sim.rng.integers(len(PICKLISTS["CasePriority"])))],
    }
    keep = {"Status": "New", "AccountId": contact.fields["AccountId"]}
    return _create(sim, "new_case", "Case", values, sim.user_for(None), at, late, keep)


# --------------------------------------------------------------------------- deletes


def _delete(sim: _Simulation, at: datetime) -> Change | None:
    obj = _DELETABLE[int(sim.rng.choice(len(_DELETABLE), p=[w for _, w in _DELETABLE]))][0]
    record = sim.pools[obj].pick(sim.rng, _fresh(at))
    if record is None:
        return None
    sim.store.delete(obj, record.id, at=at)
    sim.pools[obj].remove(record.id)
    sim.deleted.append((obj, record.id))
    sim.deleted_records[record.id] = record
    return sim.record("delete", obj, record.id, at, False)


def _restore(sim: _Simulation, kind: str, at: datetime) -> Change | None:
    if not sim.deleted:
        return None
    obj, record_id = sim.deleted.pop(int(sim.rng.integers(len(sim.deleted))))
    if kind == "purge":
        sim.store.purge(obj, record_id)
        sim.deleted_records.pop(record_id, None)
        return sim.record(kind, obj, record_id, at, False)
    sim.store.undelete(obj, record_id, at=at)
    record = sim.deleted_records.pop(record_id, None)
    if record is not None:
        record.modstamp = at
        sim.pools[obj].add(record)
    return sim.record(kind, obj, record_id, at, False)


def _revoke_assignment(sim: _Simulation, at: datetime) -> Change | None:
    """An admin takes the Sales Home permission set from a user: the assignment is hard-deleted."""
    if sim.assignments is None:
        sim.assignments = [str(i) for i in sim.store.read(
            'SELECT a."Id" FROM "PermissionSetAssignment" a JOIN "PermissionSet" p ON p."Id" = a."PermissionSetId" '
            'WHERE p."Name" = ? ORDER BY a."Id"', [SALES_HOME_PERMISSION_SET],
        ).column("Id").to_pylist()]
    if not sim.assignments:
        return None
    record_id = sim.assignments.pop(int(sim.rng.integers(len(sim.assignments))))
    sim.store.delete("PermissionSetAssignment", record_id, at=at)
    return sim.record("revoke_assignment", "PermissionSetAssignment", record_id, at, False)


def _apply(sim: _Simulation, kind: str, at: datetime, late: bool) -> Change | None:
    """Apply one change of ``kind`` stamped ``at``; None when the org offers nothing to change."""
    if kind in ("stage_forward", "stage_backward"):
        return _move_stage(sim, kind, at, late)
    if kind in ("won", "lost", "contract_signed"):
        return _close(sim, kind, at, late)
    if kind in ("close_date_push", "close_date_pull"):
        return _close_date(sim, kind, at, late)
    if kind in ("undelete", "purge"):
        return None if late else _restore(sim, kind, at)
    if kind == "delete":
        return None if late else _delete(sim, at)
    if kind == "revoke_assignment":
        return None if late else _revoke_assignment(sim, at)
    simple = {
        "amount_change": _amount_change,
        "owner_change": _owner_change,
        "case_status": _case_status,
        "new_account": _new_account,
        "new_contact": _new_contact,
        "new_opportunity": _new_opportunity,
        "new_lead": _new_lead,
        "new_case": _new_case,
    }
    return simple[kind](sim, at, late)


def simulate(
    store: OrgStore,
    changes: int,
    *,
    seed: int,
    late_commits: bool = False,
    step_ms: int = 250,
    kinds: Mapping[str, float] | None = None,
) -> SimulationReport:
    """Apply ``changes`` realistic changes to ``store``, advancing its clock about ``step_ms`` between them.

    ``kinds`` overrides the relative weights of :data:`KINDS` (e.g. ``{"won": 1}`` for wins only).
    """
    if changes < 0:
        raise ValueError(f"changes must be >= 0, got {changes}")
    mix = dict(KINDS) if kinds is None else dict(kinds)
    unknown = set(mix) - {k for k, _ in KINDS}
    if unknown or not any(w > 0 for w in mix.values()):
        raise ValueError(f"kinds must weigh some of {[k for k, _ in KINDS]}, got {kinds}")
    names = list(mix)
    weights = np.array([mix[k] for k in names], dtype=float)
    sim = _Simulation(store, seed, late_commits, step_ms)
    for _ in range(changes):
        at, late = sim.next_time()
        kind = names[int(sim.rng.choice(len(names), p=weights / weights.sum()))]
        if _apply(sim, kind, at, late) is None:
            _apply(sim, "new_lead", at, late)  # nothing of that kind to change: someone adds a lead
    return sim.report()
