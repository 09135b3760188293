"""What the flows share: how many orgs run at once, the state of a run the API budget stopped, and an async
flow's run awaited from sync code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from prefect.states import Completed, State

from tasks.artifacts import flow_logger

MAX_PARALLEL_ORGS = 4  # orgs run at once by sales_home_all and sync_all_orgs (threads of one process)
PAUSED_FOR_QUOTA = "Paused for quota"


def paused(message: str, result: object = None) -> State[Any]:
    """The final state of a run stopped by the API budget: Completed, named "Paused for quota"."""
    flow_logger().warning(f"{PAUSED_FOR_QUOTA}: {message}")
    return Completed(name=PAUSED_FOR_QUOTA, message=f"{PAUSED_FOR_QUOTA}: {message}", data=result)


def finish(run: Awaitable[State[Any]]) -> State[Any]:
    """An async flow's run (``sync_org(..., return_state=True)``) called from sync code, to its final state."""
    async def awaited() -> State[Any]:
        return await run

    return asyncio.run(awaited())
