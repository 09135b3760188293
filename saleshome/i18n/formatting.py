"""Numbers, amounts, dates and booleans as a reader of a locale writes them (Babel's CLDR data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent

from .catalog import Messages, normalise

NULL = "—"  # an empty value, in every language


def zone(name: str | None) -> tzinfo:
    """The time zone ``name`` (a Slack user's ``tz``), UTC when unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Formatter:
    """Formats for one reader: their locale (``fr-FR``) and time zone (``Europe/Paris``)."""

    locale: str = "en-US"
    tz: tzinfo = UTC
    _babel: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", normalise(self.locale))
        object.__setattr__(self, "_babel", self.locale.replace("-", "_"))

    @classmethod
    def for_reader(cls, locale: str | None, tz: str | None) -> Formatter:
        return cls(normalise(locale), zone(tz))

    def money(self, amount: float | Decimal | int | None, currency: str | None) -> str:
        """``€150,000.00`` (en-US), ``150 000,00 €`` (fr-FR); without a currency, the number alone."""
        if amount is None:
            return NULL
        if not currency:
            return self.number(amount)
        return format_currency(amount, currency.upper(), locale=self._babel)

    def number(self, value: float | Decimal | int | None) -> str:
        if value is None:
            return NULL
        return format_decimal(value, locale=self._babel)

    def percent(self, value: float | Decimal | int | None) -> str:
        """A Salesforce percent field holds 25 for 25 %."""
        if value is None:
            return NULL
        return format_percent(Decimal(str(value)) / 100, locale=self._babel, decimal_quantization=False)

    def date(self, value: date | None) -> str:
        """``Dec 3, 2026`` / ``3 déc. 2026``."""
        if value is None:
            return NULL
        return format_date(value, format="medium", locale=self._babel)

    def datetime(self, value: datetime | None) -> str:
        """In the reader's time zone, to the minute: ``Dec 3, 2026, 4:04 PM`` / ``3 déc. 2026, 16:04``."""
        if value is None:
            return NULL
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self.tz)
        pattern = str(get_datetime_format("medium", locale=self._babel))
        return pattern.replace("{1}", format_date(local.date(), "medium", locale=self._babel)).replace(
            "{0}", format_time(local, "short", tzinfo=self.tz, locale=self._babel))

    def boolean(self, value: bool | None, words: Messages) -> str:
        """``Yes``/``No`` in the reader's language (``words``: a catalog holding them)."""
        if value is None:
            return NULL
        return words.gettext("Yes") if value else words.gettext("No")
