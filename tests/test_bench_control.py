"""The control store benchmark runs end to end for a few seconds (readers here, writers and publishers in
their own processes) and reports every line of issue 18 §5; timings are not asserted, the counts are."""

from __future__ import annotations

import pytest

from bench import BENCHMARKS
from bench.control_concurrency import STORE
from bench.harness import run_benchmark

pytestmark = [pytest.mark.integration, pytest.mark.slow]

READERS = 2


def test_control_concurrency_reports_reads_writes_claims_and_the_loaded_over_idle_ratio() -> None:
    assert BENCHMARKS["control_concurrency"] == "bench.control_concurrency"
    lines = {line["metric"]: line for line in run_benchmark(
        "control_concurrency", READERS, {"seconds": 3, "idle_seconds": 1, "writers": 2, "publishers": 1})}
    assert all(name.endswith(f"_{STORE}") for name in lines), sorted(lines)  # a store suffix on every line

    ratio = lines[f"loaded_read_p95_ms_{STORE}"]
    assert ratio["baseline"] == "idle_read_p95_same_run"
    assert ratio["baseline_value"] == lines[f"read_p95_ms_idle_{STORE}"]["value"]
    assert ratio["value"] == lines[f"read_p95_ms_loaded_{STORE}"]["value"]
    assert isinstance(ratio["ratio"], float) and ratio["ratio"] > 0
    for phase in ("idle", "loaded"):
        p50, p95, p99 = (lines[f"read_p{p}_ms_{phase}_{STORE}"]["value"] for p in (50, 95, 99))
        assert 0 < p50 <= p95 <= p99, phase
        assert lines[f"reads_per_second_{phase}_{STORE}"]["unit"] == "reads/s"

    counts = {name: line["value"] for name, line in lines.items() if line["unit"] == "count"}
    assert set(counts) == {f"{c}_{STORE}" for c in (
        "reads_idle", "reads_loaded", "write_transactions", "write_transactions_after_loaded_phase",
        "publisher_rounds", "publisher_rounds_after_loaded_phase", "outbox_items_claimed",
        "lock_or_serialization_errors", "failed_transactions")}
    assert all(value == int(value) and value >= 0 for value in counts.values()), counts
    assert counts[f"reads_idle_{STORE}"] > 0 and counts[f"reads_loaded_{STORE}"] > 0
    # each writer and publisher finishes the transaction it is in when the loaded phase ends (3 s, well within the
    # store's lock wait): every one of them commits or fails at least once, during the phase or just after it
    writes = counts[f"write_transactions_{STORE}"] + counts[f"write_transactions_after_loaded_phase_{STORE}"]
    rounds = counts[f"publisher_rounds_{STORE}"] + counts[f"publisher_rounds_after_loaded_phase_{STORE}"]
    assert writes + rounds + counts[f"failed_transactions_{STORE}"] >= 2 + 1
    assert writes >= 1 and rounds >= 1
    # claims are counted for the rounds of the loaded phase only, and a round claims what is ready (its own
    # message, unless another publisher sent it first)
    assert (counts[f"outbox_items_claimed_{STORE}"] >= 1) == (counts[f"publisher_rounds_{STORE}"] >= 1)
    assert counts[f"lock_or_serialization_errors_{STORE}"] <= counts[f"failed_transactions_{STORE}"]
