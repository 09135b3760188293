"""Operating Sales Home without Prefect: the delivery of the outbox, the digest step, housekeeping.

The same functions serve ``saleshome outbox publish | digest | housekeeping`` and the Prefect
flows' tasks (``flows/``, ``tasks/``), so the CLI alone is a complete way to operate.  No
Prefect import here.
"""

from .delivery import NO_ADMIN_TOKEN, Delivery, deliver, keep_permalinks, publish_messages, set_banners
from .scheduled import DigestRun, HousekeepingRun, clear_banners, evaluate_time_based, run_digest, run_housekeeping

__all__ = [
    "NO_ADMIN_TOKEN",
    "Delivery",
    "DigestRun",
    "HousekeepingRun",
    "clear_banners",
    "deliver",
    "evaluate_time_based",
    "keep_permalinks",
    "publish_messages",
    "run_digest",
    "run_housekeeping",
    "set_banners",
]
