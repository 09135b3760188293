"""Every string Sales Home puts in a Slack message has its English and French translation.

Strings are marked by calling ``gettext``/``ngettext`` with a literal (``saleshome.i18n``); Babel's
extractor finds them in the package (the sandboxes excluded: they stand in for Salesforce and
Slack).  A string used in ``saleshome/<area>/`` must be translated in both languages' ``<area>.po``
or ``common.po``; both languages hold the same message ids.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from saleshome.i18n import LANGUAGES, Formatter, messages
from saleshome.i18n.catalog import CATALOGS, COMMON, catalog_path

PACKAGE = Path(__file__).parents[1] / "saleshome"
KEYWORDS = {"gettext": None, "ngettext": (1, 2)}


def _marked() -> dict[str, set[str | tuple[str, str]]]:
    """Per area (the package's first-level directory, or ``common`` for its top modules): the marked strings."""
    found: dict[str, set[str | tuple[str, str]]] = defaultdict(set)
    for filename, _, message, _, _ in extract_from_dir(
        str(PACKAGE), method_map=[("sandbox/**.py", "ignore"), ("**.py", "python")], keywords=KEYWORDS,
    ):
        parts = Path(filename).parts
        area = parts[0] if len(parts) > 1 else COMMON
        found[area].add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _translations(language: str, domain: str) -> dict[str | tuple[str, str], object]:
    path = catalog_path(language, domain)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {m.id if isinstance(m.id, str) else (m.id[0], m.id[1]): m.string for m in catalog if m.id}


def _translated(value: object) -> bool:
    return bool(value) and (not isinstance(value, tuple | list) or all(value))


def test_every_marked_string_is_translated_in_every_language() -> None:
    missing = []
    for area, strings in sorted(_marked().items()):
        for language in LANGUAGES:
            known = {**_translations(language, COMMON), **_translations(language, area)}
            missing += [f"{language}/{area}: {s!r}" for s in sorted(strings, key=str) if not _translated(known.get(s))]
    assert not missing, "strings without a translation:\n" + "\n".join(missing)


def test_both_languages_hold_the_same_messages() -> None:
    domains = {p.stem for p in CATALOGS.glob("*/LC_MESSAGES/*.po")}
    assert COMMON in domains
    for domain in sorted(domains):
        ids = {language: set(_translations(language, domain)) for language in LANGUAGES}
        assert ids["en"] == ids["fr"], f"{domain}: {ids['en'] ^ ids['fr']}"
        untranslated = [k for language in LANGUAGES for k, v in _translations(language, domain).items()
                        if not _translated(v)]
        assert not untranslated, f"{domain}: {untranslated}"


@pytest.mark.parametrize(("locale", "expected"), [
    ("fr-FR", ("150\u202f000,00\xa0€", "3 déc. 2026", "3 déc. 2026, 16:04", "Oui")),
    ("en-US", ("€150,000.00", "Dec 3, 2026", "Dec 3, 2026, 4:04\u202fPM", "Yes")),
    ("en-GB", ("€150,000.00", "3 Dec 2026", "3 Dec 2026, 15:04", "Yes")),
])
def test_amounts_dates_and_words_in_the_readers_locale(locale: str, expected: tuple[str, ...]) -> None:
    zone = "Europe/Paris" if locale == "fr-FR" else ("America/New_York" if locale == "en-US" else "Europe/London")
    f = Formatter.for_reader(locale, zone)
    moment = datetime(2026, 12, 3, 15, 4, tzinfo=UTC) if locale != "en-US" else datetime(2026, 12, 3, 21, 4, tzinfo=UTC)
    got = (f.money(150000, "EUR"), f.date(date(2026, 12, 3)), f.datetime(moment), f.boolean(True, messages(locale, "x")))
    assert got == expected


def test_an_unknown_locale_reads_english_and_formats_as_the_default() -> None:
    assert messages("xx-YY", COMMON).gettext("No") == "No"
    assert messages("fr-CA", COMMON).gettext("No") == "Non"  # French catalog, Canadian formats
    assert Formatter.for_reader("fr-CA", None).money(1234.5, "CAD") == "1\xa0234,50\xa0$"
    assert Formatter.for_reader(None, "Not/AZone").locale == "en-US"
