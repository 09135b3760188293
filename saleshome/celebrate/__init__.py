"""Won-deal celebrations (SPEC §3.6): detection in the change log (every change committed since the
celebrations' watermark), a three-day banner on the owner's Slack profile, and a shareable message
in the celebration channels.

The flow of one celebration: :func:`celebrate` (after a sync run) → outbox rows of kind
``celebration`` (posted by the publisher) and ``banner`` (set by :func:`apply_banners`) →
:func:`store_permalinks` once the messages are posted; :func:`clear_expired_banners` hourly.
No Prefect here: flows and tasks wrap these functions.
"""

from .banner import BannerStats, HousekeepingStats, apply_banners, clear_expired_banners
from .celebration import BANNER_KIND, MESSAGE_KIND, CelebrationSummary, celebrate
from .detect import CELEBRATION_WINDOW, REWIN_GAP, detect_wins
from .render import format_amount
from .share import PermalinkStats, recent_celebrations, store_permalinks

__all__ = [
    "BANNER_KIND",
    "CELEBRATION_WINDOW",
    "MESSAGE_KIND",
    "REWIN_GAP",
    "BannerStats",
    "CelebrationSummary",
    "HousekeepingStats",
    "PermalinkStats",
    "apply_banners",
    "celebrate",
    "clear_expired_banners",
    "detect_wins",
    "format_amount",
    "recent_celebrations",
    "store_permalinks",
]
