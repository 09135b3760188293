"""The benchmark harness: JSON line shape, registry, errors and the results table."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import bench
from bench.harness import BenchmarkError, main, to_line

REPO_ROOT = Path(__file__).resolve().parent.parent
KEYS = ["bench", "metric", "value", "unit", "baseline", "baseline_value", "ratio"]

FAKE_BENCHMARK = textwrap.dedent(
    """
    DEFAULT_SIZE = 10

    def run(size):
        return [
            {"metric": "rows_per_second", "value": 2000.0 * size, "unit": "rows/s",
             "baseline": "pandas.read_csv", "baseline_value": 1000.0 * size},
            {"metric": "seconds", "value": 1.5, "unit": "s", "baseline": "naive loop", "baseline_value": 3.0},
            {"metric": "duplicates", "value": 0, "unit": "count"},
        ]
    """
)


@pytest.fixture
def fake_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Registers `fake` (a module written to tmp_path) and `missing` (no module) in the real registry."""
    (tmp_path / "fake_bench_module.py").write_text(FAKE_BENCHMARK)
    (tmp_path / "broken_bench_module.py").write_text(
        "DEFAULT_SIZE = 1\ndef run(size):\n    return [{'metric': 'x', 'value': 1, 'unit': 's', 'ratio': 9}]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("fake_bench_module", "broken_bench_module"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setattr(bench, "BENCHMARKS", {"fake": "fake_bench_module"})
    return tmp_path


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_one_benchmark_prints_one_json_object_per_line(fake_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fake", "--size", "3"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert [list(line) for line in lines] == [KEYS] * 3
    rate, seconds, duplicates = lines
    assert rate == {
        "bench": "fake",
        "metric": "rows_per_second",
        "value": 6000.0,
        "unit": "rows/s",
        "baseline": "pandas.read_csv",
        "baseline_value": 3000.0,
        "ratio": 2.0,
    }
    assert seconds["ratio"] == 0.5  # value / baseline_value: for a time, lower is better
    assert duplicates == {
        "bench": "fake",
        "metric": "duplicates",
        "value": 0,
        "unit": "count",
        "baseline": None,
        "baseline_value": None,
        "ratio": None,
    }


def test_default_size_is_used_without_size(fake_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fake"]) == 0
    assert _json_lines(capsys.readouterr().out)[0]["value"] == 20000.0


def test_all_writes_the_results_table(fake_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = fake_registry / "results.md"
    assert main(["all", "--output", str(output)]) == 0
    assert len(_json_lines(capsys.readouterr().out)) == 3
    table = [line for line in output.read_text().splitlines() if line.startswith("|")]
    assert table[0] == "| bench | metric | value | unit | baseline | baseline value | ratio | date/commit |"
    assert len(table) == 2 + 3
    cells = [cell.strip() for cell in table[2].strip("|").split("|")]
    assert cells[:7] == ["fake", "rows_per_second", "20,000", "rows/s", "pandas.read_csv", "10,000", "2"]
    assert cells[7]  # date and commit
    duplicate_cells = [cell.strip() for cell in table[4].strip("|").split("|")]
    assert duplicate_cells[:7] == ["fake", "duplicates", "0", "count", "", "", ""]


def test_all_reports_a_failing_benchmark_and_keeps_the_others(
    fake_registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(bench.BENCHMARKS, "broken", "broken_bench_module")
    output = fake_registry / "results.md"
    assert main(["all", "--output", str(output)]) == 1
    assert len(_json_lines(capsys.readouterr().out)) == 3
    text = output.read_text()
    assert "## Failed" in text
    assert "`broken`" in text and "ratio" in text


def test_a_registered_but_missing_module_gives_a_clear_error(
    fake_registry: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(bench.BENCHMARKS, "missing", "bench.not_written_yet")
    assert main(["missing"]) == 2
    err = capsys.readouterr().err
    assert "'bench.not_written_yet', which does not exist yet" in err


def test_unknown_name_lists_the_registered_ones(fake_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "registered: fake" in capsys.readouterr().err


@pytest.mark.parametrize(
    "result",
    [
        {"metric": "m", "value": 1, "unit": "s", "ratio": 1.0},  # the harness computes ratio
        {"metric": "m", "unit": "s"},  # no value
        {"metric": "m", "value": float("nan"), "unit": "s"},
        {"metric": "m", "value": "fast", "unit": "s"},
        {"metric": "m", "value": True, "unit": "count"},
    ],
)
def test_results_breaking_the_convention_are_refused(result: dict[str, object]) -> None:
    with pytest.raises(BenchmarkError):
        to_line("x", result)


def test_the_real_entry_point_lists_the_registry() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "list"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    names = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert "sandbox_serve" in names
    assert names == list(bench.BENCHMARKS)


@pytest.mark.slow
def test_publish_takes_messages_channels_and_time_scale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bench publish --messages N --channels C --time-scale X` reaches run() and is what it publishes."""
    monkeypatch.setenv("BENCH_PUBLISH_CHANNELS", "999")  # an option given on the command line wins
    assert main(["publish", "--messages", "12", "--channels", "3", "--time-scale", "50"]) == 0
    lines = {str(line["metric"]): line for line in _json_lines(capsys.readouterr().out)}
    throughput = lines["delivered_msgs_per_second_3_channels"]
    assert throughput["baseline"] == "rate_limit_bound"
    bound = throughput["baseline_value"]
    assert isinstance(bound, float) and bound > 3 * 1.0  # 3 channels at 1 msg/s, times 50
    for count in ("duplicates_clean", "losses_clean", "duplicates_with_10pct_faults", "losses_with_10pct_faults"):
        assert lines[count]["value"] == 0, count


def test_publish_options_alias_env_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.publish import DEFAULT_CHANNELS, DEFAULT_TIME_SCALE, resolve_options

    monkeypatch.delenv("BENCH_PUBLISH_CHANNELS", raising=False)
    monkeypatch.delenv("BENCH_PUBLISH_TIME_SCALE", raising=False)
    plain = resolve_options(500)
    assert (plain.messages, plain.channels, plain.time_scale) == (500, DEFAULT_CHANNELS, DEFAULT_TIME_SCALE)
    assert resolve_options(500, messages=10_000).messages == 10_000  # --messages is the size
    monkeypatch.setenv("BENCH_PUBLISH_CHANNELS", "7")
    monkeypatch.setenv("BENCH_PUBLISH_TIME_SCALE", "4")
    from_env = resolve_options(10)
    assert (from_env.channels, from_env.time_scale) == (7, 4.0)
    given = resolve_options(10, channels=20, time_scale=2.5)
    assert (given.channels, given.time_scale) == (20, 2.5)
    with pytest.raises(ValueError, match="--channels"):
        resolve_options(10, channels=0)


def test_publish_refuses_an_option_it_does_not_take(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", "--messages", "5", "--workspaces", "2"]) == 2
    assert "takes no option --workspaces" in capsys.readouterr().err
