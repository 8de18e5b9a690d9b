"""Settings: every MONITOR_* environment variable, with its default.

One `Settings` object is built at the edge (CLI, API factory, Celery app) and passed
down; nothing reads the environment behind the caller's back, so tests build their
own `Settings(...)` instead of patching a module global.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


class Settings(BaseSettings):
    """Service configuration read from MONITOR_* variables (and an optional .env file)."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", env_file=".env", extra="ignore")

    # Storage and broker. Empty means the embedded default under data_dir.
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite file under data_dir")
    broker_url: str = Field("", description="Celery broker URL; empty = filesystem broker under data_dir")
    data_dir: Path = Field(Path("./var"), description="Where the embedded default keeps its files")
    task_queue: str = Field("monitor", description="Celery queue name (lets deployments share a broker)")

    # Feed fetching.
    user_agent: str = Field(
        "sanctions-monitor/0.1 (+https://github.com/sanctions-monitor/sanctions-monitor)",
        description="User-Agent sent with every request",
    )
    fetch_connect_timeout: float = Field(10.0, description="Seconds to wait for a connection")
    fetch_timeout: float = Field(20.0, description="Seconds for the whole request, body included")
    fetch_max_bytes: int = Field(15 * 1024 * 1024, description="Body cap, counted after decompression")
    fetch_max_redirects: int = Field(5, description="Redirect hops followed at most")
    allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs that user-supplied URLs may reach although private or loopback",
    )

    # Polling schedule.
    poll_interval: int = Field(900, description="Default seconds between polls of one feed")
    poll_min_interval: int = Field(300, description="Never poll a feed more often than this")
    poll_max_interval: int = Field(86400, description="Never wait longer than this between polls")
    poll_max_backoff: int = Field(86400, description="Longest wait after repeated errors")
    poll_batch: int = Field(500, description="Feeds queued per beat tick at most")
    quiet_after_hours: int = Field(72, description="Flag a daily-publishing feed quiet after this silence")

    # Matching.
    rules_dir: Path | None = Field(None, description="Folder of users' own rule YAML files")
    rescreen_days: int = Field(30, description="Days of stored articles rescanned when a list adds names")
    screen_threshold: float = Field(0.7, description="Screening decision threshold")
    screen_cache_enabled: bool = Field(
        True, description="Keep the built screening index under data_dir/cache for the next process"
    )
    match_cache_enabled: bool = Field(
        True, description="Keep the compiled matching index and parsed rules under data_dir/cache for the next process"
    )
    match_background_min_aliases: int = Field(
        20000, description="A matcher with this many aliases is rebuilt in the background (the old one serves)"
    )

    # Lists.
    lists_update_enabled: bool = Field(False, description="Run `lists update` daily from beat")
    lists_datasets: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["us_ofac_sdn", "us_ofac_cons", "un_sc_sanctions", "eu_fsf", "gb_hmt_sanctions"],
        description="Datasets `lists update` downloads (comma-separated)",
    )
    lists_mirror_url: str = Field(
        "", description="Fetch list files from <mirror>/<dataset>/<file> instead of the publishers (empty = official)"
    )
    lists_max_bytes: int = Field(300 * 1024 * 1024, description="Size cap of one downloaded list file")
    lists_fetch_timeout: float = Field(300.0, description="Seconds allowed for downloading one list file")

    # Delivery.
    smtp_host: str = Field("127.0.0.1", description="SMTP server host")
    smtp_port: int = Field(25, description="SMTP server port")
    smtp_tls: str = Field("none", description="none, starttls or ssl")
    smtp_user: str = Field("", description="SMTP user name (empty = no login)")
    smtp_password: str = Field("", description="SMTP password")
    smtp_sender: str = Field("sanctions-monitor@localhost", description="From address of e-mails")
    public_url: str = Field(
        "",
        description="Base URL of the service in links in messages (console pages); empty = the address `up` binds",
    )
    digest_skip_empty: bool = Field(False, description="Send no digest on a day without alerts")
    digest_lookback_days: float = Field(
        7.0, gt=0, description="A digest gathers not-yet-digested alerts created at most this many days ago"
    )
    secret_key: str = Field("", description="Encrypts webhook secrets at rest; empty = key file in data_dir")
    webhook_timeout: float = Field(10.0, description="Seconds a webhook or apprise endpoint has to answer")
    secret_rotation_hours: float = Field(24.0, description="Hours the previous webhook secret still signs")

    # API.
    api_host: str = Field("127.0.0.1", description="Address `up` binds the API to")
    api_port: int = Field(8000, description="Port `up` binds the API to")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS; empty = CORS off"
    )
    log_json: bool = Field(True, description="Structured JSON logs")
    api_key_cache_seconds: float = Field(
        5.0, ge=0, description="API keys are re-read from the database at least this often (revocation delay)"
    )
    demo: bool = Field(False, description="Serve the demo feed at /demo/feed.xml (`up --demo` sets it)")
    api_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Request bodies larger than this get 413 before they are parsed"
    )
    backtest_timeout: float = Field(
        10.0, gt=0, description="Seconds a rule backtest may run; then it stops and returns what it has"
    )
    backtest_max_cost: int = Field(
        1_000_000, ge=1, description="Backtest budget: articles x query clauses; larger runs are refused"
    )

    @field_validator("allowed_networks", "cors_origins", "lists_datasets", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value

    @property
    def embedded(self) -> bool:
        """True when running on the embedded defaults (no external database)."""
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitor.db').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        """The configured broker URL, or the embedded filesystem broker."""
        return self.broker_url or "filesystem://"

    @property
    def public_base_url(self) -> str:
        """Where people reach the service: `public_url`, else http://<api_host>:<api_port> (what `up` binds;
        a wildcard bind is named by this machine's host name)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.api_host
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 (recognising a wildcard bind, not binding)
            host = socket.gethostname()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.api_port}"

    @cached_property
    def allowed_ip_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """`allowed_networks` parsed once."""
        return [ipaddress.ip_network(c, strict=False) for c in self.allowed_networks]
