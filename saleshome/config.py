"""Sales Home settings read from the environment (``SALESHOME_*``) — only when asked, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from saleshome.errors import ConfigurationError


class Settings(BaseSettings):
    """Where state lives and how syncs behave; every value has a documented default."""

    model_config = SettingsConfigDict(env_prefix="SALESHOME_", extra="ignore")

    home: Path = Field(default=Path(".saleshome"), description="Directory of the control and per-org databases.")
    workspace: str = Field(default="default", description="The Slack workspace (or Enterprise org) this serves.")
    max_orgs: int = Field(default=20, ge=1, description="Orgs a workspace may connect (Sales Home allows 20).")
    lookback_seconds: int = Field(default=600, ge=0, description="Re-read this much before the cursor each run.")
    safety_lag_seconds: int = Field(default=30, ge=0, description="Signpost = Salesforce server time minus this.")
    bulk_threshold: int = Field(default=20_000, ge=1, description="Windows with at least this many rows use Bulk 2.0.")
    api_reserve: float = Field(default=0.10, ge=0, lt=1, description="Stop before DailyApiRequests falls under this.")
    reconcile_hours: float = Field(default=24, gt=0, description="Full Id reconciliation (hard deletes) every N hours.")
    reconcile_every_run_rows: int = Field(
        default=50_000, ge=0,
        description="Deletable objects without IsDeleted (every delete is a hard delete, e.g. "
                    "PermissionSetAssignment) with fewer rows than this reconcile Ids at every sync, "
                    "not every reconcile_hours: a revoked assignment ends Sales Home at the next sync.",
    )
    lock_timeout_seconds: float = Field(default=60, gt=0, description="How long to wait for a DuckDB file lock or for the control store's write lock (SQLite).")
    heartbeat_seconds: float = Field(
        default=10, gt=0,
        description="A running sync refreshes its run's heartbeat this often; a run whose heartbeat is older than "
                    "6 of these (or whose process is gone from this host) is shown as crashed.",
    )
    chunk_rows: int = Field(default=250_000, ge=1, description="Windows with more rows are cut in committed slices.")
    duckdb_memory_limit: str = Field(default="280MB", description="DuckDB memory limit of a sync (it spills beyond).")
    duckdb_checkpoint_wal: str = Field(
        default="64MB", pattern=r"^\d+(\.\d+)?\s*[KMG]i?B$",
        description="An org's DuckDB file is checkpointed when its write-ahead log outgrows this (and after "
                    "initial and full syncs), not at every sync.",
    )
    bulk_page_records: int = Field(default=100_000, ge=1, description="maxRecords per Bulk 2.0 result page.")

    slack_bot_token: SecretStr | None = Field(default=None, description="The Sales Home app's bot token (xoxb-…).")
    slack_api_url: str | None = Field(default=None, description="Slack Web API base URL (only for the sandbox).")
    slack_admin_token: SecretStr | None = Field(
        default=None, description="A user token (xoxp-…) of a workspace admin or owner with users.profile:write and "
                                  "users.profile:read: sets celebration banners on members' profiles.")
    default_currency: str = Field(default="USD", description="Currency of amounts in orgs without multiple currencies "
                                                             "(when Organization is not synced).")
    slack_posts_per_second: float = Field(default=1.0, gt=0, description="Pace of posts per channel (Slack: ~1/s).")
    publish_workers: int = Field(default=8, ge=1, description="Channels published in parallel.")

    sales_home_permission_set: str = Field(
        default="Slack Sales Home User",
        description="The Salesforce permission set that gives a member Sales Home (read from PermissionSetAssignment)",
    )
    list_view_max_rows: int = Field(default=2000, ge=1, description="Rows kept per materialised default list view")
    actor: str | None = Field(default=None, description="Slack user id (U…) acting in settings commands "
                                                        "when `--as` is not given.")

    slack_signing_secret: SecretStr | None = Field(
        default=None, description="The Slack app's signing secret: the app (`saleshome app serve`) refuses every "
                                  "request not signed with it.")
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key(s) that encrypt members' Salesforce tokens in the control store, "
                                  "comma-separated, newest first (older ones only decrypt: key rotation).")
    app_url: str | None = Field(
        default=None, description="The Slack app's public base URL (the Salesforce OAuth callback is "
                                  "{app_url}/salesforce/oauth/callback); unset: http://{host}:{port} it serves on.")
    oauth_state_seconds: float = Field(default=600, gt=0, description="How long a member's \"Connect Salesforce\" "
                                                                      "link stays valid (single use).")

    database_url: SecretStr | None = Field(
        default=None,
        description="The control store on PostgreSQL (postgresql+psycopg://user:password@host:5432/saleshome) when "
                    "several machines share it; unset: SQLite in the home (control.sqlite).")

    @property
    def control_db(self) -> str:
        """The control store's SQLAlchemy URL (it may hold a password: never print it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'control.sqlite'}"

    def org_db(self, alias: str) -> Path:
        return self.home / "orgs" / f"{alias}.duckdb"


def load_settings(**overrides: object) -> Settings:
    """Read the settings now (environment, then ``overrides``)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def require_existing_home(settings: Settings) -> Settings:
    """``settings``, once its home holds a control database: commands that only read (lists, show, export,
    stats, status) call this first, so that reading never creates a home or a database file."""
    stores = (settings.home / "control.sqlite", settings.home / "control.duckdb")  # the old file moves on first use
    if settings.database_url is None and not any(store.is_file() for store in stores):
        where = settings.home.absolute()
        found = "that directory does not exist" if not settings.home.exists() else "it holds no control store"
        raise ConfigurationError(
            f"no Sales Home at {where} ({found}); nothing to show",
            hint="set SALESHOME_HOME to the directory of an existing Sales Home, or start one by connecting an "
                 "org (`saleshome org add`)")
    return settings
