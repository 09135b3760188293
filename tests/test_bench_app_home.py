"""``python -m bench app_home`` runs end to end at a small size: the sandboxes, the real app in its own process,
members connected through the Salesforce sandbox's OAuth pages, their opens measured from the Slack sandbox's
delivery to its log of ``views.publish``.  Timings are not asserted: the lines are there, in the harness's
convention, and sane (every open published a list page, p50 <= p95, the pass lines say what the figures say)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import BENCHMARKS
from bench.app_home import P95_TARGET_SECONDS, RATIO_TARGET, cache_root
from bench.harness import BenchLine, run_benchmark

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZE = 300
MEMBERS = 3
OPENS = 2


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BenchLine]:
    cache = tmp_path_factory.mktemp("bench-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESHOME_BENCH_CACHE", str(cache))
        assert cache_root() == cache
        assert BENCHMARKS["app_home"] == "bench.app_home"
        found = {line["metric"]: line for line in run_benchmark("app_home", SIZE, {"members": MEMBERS, "opens": OPENS})}
    assert (cache / f"salesforce-seed1-{SIZE}" / "org.duckdb").is_file()  # the org kept for the next run
    return found


def test_every_open_published_a_page_of_the_list(lines: dict[str, BenchLine]) -> None:
    assert lines["opens_measured"]["value"] == MEMBERS * OPENS
    assert lines["members"]["value"] == MEMBERS
    assert lines["member_roles"]["value"] == MEMBERS  # the org has more roles than members: one of each
    assert lines["fewest_records_in_a_measured_publish"]["value"] == 25


def test_the_opens_against_list_records_and_the_targets(lines: dict[str, BenchLine]) -> None:
    p50, p95 = lines["app_home_opened_to_list_publish_p50_seconds"], lines["app_home_opened_to_list_publish_p95_seconds"]
    assert p50["baseline"] == "ui_api_list_records_p50_same_members_same_run"
    assert p95["baseline"] == "ui_api_list_records_p95_same_members_same_run"
    assert 0 < p50["value"] <= p95["value"] < 60
    assert p50["baseline_value"] is not None and p95["baseline_value"] is not None
    assert 0 < p50["baseline_value"] <= p95["baseline_value"] < 60
    assert p50["ratio"] == p50["value"] / p50["baseline_value"]
    target = lines["app_home_opened_to_list_publish_p95_vs_target"]
    assert target["value"] == p95["value"] and target["baseline_value"] == P95_TARGET_SECONDS
    assert lines["target_p95_within_1s"]["value"] == float(p95["value"] <= P95_TARGET_SECONDS)
    assert lines["target_p50_ratio_within_1.5"]["value"] == float(p50["value"] <= RATIO_TARGET * p50["baseline_value"])
    assert lines["target_p95_ratio_within_1.5"]["value"] == float(p95["value"] <= RATIO_TARGET * p95["baseline_value"])
    assert {lines[name]["unit"] for name in lines if name.startswith("target_")} == {"pass"}


def test_a_second_run_reuses_the_cached_org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.app_home import cached_org, fresh_state_dir

    monkeypatch.setenv("SALESHOME_BENCH_CACHE", str(tmp_path / "cache"))
    org = cached_org(1, SIZE)
    made = org.stat().st_mtime_ns
    copy = fresh_state_dir(1, SIZE, tmp_path / "run")
    assert (copy / "org.duckdb").read_bytes() == org.read_bytes()
    assert cached_org(1, SIZE).stat().st_mtime_ns == made  # not generated again
