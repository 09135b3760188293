"""What a member reads in a Slack message, and what must never be in it (issue 16's "Done when").

:func:`visible_text` keeps what Slack shows of a message: its fallback ``text`` and every text
member of its blocks, link targets dropped (``<url|label>`` shows ``label``) and mentions dropped
(``<@U…>`` shows a name); never metadata, action values or URLs.  :func:`problems` lists, in that
text, field API names that are not also labels, raw 15/18-character Salesforce Ids, and amounts
without a currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Key prefixes of the records Sales Home writes about (User, Account, Contact, Opportunity, Lead, Case, the
# org, OpportunityHistory, permission sets): an Id is 15 or 18 alphanumerics starting with one of them.
ID = re.compile(r"(?<![A-Za-z0-9])(?:001|003|005|006|00Q|500|00D|008|0PS|0Pa|00G)[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?"
                r"(?![A-Za-z0-9])")
# A number as amounts are written: thousands separators (, . space, narrow or no-break space) and/or decimals.
NUMBER = re.compile(r"(?<![\w.,:/-])\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?(?![\w%])"
                    r"|(?<![\w.,:/-])\d{4,}(?:[.,]\d{1,2})?(?![\w%:])|(?<![\w.,:/-])\d+[.,]\d{2}(?![\w%])")
CURRENCY = re.compile(r"[€$£¥₹]|\b(?:EUR|USD|GBP|JPY|CAD|AUD|CHF|INR|BRL|MXN|SGD)\b|\$US|\$CA|\$AU")
YEAR = re.compile(r"(?:19|20)\d\d")
LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")
BARE = re.compile(r"<[^<>]*>")


def visible_text(message: Mapping[str, Any]) -> str:
    """The text a member reads in ``message`` (``text`` and ``blocks`` as chat.postMessage took them)."""
    parts: list[str] = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                elif key not in ("url", "value", "action_id", "block_id", "image_url", "alt_text", "metadata"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    text = "\n".join(parts)
    text = LINK.sub(lambda m: m[2], text)
    return BARE.sub(" ", text)


def _amounts_without_currency(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        for m in NUMBER.finditer(line):
            value = m[0]
            if YEAR.fullmatch(value):
                continue
            around = line[max(0, m.start() - 4): m.end() + 5]
            if not CURRENCY.search(around):
                found.append(value)
    return found


def api_names(fields: Iterable[Any]) -> set[str]:
    """The API names of ``fields`` (objects with ``name`` and ``label``) a member must never read.

    A name that is its label's words run together (``Amount``, ``Probability`` for "Probability (%)") reads as
    the label does, so it is not one; ``StageName`` (label "Stage") and ``AccountId`` ("Account ID") are."""
    return {f.name for f in fields if f.name != "".join(re.findall(r"[A-Za-z0-9_]+", f.label))}


def problems(message: Mapping[str, Any], api_names: Iterable[str]) -> list[str]:
    """Why ``message`` would read like a database dump (empty: it reads as a person would write it).

    ``api_names``: field API names that differ from their labels (``StageName``, ``AccountId``…)."""
    text = visible_text(message)
    out = [f"Salesforce Id {m[0]}" for m in ID.finditer(text)]
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:__c)?", text))
    # "Id" alone is no field shown (Ids are caught above) and is a word of standard values ("Id. Decision Makers")
    out += [f"API name {name}" for name in sorted((set(api_names) - {"Id"}) & words)]
    out += [f"amount without currency {value!r}" for value in _amounts_without_currency(text)]
    return out
