"""Listings (``outbox list``, ``notifications list|stats|templates``, the audit log...) readable at any
terminal width, 80 columns included.

Invariants:

- A value is never cut: no ellipsis, no identifier broken across lines in a table.  Columns of
  identifiers, names, states, numbers and times are shown whole; only free-text columns (an
  error, a description) wrap, at words.
- When the whole columns and a readable width of the free-text ones do not fit the terminal,
  the listing is shown vertically instead: one block per row, one ``field  value`` line per
  column (a value longer than the line folds, whole).
- Values are shown for people: booleans as ``yes``/``no``, nothing as an empty cell, times as
  ``YYYY-MM-DD HH:MM``, whole floats without ``.0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "cell", "fit", "listing"]

TEXT_MIN = 20  # a free-text column narrower than this reads badly: the listing goes vertical instead


@dataclass(frozen=True)
class Column:
    """One column: its header, and whether it is free text (wraps at words) or shown whole."""

    name: str
    text: bool = False
    justify: Literal["left", "right"] = "left"


def cell(value: object) -> str:
    """``value`` as a listing shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _natural(column: Column, values: Sequence[str]) -> int:
    """Width the column takes unwrapped (its header, its widest line)."""
    lines = [line for v in values for line in v.splitlines()] or [""]
    return max(cell_len(column.name), *(cell_len(line) for line in lines))


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int] | None:
    """Each column's width in a table of at most ``width`` cells, or None when it would not read well."""
    natural = [_natural(c, [r[i] for r in rows]) for i, c in enumerate(columns)]
    room = width - (3 * len(columns) + 1)  # rich's default box: edges, separators, one space of padding each side
    room -= sum(n for n, c in zip(natural, columns, strict=True) if not c.text)
    widths = list(natural)
    text = sorted((n, i) for i, (n, c) in enumerate(zip(natural, columns, strict=True)) if c.text)
    for k, (n, i) in enumerate(text):  # narrowest first: each takes what it needs, up to a fair share
        widths[i] = min(n, room // (len(text) - k)) if room > 0 else 0
        if widths[i] < min(n, TEXT_MIN):
            return None
        room -= widths[i]
    return widths if room >= 0 else None


def listing(title: str, columns: Sequence[Column], rows: Sequence[Sequence[object]], *,
            width: int) -> RenderableType:
    """A table of ``rows`` when it reads well in ``width`` cells, else the same rows vertically."""
    shown = [[cell(v) for v in row] for row in rows]
    widths = _widths(columns, shown, width)
    if widths is not None:
        table = Table(title=title or None, title_justify="left")
        for column, w in zip(columns, widths, strict=True):
            table.add_column(column.name, justify=column.justify, width=w, no_wrap=not column.text,
                             overflow="fold")
        for row in shown:
            table.add_row(*(Text(v) for v in row))
        return table
    label = max(cell_len(c.name) for c in columns)
    blocks: list[RenderableType] = [Text(title, style="italic")] if title else []
    for n, row in enumerate(shown):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", width=label, no_wrap=True)
        grid.add_column(overflow="fold")
        for column, value in zip(columns, row, strict=True):
            grid.add_row(column.name, Text(value))
        blocks += [Text("")] if n else []
        blocks.append(grid)
    return Group(*blocks)


def fit(table: Table, *, width: int, text: Sequence[str] = ()) -> RenderableType:
    """A table built elsewhere (its title, headers and plain cells), laid out by :func:`listing`; its columns
    that fold (``overflow="fold"``) and those named in ``text`` are free text."""
    columns = [Column(str(c.header), text=str(c.header) in text or c.overflow == "fold",
                      justify="right" if c.justify == "right" else "left") for c in table.columns]
    cells = [[c.plain if isinstance(c, Text) else str(c) for c in column.cells] for column in table.columns]
    title = table.title.plain if isinstance(table.title, Text) else str(table.title or "")
    return listing(title, columns, [list(row) for row in zip(*cells, strict=True)], width=width)
