"""Seed data: deterministic, valid ids, referential integrity, realistic distributions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from saleshome.sandbox.salesforce.ids import is_valid_id, make_id
from saleshome.sandbox.salesforce.listviews import LIST_VIEWS
from saleshome.sandbox.salesforce.schema import STAGES, TIME_ZONES, catalog
from saleshome.sandbox.salesforce.seed import (
    INTEGRATION_USER_NAME,
    INTEGRATION_USERNAME,
    SALES_HOME_PERMISSION_SET,
    generate_org,
    make_ids,
    org_id,
)

NOW = datetime(2026, 5, 1, 12, 30, 15, 123000, tzinfo=UTC)
OPPORTUNITIES = 4000


@pytest.fixture(scope="module")
def org() -> dict[str, pa.Table]:
    return generate_org(11, OPPORTUNITIES, NOW)


@pytest.fixture(scope="module")
def db(org: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    """The seed loaded into DuckDB tables created from the catalog (as the store creates them)."""
    con = duckdb.connect()
    for obj in catalog():
        cols = ", ".join(f'"{f.name}" {f.storage_type}' for f in obj.stored_fields)
        con.execute(f'CREATE TABLE "{obj.name}" ({cols}, PRIMARY KEY ("Id"))')
        con.register("src", org[obj.name])
        con.execute(f'INSERT INTO "{obj.name}" SELECT * FROM src')
        con.unregister("src")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_every_object_has_its_stored_columns(org: dict[str, pa.Table]) -> None:
    assert set(org) == {o.name for o in catalog()}
    for obj in catalog():
        assert org[obj.name].column_names == [f.name for f in obj.stored_fields], obj.name
        assert org[obj.name].num_rows > 0 or obj.name == "PermissionSetGroup", obj.name  # no groups in the seed


def test_sizes_scale_with_opportunities(org: dict[str, pa.Table]) -> None:
    assert org["Opportunity"].num_rows == OPPORTUNITIES
    assert org["Account"].num_rows == OPPORTUNITIES // 4
    assert 1.6 < org["Contact"].num_rows / org["Account"].num_rows < 2.4
    assert org["User"].num_rows == 25 + OPPORTUNITIES // 4000
    assert org["Organization"].num_rows == 1
    assert org["OpportunityStage"].num_rows == len(STAGES)


def test_deterministic_by_seed() -> None:
    first, second = generate_org(3, 300, NOW), generate_org(3, 300, NOW)
    other = generate_org(4, 300, NOW)
    for name in first:
        assert first[name].equals(second[name]), name
    assert not first["Opportunity"].equals(other["Opportunity"])
    assert first["Organization"].column("Id")[0].as_py() == org_id(3) != org_id(4)


def test_vectorised_ids_match_make_id() -> None:
    numbers = np.array([0, 1, 61, 62, 3843, 62**6 + 12345, 62**10 - 1])
    assert make_ids("006", numbers).to_pylist() == [make_id("006", int(n)) for n in numbers]


def test_ids_are_valid_unique_and_carry_the_key_prefix(org: dict[str, pa.Table]) -> None:
    for obj in catalog():
        ids = [str(i) for i in org[obj.name].column("Id").to_pylist()]
        assert len(set(ids)) == len(ids), obj.name
        assert all(is_valid_id(i) and len(i) == 18 and i.startswith(obj.key_prefix) for i in ids), obj.name


def test_reference_fields_point_to_existing_records(db: duckdb.DuckDBPyConnection) -> None:
    for obj in catalog():
        for f in obj.stored_fields:
            if f.type != "reference":
                continue
            # Group and PermissionSetGroup are not in the sandbox's catalog: nothing points to them
            targets = " UNION ALL ".join(f'SELECT "Id" FROM "{t}"' for t in f.reference_to if catalog().get(t))
            targets = targets or "SELECT NULL::VARCHAR"
            dangling = scalar(
                db, f'SELECT count(*) FROM "{obj.name}" WHERE "{f.name}" IS NOT NULL AND "{f.name}" NOT IN ({targets})'
            )
            assert dangling == 0, f"{obj.name}.{f.name}"


def test_timestamps_are_in_the_two_years_before_now(db: duckdb.DuckDBPyConnection) -> None:
    now = NOW.replace(tzinfo=None)
    for obj in catalog():
        for f in obj.stored_fields:
            if f.type != "datetime" or f.name == "ExpirationDate":
                continue
            low, high = db.execute(f'SELECT min("{f.name}"), max("{f.name}") FROM "{obj.name}"').fetchone() or (0, 0)
            if low is None:
                continue
            assert now - timedelta(days=731) <= low and high < now, f"{obj.name}.{f.name}"
        if obj.field("LastModifiedDate"):
            created = '"LastModifiedDate" < "CreatedDate" OR ' if obj.field("CreatedDate") else ""  # UserRole has none
            assert (
                scalar(db, f'SELECT count(*) FROM "{obj.name}" WHERE {created}"SystemModstamp" < "LastModifiedDate"')
                == 0
            ), obj.name


def test_users_hierarchy_and_integration_user(db: duckdb.DuckDBPyConnection) -> None:
    users = db.execute(
        'SELECT "Name", "Username", "IsActive", "TimeZoneSidKey", "ManagerId", "Email" FROM "User"'
    ).fetchall()
    assert all(u[3] in TIME_ZONES for u in users)
    assert len({u[1] for u in users}) == len(users)
    integration = [u for u in users if u[0] == INTEGRATION_USER_NAME]
    assert len(integration) == 1 and integration[0][1] == INTEGRATION_USERNAME and integration[0][2]
    inactive = sum(not u[2] for u in users)
    assert 0 <= inactive < len(users) / 3
    assert sum(u[4] is None for u in users) == 2  # the VP and the integration user
    owned = scalar(
        db,
        """SELECT count(*) FROM (SELECT "OwnerId" FROM "Opportunity" UNION ALL
        SELECT "OwnerId" FROM "Account" UNION ALL SELECT "OwnerId" FROM "Lead" UNION ALL SELECT "OwnerId" FROM "Case")
        WHERE "OwnerId" = (SELECT "Id" FROM "User" WHERE "Username" = 'integration@saleshome.sandbox')""",
    )
    assert owned == 0


def test_inactive_users_exist_in_bigger_orgs() -> None:
    users = generate_org(5, 40_000, NOW)["User"]
    active = users.column("IsActive").to_pylist()
    assert users.num_rows == 35 and 0 < active.count(False) < 8


def test_stage_distribution_looks_like_a_pipeline(db: duckdb.DuckDBPyConnection) -> None:
    shares = dict(db.execute('SELECT "StageName", count(*) / 4000.0 FROM "Opportunity" GROUP BY 1').fetchall())
    assert set(shares) == {s["ApiName"] for s in STAGES}
    assert 0.18 < shares["Closed Won"] < 0.27
    assert 0.25 < shares["Closed Lost"] < 0.35
    assert 0.003 < shares["Contract Signed"] < 0.04
    assert shares["Prospecting"] > shares["Needs Analysis"] > shares["Negotiation/Review"]


def test_opportunity_fields_follow_the_stage(db: duckdb.DuckDBPyConnection) -> None:
    for stage in STAGES:
        rows = db.execute(
            'SELECT DISTINCT "IsWon", "IsClosed", "Probability", "ForecastCategoryName" FROM "Opportunity" '
            'WHERE "StageName" = ?',
            [stage["ApiName"]],
        ).fetchall()
        assert rows == [(stage["IsWon"], stage["IsClosed"], stage["DefaultProbability"], stage["ForecastCategoryName"])]
    today = NOW.date()
    assert (
        scalar(
            db,
            f"""SELECT count(*) FROM "Opportunity" WHERE ("IsClosed" AND "CloseDate" > DATE '{today}')
        OR (NOT "IsClosed" AND "CloseDate" <= DATE '{today}')""",
        )
        == 0
    )


def test_amounts_currencies_and_names(db: duckdb.DuckDBPyConnection) -> None:
    median, remainder, usd = db.execute(
        """SELECT median("Amount") FILTER (WHERE "CurrencyIsoCode" = 'USD'), max("Amount" % 100),
        avg(("CurrencyIsoCode" = 'USD')::INT) FROM "Opportunity" """
    ).fetchone() or (0, 0, 0)
    assert 10_000 < median < 80_000 and remainder == 0 and usd > 0.6
    mismatched = scalar(
        db,
        """SELECT count(*) FROM "Opportunity" o JOIN "Account" a ON o."AccountId" = a."Id"
        WHERE NOT starts_with(o."Name", a."Name" || ' - ')""",
    )
    assert mismatched == 0
    for obj, column in (("Account", "Name"), ("Opportunity", "Name"), ("Lead", "Company"), ("Contact", "Name")):
        untidy = scalar(
            db,
            f"""SELECT count(*) FROM "{obj}" WHERE "{column}" != trim("{column}")
            OR "{column}" LIKE '%  %' OR "{column}" = '' """,
        )
        assert untidy == 0, obj
    assert (
        scalar(
            db,
            """SELECT count(*) FROM "Opportunity" o JOIN "User" u ON o."OwnerId" = u."Id"
        WHERE o."Region__c" IS NULL""",
        )
        == 0
    )


def test_history_is_consistent_with_each_opportunity(db: duckdb.DuckDBPyConnection) -> None:
    per_opp = db.execute('SELECT count(*) c FROM "OpportunityHistory" GROUP BY "OpportunityId"').fetchall()
    assert len(per_opp) == OPPORTUNITIES and all(1 <= c <= 5 for (c,) in per_opp)
    mismatched_last = scalar(
        db,
        """
        WITH last AS (SELECT *, row_number() OVER (PARTITION BY "OpportunityId" ORDER BY "CreatedDate" DESC) rn
                      FROM "OpportunityHistory")
        SELECT count(*) FROM last h JOIN "Opportunity" o ON o."Id" = h."OpportunityId"
        WHERE rn = 1 AND (h."StageName" != o."StageName" OR h."CloseDate" != o."CloseDate"
              OR h."Amount" IS DISTINCT FROM o."Amount" OR h."CreatedDate" > o."LastModifiedDate")""",
    )
    assert mismatched_last == 0
    broken_chain = scalar(
        db,
        """
        WITH h AS (SELECT *, lag("Amount") OVER w prev_a, lag("CloseDate") OVER w prev_c,
                          lag("CreatedDate") OVER w prev_t, row_number() OVER w rn
                   FROM "OpportunityHistory" WINDOW w AS (PARTITION BY "OpportunityId" ORDER BY "CreatedDate"))
        SELECT count(*) FROM h WHERE (rn > 1 AND ("PrevAmount" IS DISTINCT FROM prev_a
              OR "PrevCloseDate" != prev_c OR "CreatedDate" <= prev_t))
           OR (rn = 1 AND ("PrevAmount" IS NOT NULL OR "PrevCloseDate" IS NOT NULL))""",
    )
    assert broken_chain == 0
    first_not_at_creation = scalar(
        db,
        """
        SELECT count(*) FROM "Opportunity" o WHERE o."CreatedDate" !=
        (SELECT min("CreatedDate") FROM "OpportunityHistory" h WHERE h."OpportunityId" = o."Id")""",
    )
    assert first_not_at_creation == 0
    closed_in_one_row = scalar(
        db,
        """SELECT count(*) FROM "Opportunity" o WHERE "IsClosed" AND
        (SELECT count(*) FROM "OpportunityHistory" h WHERE h."OpportunityId" = o."Id") < 2""",
    )
    assert closed_in_one_row == 0


def test_permission_sets_and_assignments(db: duckdb.DuckDBPyConnection) -> None:
    label = scalar(db, f"""SELECT "Label" FROM "PermissionSet" WHERE "Name" = '{SALES_HOME_PERMISSION_SET}'""")
    assert label == "Slack Sales Home User"
    assert scalar(db, 'SELECT count(*) FROM "PermissionSet"') >= 3
    holders, expired, inactive_mismatch = db.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE a."ExpirationDate" < TIMESTAMP '{NOW.replace(tzinfo=None)}'),
               count(*) FILTER (WHERE a."IsActive" != u."IsActive")
        FROM "PermissionSetAssignment" a JOIN "PermissionSet" p ON a."PermissionSetId" = p."Id"
        JOIN "User" u ON a."AssigneeId" = u."Id" WHERE p."Name" = '{SALES_HOME_PERMISSION_SET}'""").fetchone() or (
        0,
        0,
        0,
    )
    users = scalar(db, 'SELECT count(*) FROM "User"')
    assert holders > 0.6 * users and inactive_mismatch == 0
    big = generate_org(2, 80_000, NOW)
    con = duckdb.connect()
    for name in ("PermissionSetAssignment", "PermissionSet", "User"):
        con.register(name, big[name])
    expired, inactive = con.execute(f"""
        SELECT count(*) FILTER (WHERE a.ExpirationDate < TIMESTAMP '{NOW.replace(tzinfo=None)}'),
               count(*) FILTER (WHERE NOT a.IsActive)
        FROM PermissionSetAssignment a JOIN PermissionSet p ON a.PermissionSetId = p.Id
        WHERE p.Name = '{SALES_HOME_PERMISSION_SET}'""").fetchone() or (0, 0)
    assert expired > 0 and inactive > 0


def test_list_views_and_stages(org: dict[str, pa.Table]) -> None:
    views = org["ListView"]
    assert list(
        zip(
            views.column("SobjectType").to_pylist(),
            views.column("DeveloperName").to_pylist(),
            views.column("Name").to_pylist(),
            strict=True,
        )
    ) == [(v.sobject, v.developer_name, v.label) for v in LIST_VIEWS]
    assert any(v.developer_name == "AllOpportunities" for v in LIST_VIEWS)
    stages = org["OpportunityStage"].to_pylist()
    assert [s["ApiName"] for s in stages] == [s["ApiName"] for s in STAGES]
    signed = next(s for s in stages if s["ApiName"] == "Contract Signed")
    assert not signed["IsWon"] and not signed["IsClosed"]


def test_cases_leads_and_contacts(db: duckdb.DuckDBPyConnection) -> None:
    assert (
        scalar(
            db,
            """SELECT count(*) FROM "Case" c JOIN "Contact" k ON c."ContactId" = k."Id"
        WHERE c."AccountId" != k."AccountId" """,
        )
        == 0
    )
    assert (
        scalar(
            db,
            """SELECT count(*) FROM "Case" WHERE "IsClosed" != ("Status" = 'Closed')
        OR ("IsClosed" AND "ClosedDate" IS NULL)""",
        )
        == 0
    )
    assert scalar(db, 'SELECT count(DISTINCT "CaseNumber") = count(*) FROM "Case"')
    assert (
        scalar(
            db,
            """SELECT count(*) FROM "Lead" l JOIN "Opportunity" o ON l."ConvertedOpportunityId" = o."Id"
        WHERE l."ConvertedAccountId" != o."AccountId" OR NOT l."IsConverted" OR l."CreatedDate" >= o."CreatedDate"
    """,
        )
        == 0
    )
    assert scalar(db, """SELECT count(*) FROM "Contact" WHERE "Email" NOT LIKE '%_.%_@%.example'""") == 0
    assert (
        scalar(
            db,
            """SELECT count(*) FROM "Contact" k JOIN "Account" a ON k."AccountId" = a."Id"
        WHERE k."OwnerId" != a."OwnerId" OR k."CreatedDate" < a."CreatedDate" """,
        )
        == 0
    )
