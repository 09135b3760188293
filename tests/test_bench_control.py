"""The control store benchmark runs end to end for a few seconds on each store — SQLite, PostgreSQL (a server the
benchmark starts) and the old DuckDB control file as the comparison line — with readers here, writers and
publishers in their own processes, and reports every line of issue 18 §5 for each; timings are not asserted, the
counts are: both backends ran every kind of transaction with zero lock errors and zero failed transactions."""

from __future__ import annotations

import pytest

from bench import BENCHMARKS
from bench.control_concurrency import DUCKDB_FILE, POSTGRESQL, SQLITE, STORES
from bench.harness import BenchLine, run_benchmark
from tests.fixtures.postgres import ensure_postgres_bin

pytestmark = [pytest.mark.integration, pytest.mark.slow]

READERS = 2
WRITERS = 2
PUBLISHERS = 1
COUNTS = ("reads_idle", "reads_loaded", "write_transactions", "write_transactions_after_loaded_phase",
          "publisher_rounds", "publisher_rounds_after_loaded_phase", "outbox_items_claimed",
          "lock_or_serialization_errors", "failed_transactions")
RATES = {"reads_per_second_idle": "reads/s", "reads_per_second_loaded": "reads/s", "writes_per_second": "writes/s",
         "publisher_claims_per_second": "items/s"}
TIMES = [f"read_p{p}_ms_{phase}" for phase in ("idle", "loaded") for p in (50, 95, 99)] + ["loaded_read_p95_ms"]


@pytest.fixture(scope="module")
def lines() -> dict[str, BenchLine]:
    ensure_postgres_bin()  # Debian's postgresql, installed when missing (the benchmark only says to)
    assert BENCHMARKS["control_concurrency"] == "bench.control_concurrency"
    return {line["metric"]: line for line in run_benchmark(
        "control_concurrency", READERS,
        {"seconds": 3, "idle_seconds": 1, "writers": WRITERS, "publishers": PUBLISHERS, "stores": ",".join(STORES)})}


def test_every_store_reports_reads_writes_claims_and_the_loaded_over_idle_ratio(lines: dict[str, BenchLine]) -> None:
    assert STORES == (SQLITE, POSTGRESQL, DUCKDB_FILE)
    assert set(lines) == {f"{name}_{store}" for store in STORES for name in (*COUNTS, *RATES, *TIMES)}
    for store in STORES:
        ratio = lines[f"loaded_read_p95_ms_{store}"]
        assert ratio["baseline"] == "idle_read_p95_same_run"
        assert ratio["baseline_value"] == lines[f"read_p95_ms_idle_{store}"]["value"]
        assert ratio["value"] == lines[f"read_p95_ms_loaded_{store}"]["value"]
        assert isinstance(ratio["ratio"], float) and ratio["ratio"] > 0
        for phase in ("idle", "loaded"):
            p50, p95, p99 = (lines[f"read_p{p}_ms_{phase}_{store}"]["value"] for p in (50, 95, 99))
            assert 0 < p50 <= p95 <= p99, (store, phase)
        for name, unit in RATES.items():
            assert lines[f"{name}_{store}"]["unit"] == unit and lines[f"{name}_{store}"]["value"] >= 0

        counts = {name: lines[f"{name}_{store}"]["value"] for name in COUNTS}
        assert all(lines[f"{name}_{store}"]["unit"] == "count" for name in COUNTS)
        assert all(value == int(value) and value >= 0 for value in counts.values()), (store, counts)
        assert counts["reads_idle"] > 0 and counts["reads_loaded"] > 0, store
        # each writer and publisher finishes the transaction it is in when the loaded phase ends (3 s, well within
        # the store's lock wait): every one of them commits or fails at least once, during the phase or just after
        writes = counts["write_transactions"] + counts["write_transactions_after_loaded_phase"]
        rounds = counts["publisher_rounds"] + counts["publisher_rounds_after_loaded_phase"]
        assert writes + rounds + counts["failed_transactions"] >= WRITERS + PUBLISHERS, (store, counts)
        assert writes >= 1 and rounds >= 1, (store, counts)
        # claims are counted for the rounds of the loaded phase only, and a round claims what is ready (its own
        # message, unless another publisher sent it first)
        assert (counts["outbox_items_claimed"] >= 1) == (counts["publisher_rounds"] >= 1), (store, counts)
        assert counts["lock_or_serialization_errors"] <= counts["failed_transactions"], (store, counts)


@pytest.mark.parametrize("store", [SQLITE, POSTGRESQL])
def test_both_backends_ran_loaded_with_zero_errors(lines: dict[str, BenchLine], store: str) -> None:
    assert lines[f"lock_or_serialization_errors_{store}"]["value"] == 0
    assert lines[f"failed_transactions_{store}"]["value"] == 0
    assert lines[f"write_transactions_{store}"]["value"] >= 1  # writers wrote while the readers read
    assert lines[f"reads_loaded_{store}"]["value"] >= 1
