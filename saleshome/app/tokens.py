"""Members' Salesforce tokens encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256), keys from ``SALESHOME_SECRET_KEY``.

``SALESHOME_SECRET_KEY`` holds one or more Fernet keys (``Fernet.generate_key()``: 32 random bytes, url-safe
base64), comma-separated, **newest first**: :class:`TokenCipher` encrypts with the first and decrypts with any
(cryptography's ``MultiFernet``), so a key is rotated by putting a new one in front, re-encrypting what is
stored (``saleshome app rotate-keys``: ``MultiFernet.rotate``), then removing the old one.  The CLI may read
the keys from a Prefect Secret block instead (``--secret-key-block``); the app itself never imports Prefect.

Invariants: a token is never stored, logged or put in an error in clear text; an error names the setting,
never a key; a stored value no key can read is a :class:`~saleshome.errors.ConfigurationError` (the key it
was written with was removed too early), never a silent empty token.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from saleshome.errors import ConfigurationError

__all__ = ["SECRET_KEY_SETTING", "TokenCipher", "new_key"]

SECRET_KEY_SETTING = "SALESHOME_SECRET_KEY"


def new_key() -> str:
    """A fresh Fernet key (to put in front of ``SALESHOME_SECRET_KEY``)."""
    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    """Encrypts with the newest key, decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        cleaned = [k.strip() for k in keys if k.strip()]
        if not cleaned:
            raise ConfigurationError(f"{SECRET_KEY_SETTING} is not set: members' Salesforce tokens cannot be kept",
                                     hint="set it to a Fernet key: python -c \"from cryptography.fernet import "
                                          "Fernet; print(Fernet.generate_key().decode())\"")
        fernets = []
        for position, key in enumerate(cleaned, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise ConfigurationError(
                    f"{SECRET_KEY_SETTING}: key {position} of {len(cleaned)} is not a Fernet key",
                    hint="each key is 32 bytes in url-safe base64 (44 characters), keys separated by commas") from None
        self._fernet = MultiFernet(fernets)
        self.keys = len(fernets)

    @classmethod
    def from_text(cls, text: str | None) -> TokenCipher:
        """The keys as ``SALESHOME_SECRET_KEY`` holds them (comma-separated, newest first)."""
        return cls((text or "").split(","))

    def __repr__(self) -> str:
        return f"TokenCipher(keys={self.keys})"

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise ConfigurationError(
                f"a member's stored Salesforce token cannot be decrypted with any key of {SECRET_KEY_SETTING}",
                hint="keep the key it was written with (after the new one) until `saleshome app rotate-keys` "
                     "has run; members whose tokens were lost connect again") from None

    def rotate(self, stored: str) -> str:
        """``stored`` re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise ConfigurationError(
                f"a member's stored Salesforce token cannot be decrypted with any key of {SECRET_KEY_SETTING}",
                hint="put back the key it was written with (after the new one), then rotate") from None
