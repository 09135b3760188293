"""Salesforce credentials: where they live (a reference we store) and how to read them (only when needed).

The control database stores a *reference* such as ``env:SALESHOME_SF_ACME`` or
``prefect-secret:acme-salesforce`` — never a secret.  Resolving it gives a
:class:`Credentials` whose secret values are ``SecretStr`` (masked in repr, logs and
tracebacks).

Environment variables for ``env:PREFIX``: ``PREFIX_CLIENT_ID``, ``PREFIX_CLIENT_SECRET``,
``PREFIX_USERNAME``, ``PREFIX_PASSWORD``, ``PREFIX_SECURITY_TOKEN``, ``PREFIX_REFRESH_TOKEN``,
``PREFIX_PRIVATE_KEY`` (PEM text) or ``PREFIX_PRIVATE_KEY_FILE``.  A Prefect Secret block
holds the same keys, lower case, as a JSON object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from saleshome.errors import ConfigurationError, InputFileError
from saleshome.textfiles import read_text_file


class AuthMethod(StrEnum):
    """How the integration user logs in (OAuth 2.0 flows Salesforce supports for integrations)."""

    CLIENT_CREDENTIALS = "client-credentials"
    JWT = "jwt"
    REFRESH_TOKEN = "refresh-token"
    PASSWORD = "password"


REQUIRED: dict[AuthMethod, tuple[str, ...]] = {
    AuthMethod.CLIENT_CREDENTIALS: ("client_id", "client_secret"),
    AuthMethod.JWT: ("client_id", "username", "private_key"),
    AuthMethod.REFRESH_TOKEN: ("client_id", "refresh_token"),
    AuthMethod.PASSWORD: ("client_id", "client_secret", "username", "password"),
}
_KEYS = ("client_id", "client_secret", "username", "password", "security_token", "refresh_token", "private_key")


class Credentials(BaseModel):
    """Secret values of one org's integration user (repr and str never show them)."""

    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    private_key: SecretStr | None = None

    def require(self, method: AuthMethod, where: str) -> None:
        missing = [k for k in REQUIRED[method] if getattr(self, k) is None]
        if missing:
            raise ConfigurationError(
                f"the {method.value} login needs {', '.join(missing)}, which {where} does not provide",
                hint=f"set {', '.join(missing)} in {where}",
            )

    @staticmethod
    def secret(value: SecretStr | None) -> str:
        return value.get_secret_value() if value is not None else ""


Resolver = Callable[[str], Mapping[str, Any]]


def read_env(prefix: str) -> dict[str, Any]:
    """The credential values found in ``PREFIX_*`` environment variables."""
    values: dict[str, Any] = {}
    for key in _KEYS:
        raw = os.environ.get(f"{prefix}_{key.upper()}")
        if raw:
            values[key] = raw
    key_file = os.environ.get(f"{prefix}_PRIVATE_KEY_FILE")
    if key_file and "private_key" not in values:
        try:
            values["private_key"] = read_text_file(Path(key_file), secret=True)
        except InputFileError as exc:
            raise ConfigurationError(f"{prefix}_PRIVATE_KEY_FILE: {exc.message}",
                                     hint="point it at a readable PEM file") from None
    return values


def env_prefix_for(alias: str) -> str:
    return "SALESHOME_SF_" + re.sub(r"[^A-Z0-9]", "_", alias.upper())


def resolve(ref: str, resolvers: Mapping[str, Resolver] | None = None) -> Credentials:
    """Read the credentials a reference points to (``env:PREFIX`` built in; others plugged in)."""
    kind, _, name = ref.partition(":")
    table: dict[str, Resolver] = {"env": read_env, **(resolvers or {})}
    if kind not in table or not name:
        known = ", ".join(f"{k}:NAME" for k in table)
        raise ConfigurationError(f"unknown credential reference {ref!r}", hint=f"use one of {known}")
    values = table[kind](name)
    return Credentials(**{k: v for k, v in values.items() if k in _KEYS})
