"""What Slack shows, in the reader's language: message catalogs and locale-aware formatting.

Every string Sales Home puts in a Slack message comes from a gettext catalog (``.po`` files under
``saleshome/i18n/locale/<language>/LC_MESSAGES/<domain>.po``, read with Babel, one domain per
area: ``notify``, ``celebrate``, ...), in English and French; numbers, amounts and dates are
formatted with Babel's locale data (:class:`Formatter`).  Admins' own texts (a notification's
title, the celebration message) are used as written.

Who reads which language (:mod:`saleshome.settings.locales`: ``channel_locale``,
``member_locales``): a DM, its recipient's Slack locale (kept with the user map); a channel, the
workspace's default (``en-US`` unless changed).  Locales are
BCP 47 tags as Slack gives them (``fr-FR``, ``en-GB``); the catalog is chosen by language, the
formats by the whole tag.

In code, mark a string by calling ``gettext``/``ngettext`` on a :class:`Messages` with a literal
(``m.gettext("View in Salesforce")``, placeholders as ``{name}``): ``tests/test_i18n.py`` extracts
every such literal and fails when either catalog lacks its translation.
"""

from __future__ import annotations

from .catalog import DEFAULT_LOCALE, LANGUAGES, Messages, language_of, messages, normalise
from .formatting import Formatter

__all__ = ["DEFAULT_LOCALE", "LANGUAGES", "Formatter", "Messages", "language_of", "messages", "normalise"]
