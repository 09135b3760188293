"""Celebration message templates: placeholders checked at save time, rendered without executing anything.

A template is text with placeholders among :data:`PLACEHOLDERS` (``{owner}``, ``{amount}``…);
``{{`` and ``}}`` are literal braces.  :func:`check_template` refuses an unknown placeholder,
an attribute or index (``{owner.__class__}``, ``{amount[0]}``), a conversion (``!r``) or a
format spec; :func:`render_template` substitutes plain strings and never calls ``str.format``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from saleshome.errors import ValidationError

PLACEHOLDERS: tuple[str, ...] = ("owner", "opportunity", "account", "amount", "close_date", "stage")
MAX_LENGTH = 3000  # a section block's text limit in Block Kit


def _parts(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationError(f"the message has unbalanced braces ({exc})",
                              hint="write placeholders as {owner}; a literal brace is {{ or }}") from None


def template_problems(template: str) -> list[str]:
    """What is wrong with ``template`` (empty when it may be saved)."""
    allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    if not template.strip():
        return ["the message is empty"]
    if len(template) > MAX_LENGTH:
        return [f"the message is {len(template)} characters long; at most {MAX_LENGTH}"]
    try:
        parts = _parts(template)
    except ValidationError as exc:
        return [str(exc)]
    problems: list[str] = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {{{name}}}; use {allowed}")
        elif conversion or spec:
            problems.append(f"placeholder {{{name}}} takes no conversion or format (write {{{name}}})")
    return problems


def check_template(template: str) -> str:
    """``template`` when it may be saved; otherwise a :class:`ValidationError` saying what is wrong."""
    problems = template_problems(template)
    if problems:
        raise ValidationError("; ".join(problems),
                              hint="placeholders: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
    return template


def render_template(template: str, values: Mapping[str, str]) -> str:
    """The message with each placeholder replaced by ``values[name]`` (escape them for Slack first).

    A placeholder missing from ``values`` renders as an empty string.  Nothing is evaluated:
    values are inserted as they are, never formatted or looked up as attributes.
    """
    out: list[str] = []
    for literal, name, _spec, _conversion in _parts(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, "") if name in PLACEHOLDERS else "")
    return "".join(out)
