"""One active run per org: a Prefect global concurrency limit of 1 per org, created on first use.

The flows that write an org's warehouse (``sales_home``, ``sync_org``, ``backfill``) hold the
org's slot (``saleshome-org-<alias>``) while they sync and evaluate; a second run for the same
org waits for it, runs for other orgs go on in parallel.  The limit is created (limit 1) the
first time a flow needs it; an operator may list, inspect or reset them in the UI
(Concurrency → Global) or with ``prefect gcl ls``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

ORG_SLOT_LEASE_SECONDS = 300  # renewed while the run lives; released by the server if the run dies


def org_limit_name(alias: str) -> str:
    return f"saleshome-org-{alias}"


def ensure_org_limit(alias: str) -> str:
    """The org's concurrency limit (limit 1), created when missing; returns its name."""
    name = org_limit_name(alias)
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it meanwhile
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    return name


@contextmanager
def org_slot(alias: str) -> Iterator[None]:
    """Hold the org's single slot for the block (waiting for a run of the same org to finish)."""
    with concurrency(ensure_org_limit(alias), occupy=1, strict=True, lease_duration=ORG_SLOT_LEASE_SECONDS):
        yield
