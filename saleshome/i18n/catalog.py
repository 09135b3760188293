"""Message catalogs: ``.po`` files read with Babel (no compiled ``.mo``), cached once read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en-US"
LANGUAGES = ("en", "fr")  # a catalog for each; any other language reads English
CATALOGS = Path(__file__).parent / "locale"
COMMON = "common"  # strings every domain shares (Yes, No, ...): looked up after the domain's own


SLACK_ALIASES = {"es-LA": "es-419"}  # Slack locales CLDR spells differently (Latin-American Spanish)


def known_locale(locale: str | None) -> str | None:
    """A BCP 47 tag Babel has data for (``fr_FR``, ``FR-fr`` → ``fr-FR``), or None (none given, or unknown)."""
    if not locale or not locale.strip():
        return None
    parts = locale.strip().replace("_", "-").split("-")
    tag = "-".join([parts[0].lower(), *[p.upper() if len(p) == 2 else p for p in parts[1:]]])
    tag = SLACK_ALIASES.get(tag, tag)
    try:
        Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return tag


def normalise(locale: str | None) -> str:
    """A BCP 47 tag (``fr_FR``, ``FR-fr`` → ``fr-FR``); the default for none or one Babel cannot read."""
    return known_locale(locale) or DEFAULT_LOCALE


def language_of(locale: str | None) -> str:
    """The catalog language of a locale (``fr-CA`` → ``fr``); English when there is no catalog for it."""
    language = normalise(locale).split("-")[0]
    return language if language in LANGUAGES else "en"


def catalog_path(language: str, domain: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / f"{domain}.po"


@cache
def _catalog(language: str, domain: str) -> Catalog:
    path = catalog_path(language, domain)
    if not path.exists():
        return Catalog(locale=language, domain=domain)
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


@dataclass(frozen=True)
class Messages:
    """The strings of one ``domain`` in one ``locale``'s language."""

    locale: str
    domain: str

    def _entry(self, key: str | tuple[str, str]) -> tuple[Catalog, Any]:
        """The catalog holding ``key`` (this domain's, else ``common``) and its translation (None: not there)."""
        language = language_of(self.locale)
        for domain in (self.domain, COMMON):
            catalog = _catalog(language, domain)
            entry = catalog.get(key)
            if entry is not None and entry.string:
                return catalog, entry.string
        return _catalog(language, COMMON), None

    def gettext(self, message: str, **values: Any) -> str:
        """The translation of ``message`` (itself when no catalog has it), its ``{placeholders}`` filled."""
        _, found = self._entry(message)
        text = found if isinstance(found, str) else message
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form of ``singular``/``plural`` for ``n`` in this language (``{n}`` is filled too)."""
        _, forms = self._entry((singular, plural))
        one = Locale.parse(language_of(self.locale)).plural_form(n) == "one"  # CLDR: French "one" is 0 and 1
        if isinstance(forms, tuple | list) and len(forms) == 2 and all(forms):  # our catalogs: two forms
            text = str(forms[0] if one else forms[1])
        else:
            text = singular if one else plural
        return text.format(n=n, **values)


def messages(locale: str | None, domain: str) -> Messages:
    return Messages(normalise(locale), domain)
