"""A progress bar per object for ``saleshome sync``, fed by the engine's ``progress`` callback."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


def progress_display(console: Console) -> Progress:
    """The bars: ``alias Object  ━━━━━━  1,200/3,000 rows  0:00:04``."""
    return Progress(
        TextColumn("{task.description:<36}"),
        BarColumn(),
        TextColumn("{task.fields[rows]}"),
        TimeElapsedColumn(),
        console=console,
    )


class ObjectBars:
    """The engine's ``Progress`` callback ``(object, rows_done, rows_expected)`` drawing one bar per object."""

    def __init__(self, display: Progress, alias: str) -> None:
        self.display = display
        self.alias = alias
        self._bars: dict[str, TaskID] = {}

    def __call__(self, obj: str, done: int, expected: int) -> None:
        bar = self._bars.get(obj)
        if bar is None:
            bar = self.display.add_task(f"{self.alias} {obj}", total=None, rows="")
            self._bars[obj] = bar
        total = max(expected, 1)
        completed = total if expected == 0 else done
        self.display.update(bar, total=total, completed=completed, rows=f"{done:,}/{expected:,} rows")
