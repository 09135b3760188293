"""The people directory shared by the Salesforce and Slack sandboxes."""

from __future__ import annotations

from collections import Counter

from saleshome.sandbox.people import (
    FIRST_NAMES,
    LAST_NAMES,
    company,
    email_local,
    region_of_time_zone,
    sales_team,
    team_size,
)
from saleshome.sandbox.salesforce.schema import TIME_ZONES


def test_same_seed_same_people_other_seed_other_people() -> None:
    assert sales_team(3, 60) == sales_team(3, 60)
    assert [p.email for p in sales_team(3, 60)] != [p.email for p in sales_team(4, 60)]


def test_name_lists_are_large_and_diverse() -> None:
    assert len(set(FIRST_NAMES)) >= 300 and len(set(LAST_NAMES)) >= 300
    assert any(not n.isascii() for n in FIRST_NAMES + LAST_NAMES)


def test_emails_are_unique_and_on_the_company_domain() -> None:
    team = sales_team(8, 400)
    domain = company(8).domain
    assert len({p.email for p in team}) == len(team)
    assert all(p.email.endswith("@" + domain) and p.email.isascii() and " " not in p.email for p in team)
    assert all(
        p.email.split("@")[0] == f"{email_local(p.first_name)}.{email_local(p.last_name)}"
        or p.email.split("@")[0].rstrip("0123456789") == f"{email_local(p.first_name)}.{email_local(p.last_name)}"
        for p in team
    )


def test_most_but_not_all_people_match_between_salesforce_and_slack() -> None:
    team = sales_team(1, 500)
    matching = [p for p in team if p.in_slack and p.salesforce_email == p.email]
    assert 0.8 * len(team) < len(matching) < len(team)
    assert any(p.salesforce_email != p.email for p in team) and any(not p.in_slack for p in team)
    assert team[0].level == "vp" and team[0].in_slack and team[0].salesforce_email == team[0].email


def test_hierarchy_vp_directors_managers_reps() -> None:
    team = sales_team(2, 275)
    levels = Counter(p.level for p in team)
    assert levels["vp"] == 1 and levels["admin"] == 1 and levels["director"] >= 4
    assert levels["ic"] > levels["manager"] > levels["director"]
    by_index = {p.index: p for p in team}
    above = {"director": "vp", "manager": "director", "ic": "manager", "admin": "vp"}
    for person in team:
        if person.level == "vp":
            assert person.manager is None
        else:
            assert person.manager is not None and by_index[person.manager].level == above[person.level]
            if person.level in ("manager", "ic"):
                assert by_index[person.manager].region == person.region


def test_time_zones_titles_and_regions() -> None:
    team = sales_team(5, 120)
    assert all(p.time_zone in TIME_ZONES for p in team)
    assert all(region_of_time_zone(p.time_zone) == p.region for p in team)
    assert len({p.time_zone for p in team}) >= 6
    assert {"Account Executive", "VP of Sales", "Salesforce Administrator"} <= {p.title for p in team}


def test_tiny_teams_and_sizes() -> None:
    for size in (1, 2, 3, 5, 8):
        team = sales_team(0, size)
        assert len(team) == size and team[0].level == "vp"
    assert team_size(0) == 24 and team_size(1_000_000) == 274 and team_size(10**9) == 3000
