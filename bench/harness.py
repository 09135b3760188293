"""Runs registered benchmarks, checks and prints their JSON lines, writes bench/results.md."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import os
import platform
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict

import bench

RESULTS_FILE = Path(__file__).with_name("results.md")
RESERVED = ("all", "list")
_GIVEN_KEYS = {"metric", "value", "unit", "baseline", "baseline_value"}


class BenchLine(TypedDict):
    """One printed line; the keys and their order are the convention."""

    bench: str
    metric: str
    value: float
    unit: str
    baseline: str | None
    baseline_value: float | None
    ratio: float | None


class BenchmarkError(Exception):
    """A benchmark is unknown, missing, or returned something that breaks the convention."""


def load_benchmark(name: str) -> ModuleType:
    """Import the module registered under `name` (imports happen only here, lazily)."""
    registry = bench.BENCHMARKS
    if name not in registry:
        known = ", ".join(sorted(registry)) or "none"
        raise BenchmarkError(f"unknown benchmark {name!r} (registered: {known})")
    module_path = registry[name]
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_path + ".").startswith(exc.name + "."):
            raise BenchmarkError(
                f"benchmark {name!r} is registered as module {module_path!r}, which does not exist yet: "
                f"write it with DEFAULT_SIZE: int and run(size: int) -> list[dict]"
            ) from exc
        raise  # a dependency of the benchmark is missing: show the real error
    for attribute in ("run", "DEFAULT_SIZE"):
        if not hasattr(module, attribute):
            raise BenchmarkError(f"benchmark module {module_path!r} has no {attribute!r}")
    return module


def to_line(name: str, result: Mapping[str, Any]) -> BenchLine:
    """Check one result of `run()` and turn it into a printed line (adds `bench` and `ratio`)."""
    extra = set(result) - _GIVEN_KEYS
    missing = {"metric", "value", "unit"} - set(result)
    if extra or missing:
        raise BenchmarkError(
            f"benchmark {name!r} returned {dict(result)!r}: "
            f"unexpected keys {sorted(extra)}, missing keys {sorted(missing)} "
            f"(give metric, value, unit, and optionally baseline, baseline_value)"
        )
    value = _number(name, "value", result["value"])
    baseline_value = (
        None if result.get("baseline_value") is None else _number(name, "baseline_value", result["baseline_value"])
    )
    ratio = value / baseline_value if baseline_value else None
    return {
        "bench": name,
        "metric": str(result["metric"]),
        "value": value,
        "unit": str(result["unit"]),
        "baseline": None if result.get("baseline") is None else str(result["baseline"]),
        "baseline_value": baseline_value,
        "ratio": ratio,
    }


def _number(name: str, key: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise BenchmarkError(f"benchmark {name!r}: {key} must be a finite number, got {raw!r}")
    return raw


def run_benchmark(
    name: str, size: int | None = None, options: Mapping[str, int | float | str] | None = None
) -> list[BenchLine]:
    """Run one benchmark and return its checked lines; `options` are keyword arguments of its `run`."""
    module = load_benchmark(name)
    options = dict(options or {})
    if options:
        parameters = inspect.signature(module.run).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        unknown = [key for key in options if key == "size" or (key not in parameters and not takes_any)]
        if unknown:
            flags = ", ".join("--" + key.replace("_", "-") for key in unknown)
            raise BenchmarkError(f"benchmark {name!r} takes no option {flags}")
    results = module.run(module.DEFAULT_SIZE if size is None else size, **options)
    return [to_line(name, result) for result in results]


def parse_options(extra: Sequence[str]) -> dict[str, int | float | str]:
    """`--changes 10000 --mode=x` -> {"changes": 10000, "mode": "x"} (ints and floats converted)."""
    options: dict[str, int | float | str] = {}
    items = list(extra)
    while items:
        flag = items.pop(0)
        if not flag.startswith("--") or len(flag) == 2:
            raise BenchmarkError(f"unexpected argument {flag!r} (benchmark options look like --name VALUE)")
        key, sep, raw = flag[2:].partition("=")
        if not sep:
            if not items or items[0].startswith("--"):
                raise BenchmarkError(f"option {flag} needs a value")
            raw = items.pop(0)
        value: int | float | str = raw
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                continue
        options[key.replace("-", "_")] = value
    return options


def print_lines(lines: Sequence[BenchLine]) -> None:
    for line in lines:
        print(json.dumps(line), flush=True)


def format_number(value: float | None) -> str:
    """Readable numbers for the table: 1,234,567 / 12.35 / 0.0123."""
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render_results(lines: Sequence[BenchLine], stamp: str, failures: Mapping[str, str] | None = None) -> str:
    """The markdown written to bench/results.md."""
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m bench all`), {stamp}; "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPUs.",
        "`ratio` = value / baseline value: for a time, lower is better; for a rate, higher is better.",
        "",
        "| bench | metric | value | unit | baseline | baseline value | ratio | date/commit |",
        "|---|---|---:|---|---|---:|---:|---|",
    ]
    for line in lines:
        cells = [
            line["bench"],
            line["metric"],
            format_number(line["value"]),
            line["unit"],
            line["baseline"] or "",
            format_number(line["baseline_value"]),
            "" if line["ratio"] is None else f"{line['ratio']:.3g}",
            stamp,
        ]
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    if failures:
        out += ["", "## Failed", ""]
        out += [f"- `{name}`: {reason}" for name, reason in failures.items()]
    return "\n".join(out) + "\n"


def run_stamp() -> str:
    """`YYYY-MM-DD <short commit>[-dirty]` of the repository the benchmarks ran from."""
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=9"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"{date} {commit}"


def run_all(size: int | None, output: Path) -> int:
    """Run every registered benchmark, print the lines, write `output`; 1 if any failed."""
    lines: list[BenchLine] = []
    failures: dict[str, str] = {}
    for name in bench.BENCHMARKS:
        print(f"bench: running {name}", file=sys.stderr, flush=True)
        try:
            batch = run_benchmark(name, size)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            failures[name] = f"{type(exc).__name__}: {exc}"
            continue
        print_lines(batch)
        lines.extend(batch)
    output.write_text(render_results(lines, run_stamp(), failures), encoding="utf-8")
    print(f"bench: wrote {output}", file=sys.stderr)
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run a benchmark (JSON lines on stdout), `all` of them (also writes bench/results.md), or `list` them. "
        "Other `--name VALUE` options are passed to the benchmark's run() as keyword arguments "
        "(e.g. `python -m bench sync_incremental --changes 10000`).",
    )
    parser.add_argument("name", help="a registered benchmark, `all` or `list`")
    parser.add_argument("--size", type=int, default=None, help="problem size (default: each benchmark's DEFAULT_SIZE)")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="results table written by `all`")
    args, extra = parser.parse_known_args(argv)
    if args.size is not None and args.size <= 0:
        parser.error("--size must be positive")
    try:
        options = parse_options(extra)
        if options and args.name in RESERVED:
            raise BenchmarkError(f"`{args.name}` takes no benchmark options (run one benchmark to pass them)")
        if args.name == "list":
            for name, module_path in bench.BENCHMARKS.items():
                print(f"{name}\t{module_path}")
            return 0
        if args.name == "all":
            return run_all(args.size, args.output)
        print_lines(run_benchmark(args.name, args.size, options))
        return 0
    except BenchmarkError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
