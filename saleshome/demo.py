"""The ``saleshome demo`` command's body (what ``make demo`` shows).

Today: start the Salesforce sandbox over HTTPS on 127.0.0.1, seed a small org, log in
with OAuth 2.0 as the integration user, and read it back through simple-salesforce (REST
query paging, describe, list views, Bulk API 2.0, simulated activity seen through
``/updated``, the API budget).  Later issues extend it with the sync, notifications,
celebrations and Slack.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from typing import Any, cast

import requests
from rich.console import Console
from rich.table import Table
from simple_salesforce import Salesforce, SFType
from simple_salesforce.bulk2 import SFBulk2Handler, SFBulk2Type

DEMO_OPPORTUNITIES = 5000


def _client(info: dict[str, str]) -> Salesforce:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify (requests #3829)
    session.verify = info["ca_file"]
    token = session.post(
        info["token_url"],
        data={"grant_type": "client_credentials", "client_id": info["client_id"], "client_secret": info["client_secret"]},
        timeout=30,
    )
    token.raise_for_status()
    body = token.json()
    return Salesforce(
        instance_url=body["instance_url"], session_id=body["access_token"], session=session,
        version=info["api_version"],
    )


def run_demo(opportunities: int = DEMO_OPPORTUNITIES) -> None:
    """Run the demo end to end and print what it shows."""
    from saleshome.sandbox.salesforce.server import SalesforceSandbox

    console = Console()
    started = time.perf_counter()
    sandbox = SalesforceSandbox(seed=42, opportunities=opportunities)
    with console.status(f"Starting the Salesforce sandbox and seeding an org with {opportunities:,} opportunities..."):
        info = sandbox.start()
    try:
        console.print(
            f"[bold]Salesforce sandbox[/] ready at {info.instance_url} (org {info.org_id}, API v{info.api_version}) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        sf = _client(vars(info))
        console.print("Logged in with OAuth 2.0 (client credentials) through simple-salesforce.\n")

        org = sf.query("SELECT Name, OrganizationType, TimeZoneSidKey FROM Organization")["records"][0]
        console.print(f"Org: [bold]{org['Name']}[/] ({org['OrganizationType']}, {org['TimeZoneSidKey']})")

        counts = Table(title="Records (SELECT COUNT() per object)")
        counts.add_column("Object")
        counts.add_column("Records", justify="right")
        for obj in ("User", "Account", "Contact", "Lead", "Case", "Opportunity", "OpportunityHistory",
                    "PermissionSetAssignment"):
            counts.add_row(obj, f"{sf.query(f'SELECT COUNT() FROM {obj}')['totalSize']:,}")
        console.print(counts)

        paged = sf.query_all("SELECT Id, StageName, Amount, IsWon, IsClosed FROM Opportunity")
        by_stage: dict[str, tuple[int, float]] = {}
        for r in paged["records"]:
            n, total = by_stage.get(r["StageName"], (0, 0.0))
            by_stage[r["StageName"]] = (n + 1, total + (r["Amount"] or 0.0))
        stage_names = [s["ApiName"] for s in sf.query(
            "SELECT ApiName, SortOrder FROM OpportunityStage ORDER BY SortOrder")["records"]]
        pipeline = Table(title=f"Pipeline by stage ({len(paged['records']):,} opportunities read in pages of 2,000)")
        pipeline.add_column("Stage")
        pipeline.add_column("Deals", justify="right")
        pipeline.add_column("Amount", justify="right")
        for stage in stage_names:
            n, total = by_stage.get(stage, (0, 0.0))
            pipeline.add_row(stage, f"{n:,}", f"{total:,.0f}")
        console.print(pipeline)

        top = sf.query(
            "SELECT Name, Amount, CloseDate, StageName, Owner.Name FROM Opportunity "
            "WHERE IsClosed = false AND CloseDate = NEXT_N_DAYS:30 ORDER BY Amount DESC NULLS LAST LIMIT 5"
        )["records"]
        deals = Table(title="Biggest open deals closing in the next 30 days")
        for col in ("Opportunity", "Owner", "Stage", "Close date", "Amount"):
            deals.add_column(col)
        for r in top:
            deals.add_row(r["Name"], r["Owner"]["Name"], r["StageName"], r["CloseDate"], f"{r['Amount']:,.0f}")
        console.print(deals)

        views = cast(dict[str, Any], sf.restful("sobjects/Opportunity/listviews"))["listviews"]
        console.print("Opportunity list views: " + ", ".join(v["label"] for v in views))

        began = time.perf_counter()
        bulk: SFBulk2Type = cast(SFBulk2Handler, sf.bulk2).Opportunity
        rows = sum(
            sum(1 for _ in csv.reader(io.StringIO(str(page)))) - 1
            for page in bulk.query("SELECT Id, Name, Amount, StageName, SystemModstamp FROM Opportunity", wait=1)
        )
        console.print(
            f"Bulk API 2.0 query job: {rows:,} opportunities as CSV in {time.perf_counter() - began:.2f}s "
            "(simple-salesforce polls the job after 1 s)"
        )

        before = sandbox.store.clock.now() if sandbox.store else None
        report = sf.session.post(
            f"{info.instance_url}/_sandbox/simulate", json={"changes": 300, "late_commits": True}, timeout=120
        ).json()
        assert before is not None and sandbox.store is not None
        sandbox.store.clock.advance(120)
        updated = cast(SFType, sf.Opportunity).updated(before - timedelta(minutes=1), sandbox.store.clock.now())
        console.print(
            f"Simulated activity: {sum(report['counts'].values())} changes "
            f"({', '.join(f'{k} {v}' for k, v in sorted(report['counts'].items()) if v)}); "
            f"/sobjects/Opportunity/updated now lists {len(updated['ids'])} ids."
        )
        usage = sf.api_usage.get("api-usage")
        if usage is not None:
            console.print(f"API budget used: {usage.used:,} of {usage.total:,} daily requests (Sforce-Limit-Info).")
    finally:
        sandbox.stop()
    console.print(f"\n[green]Demo done[/] in {time.perf_counter() - started:.1f}s. Everything ran on 127.0.0.1.")
