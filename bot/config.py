"""Settings for `journeybot run`, from the environment or a `.env` file."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

TELEGRAM_API_URL = "https://api.telegram.org"


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which, in one line."""


@dataclass(frozen=True)
class Settings:
    token: str
    database_url: str | None
    api_url: str
    log_level: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "0.0.0.0"
    port: int = 8443
    instance: str = ""  # names this process in logs and reminder claims
    # Telegram lets a bot send about 20 messages a minute into one group; a self-hosted Bot
    # API server with other limits (or a test server) may set its own.
    group_messages_per_minute: int = 20
    group_window: float = 60.0  # seconds the group limit counts over (tests shorten it)
    messages_per_second: int = 30  # Telegram's overall limit for one bot
    # Seconds a reply being sent is held by one process; a process that dies holding it is
    # taken over after this long.
    outbox_lease: float = 30.0
    # Seconds an update waits for an unreachable database before the person is told that
    # their message was not saved.
    outage_wait: float = 30.0
    # Seconds to wait for the Bot API's answer to a request. A send whose answer never comes
    # is not sent again (it may have arrived), so this is long on purpose.
    read_timeout: float = 30.0
    # Several instances of one bot: Redis keeps their posting budget together (optional).
    redis_url: str | None = None

    @property
    def base_url(self) -> str:
        """PTB's base_url: `<api>/bot`, to which it appends the token and the method."""
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/file/bot"


def load_settings(env_file: Path | None = None, **overrides: object) -> Settings:
    load_dotenv(env_file or Path.cwd() / ".env", override=False)
    token = str(overrides.get("token") or os.environ.get("TELEGRAM_BOT_TOKEN", "")).strip()
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
            "or in a .env file (journeybot chat needs no token)"
        )
    webhook_url = overrides.get("webhook_url") or os.environ.get("JOURNEYBOT_WEBHOOK_URL")
    secret = overrides.get("webhook_secret") or os.environ.get("JOURNEYBOT_WEBHOOK_SECRET")
    if webhook_url and not secret:
        raise ConfigError("webhook mode needs a secret: set JOURNEYBOT_WEBHOOK_SECRET")
    return Settings(
        token=token,
        database_url=os.environ.get("JOURNEYBOT_DATABASE_URL") or None,
        api_url=os.environ.get("JOURNEYBOT_API_URL") or TELEGRAM_API_URL,
        log_level=(os.environ.get("JOURNEYBOT_LOG_LEVEL") or "INFO").upper(),
        webhook_url=str(webhook_url) if webhook_url else None,
        webhook_secret=str(secret) if secret else None,
        listen=str(overrides.get("listen") or os.environ.get("JOURNEYBOT_LISTEN", "0.0.0.0")),
        port=int(str(overrides.get("port") or os.environ.get("JOURNEYBOT_PORT", "8443"))),
        # A restart on the same machine takes over what the last run left unsent; several
        # instances on one machine need names of their own.
        instance=os.environ.get("JOURNEYBOT_INSTANCE") or socket.gethostname(),
        group_messages_per_minute=int(os.environ.get("JOURNEYBOT_GROUP_MESSAGES_PER_MINUTE", "20")),
        group_window=float(os.environ.get("JOURNEYBOT_GROUP_WINDOW", "60")),
        messages_per_second=int(os.environ.get("JOURNEYBOT_MESSAGES_PER_SECOND", "30")),
        outbox_lease=float(os.environ.get("JOURNEYBOT_OUTBOX_LEASE", "30")),
        outage_wait=float(os.environ.get("JOURNEYBOT_OUTAGE_WAIT", "30")),
        read_timeout=float(os.environ.get("JOURNEYBOT_READ_TIMEOUT", "30")),
        redis_url=os.environ.get("JOURNEYBOT_REDIS_URL") or None,
    )
