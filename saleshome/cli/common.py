"""Where the CLI finds org secrets besides the environment: a Prefect Secret block (``prefect-secret:NAME``).

Prefect is imported only when an org's credentials live in such a block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleshome.salesforce.credentials import Resolver


def _secret_block(name: str) -> Mapping[str, Any]:
    from tasks.credentials import read_secret_block

    return read_secret_block(name)


RESOLVERS: dict[str, Resolver] = {"prefect-secret": _secret_block}
