"""How fast the Salesforce sandbox serves records: Bulk API 2.0 CSV pages and REST JSON pages.

Both are measured over real HTTPS from a client that only reads the bytes (no parsing),
so the figure is the server's.  Baseline: reading the same rows straight from the
sandbox's DuckDB into Arrow in-process (no HTTP, no formatting) — the ceiling.  Also the
time to generate and load the seeded org, against a plain DuckDB load of the same Arrow
tables (no casts, no primary keys).
"""

from __future__ import annotations

import time
from typing import Any

import duckdb
import requests

DEFAULT_SIZE = 200_000
SOQL = "SELECT Id, Name, StageName, Amount, CloseDate, IsWon, OwnerId, SystemModstamp FROM Opportunity"


def _session(ca_file: str, token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def run(size: int) -> list[dict[str, Any]]:
    from saleshome.sandbox.salesforce.seed import generate_org
    from saleshome.sandbox.salesforce.server import SalesforceSandbox
    from saleshome.sandbox.salesforce.soql import compile_query
    from saleshome.sandbox.salesforce.store import OrgStore

    began = time.perf_counter()
    store = OrgStore()
    tables = generate_org(1, size, store.clock.now())
    store.load(tables)
    seed_seconds = time.perf_counter() - began
    store.close()
    plain = duckdb.connect()
    began = time.perf_counter()
    for name, table in tables.items():
        plain.register("src", table)
        plain.execute(f'CREATE TABLE "{name}" AS SELECT * FROM src')
        plain.unregister("src")
    copy_seconds = time.perf_counter() - began
    plain.close()

    with SalesforceSandbox(seed=1, opportunities=size, daily_api_limit=10_000_000) as sandbox:
        info = sandbox.info
        assert info is not None and sandbox.store is not None
        base = f"{info.instance_url}/services/data/v{info.api_version}"
        token = requests.Session()
        token.trust_env = False
        access = token.post(info.token_url, verify=info.ca_file, timeout=30, data={
            "grant_type": "client_credentials", "client_id": info.client_id, "client_secret": info.client_secret,
        }).json()["access_token"]
        http = _session(info.ca_file, access)

        query = compile_query(SOQL, sandbox.store.catalog, now=sandbox.store.clock.now(), include_deleted=False)
        began = time.perf_counter()
        rows = sandbox.store.read(query.sql, query.params).num_rows
        arrow_rate = rows / (time.perf_counter() - began)

        began = time.perf_counter()
        job = http.post(f"{base}/jobs/query", json={"operation": "query", "query": SOQL}, timeout=60).json()
        while http.get(f"{base}/jobs/query/{job['id']}", timeout=60).json()["state"] != "JobComplete":
            time.sleep(0.01)
        locator, bulk_rows = "", 0
        while locator != "null":
            params: dict[str, str | int] = {"maxRecords": 50_000, **({"locator": locator} if locator else {})}
            page = http.get(f"{base}/jobs/query/{job['id']}/results", params=params, timeout=300)
            bulk_rows += int(page.headers["Sforce-NumberOfRecords"])
            locator = page.headers["Sforce-Locator"]
        bulk_rate = bulk_rows / (time.perf_counter() - began)

        began = time.perf_counter()
        body = http.get(f"{base}/query", params={"q": SOQL}, timeout=300).json()
        rest_rows = len(body["records"])
        while not body["done"]:
            body = http.get(f"{info.instance_url}{body['nextRecordsUrl']}", timeout=300).json()
            rest_rows += len(body["records"])
        rest_rate = rest_rows / (time.perf_counter() - began)
    assert bulk_rows == rest_rows == rows, (bulk_rows, rest_rows, rows)
    return [
        {"metric": "bulk_csv_rows_per_second", "value": bulk_rate, "unit": "rows/s",
         "baseline": "duckdb_arrow_read", "baseline_value": arrow_rate},
        {"metric": "rest_json_rows_per_second", "value": rest_rate, "unit": "rows/s",
         "baseline": "duckdb_arrow_read", "baseline_value": arrow_rate},
        {"metric": "seed_generate_and_load_seconds", "value": seed_seconds, "unit": "s",
         "baseline": "duckdb_plain_load_of_same_tables", "baseline_value": copy_seconds},
    ]
