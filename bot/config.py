"""Settings for every `journeybot` command, in one object (pydantic-settings): from the
environment, a `.env` file in the working directory (or `--env-file`), and command-line
options, which win. A wrong value is one line naming the variable and what it expects.

The database URL is resolved here and nowhere else: `JOURNEYBOT_DATABASE_URL`, or a SQLite
file `journeybot.db` in the working directory, made absolute so every line that names it
says where the data really is."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage import database

TELEGRAM_API_URL = "https://api.telegram.org"
TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
PREFIX = "JOURNEYBOT_"
TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram delivers webhooks to these ports only.
WEBHOOK_PORTS = (443, 80, 88, 8443)
DEFAULT_WEBHOOK_PORT = 8443
RESERVED_PATHS = ("/healthz", "/metrics", "/app")

# What each setting expects, in the words of the one line a bad value gets.
EXPECTED = {
    "port": "a port number from 0 to 65535",
    "webhook_max_connections": "a whole number from 1 to 100",
    "messages_per_second": "a whole number, at least 1",
    "group_messages_per_minute": "a whole number, at least 1",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR",
    "log_format": "text or json",
    "migrate": "true or false",
    "outbox_lease": "a number of seconds above 0",
    "retry_pause": "a number of seconds above 0",
    "outage_wait": "a number of seconds, 0 or more",
    "read_timeout": "a number of seconds above 0",
    "group_window": "a number of seconds above 0",
    "webapp_short_name": "the Mini App's short name from @BotFather: 3 to 30 letters, digits or _",
    "webapp_max_age": "a number of seconds above 0",
    "webapp_link_days": "a number of days above 0",
    "webapp_session_idle": "a number of seconds above 0",
}


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which, in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    bot_token: SecretStr | None = Field(None, validation_alias=TOKEN_VARIABLE)
    database_url: str = database.DEFAULT_URL
    api_url: str = TELEGRAM_API_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Webhook mode (polling without it).
    webhook_url: str | None = None
    webhook_path: str | None = None  # where the server serves it; default: the URL's path
    webhook_secret: SecretStr | None = None
    webhook_max_connections: int = Field(40, ge=1, le=100)
    # The HTTP server (webhook, /healthz, /metrics): always in webhook mode; in polling mode
    # when a port is set.
    listen: str = "0.0.0.0"
    port: int | None = Field(None, ge=0, le=65535)
    cert: Path | None = None  # TLS certificate (PEM); self-signed ones are sent to Telegram
    key: Path | None = None
    migrate: bool = False  # `run`: migrate a PostgreSQL database on start (SQLite always is)
    # Names this process in logs, reminder claims and outbox leases. A restart on the same
    # machine takes over what the last run left unsent; several instances on one machine
    # need names of their own.
    instance: str = Field(default_factory=socket.gethostname)
    # Telegram lets a bot send about 20 messages a minute into one group; a self-hosted Bot
    # API server with other limits (or a test server) may set its own.
    group_messages_per_minute: int = Field(20, ge=1)
    group_window: float = Field(
        60.0, gt=0
    )  # seconds the group limit counts over (tests shorten it)
    messages_per_second: int = Field(30, ge=1)  # Telegram's overall limit for one bot
    # Seconds a reply being sent is held by one process; a process that dies holding it is
    # taken over after this long.
    outbox_lease: float = Field(30.0, gt=0)
    # Seconds before a failed send is tried again the first time; the pause then doubles, up
    # to five minutes.
    retry_pause: float = Field(1.0, gt=0)
    # Seconds an update waits for an unreachable database before the person is told that
    # their message was not saved.
    outage_wait: float = Field(30.0, ge=0)
    # Seconds to wait for the Bot API's answer to a request. A send whose answer never comes
    # is not sent again (it may have arrived), so this is long on purpose.
    read_timeout: float = Field(30.0, gt=0)
    # Several instances of one bot: Redis keeps their posting budget together (optional).
    redis_url: str | None = None
    # Business templates in the interview: the kind of business is asked, and its stages,
    # personas and suggestions are offered to tap. Off: the interview without them (scripts
    # and tests written for that order of questions).
    templates: bool = True
    # The Mini App (bot/webapp/): the public HTTPS address of this bot's HTTP server (a
    # reverse proxy in front of --port); with it every map gets an "Open map" button.
    webapp_url: str | None = None
    # Its short name in @BotFather (/newapp): groups open it by a t.me link (Telegram allows
    # web_app buttons in private chats only); without it a group gets the read-only link.
    webapp_short_name: str | None = Field(None, pattern=r"^[A-Za-z0-9_]{3,30}$")
    webapp_max_age: float = Field(86400.0, gt=0)  # seconds a Mini App launch stays signed in
    webapp_link_days: float = Field(7.0, gt=0)  # how long a read-only browser link works
    # Seconds without an edit that end a person's editing session (then the group is told).
    webapp_session_idle: float = Field(120.0, gt=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url", mode="after")
    @classmethod
    def _database(cls, value: str) -> str:
        try:
            url = database.database_url(value.strip())
        except database.UnsupportedDatabase as problem:
            raise ValueError(str(problem)) from None
        path = database.sqlite_path(url)
        if path is not None and not path.is_absolute():
            url = f"sqlite+aiosqlite:///{path.resolve()}"
        return url

    @field_validator("api_url", "webhook_url", "webapp_url", mode="after")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL")
        return value.strip().rstrip("/") if parts.path in ("", "/") else value.strip()

    @field_validator("webhook_path", mode="after")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return "/" + value.strip().strip("/")

    @model_validator(mode="after")
    def _webapp(self) -> Settings:
        if self.webapp_url is None:
            return self
        if self.http_port is None:
            raise ValueError(
                "JOURNEYBOT_WEBAPP_URL: the web app is served by the HTTP server; set --port "
                "(JOURNEYBOT_PORT)"
            )
        if self.api_url == TELEGRAM_API_URL and urlsplit(self.webapp_url).scheme != "https":
            raise ValueError("JOURNEYBOT_WEBAPP_URL: Telegram opens Mini Apps over HTTPS only")
        return self

    @model_validator(mode="after")
    def _webhook(self) -> Settings:
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise ValueError("webhook mode needs a secret: set JOURNEYBOT_WEBHOOK_SECRET")
        if not SECRET_SHAPE.match(secret):
            raise ValueError(
                "JOURNEYBOT_WEBHOOK_SECRET: expected 1 to 256 letters, digits, _ or - "
                "(Telegram's rule)"
            )
        if self.served_path in RESERVED_PATHS:
            raise ValueError(
                f"the webhook cannot be served at {self.served_path}: pick another path"
            )
        if self.api_url == TELEGRAM_API_URL:
            parts = urlsplit(self.webhook_url)
            if parts.scheme != "https":
                raise ValueError(
                    "JOURNEYBOT_WEBHOOK_URL: Telegram delivers webhooks over HTTPS only"
                )
            if (parts.port or 443) not in WEBHOOK_PORTS:
                raise ValueError(
                    "JOURNEYBOT_WEBHOOK_URL: Telegram delivers webhooks to ports 443, 80, 88 "
                    "or 8443 only"
                )
        if (self.cert is None) != (self.key is None):
            raise ValueError("a certificate needs its key: set both --cert and --key")
        for path in (self.cert, self.key):
            if path is not None and not path.is_file():
                raise ValueError(f"no such file: {path}")
        return self

    # --- derived --------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""

    @property
    def secret(self) -> str:
        return self.webhook_secret.get_secret_value() if self.webhook_secret else ""

    @property
    def base_url(self) -> str:
        """PTB's base_url: `<api>/bot`, to which it appends the token and the method."""
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/file/bot"

    @property
    def served_path(self) -> str:
        """Where the HTTP server serves the webhook: `--webhook-path`, or the URL's path."""
        if self.webhook_path:
            return self.webhook_path
        path = urlsplit(self.webhook_url or "").path
        return "/" + path.strip("/") if path.strip("/") else "/"

    @property
    def http_port(self) -> int | None:
        """The HTTP server's port: set, or 8443 in webhook mode; None: no server."""
        if self.port is not None:
            return self.port
        return DEFAULT_WEBHOOK_PORT if self.webhook_url else None

    @property
    def secrets(self) -> list[str]:
        """What must never reach a log line."""
        return [s for s in (self.token, self.secret) if s]

    def require_token(self) -> str:
        token = self.token.strip()
        if not token:
            raise ConfigError(
                f"{TOKEN_VARIABLE} is not set: put the token from @BotFather in the "
                "environment or in a .env file (journeybot chat needs no token)"
            )
        if not TOKEN_SHAPE.match(token):
            raise ConfigError(
                f"{TOKEN_VARIABLE} does not look like a bot token (digits, a colon, then "
                "letters and digits): copy it again from @BotFather"
            )
        return token


def _variable(field: str, options: set[str]) -> str:
    if field in options:
        return f"--{field.replace('_', '-')}"
    if field == "bot_token":
        return TOKEN_VARIABLE
    return f"{PREFIX}{field.upper()}"


def _one_line(problem: ValidationError, options: set[str]) -> str:
    lines = []
    for error in problem.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if not field:  # a rule between settings: its message names them
            lines.append(message)
            continue
        expected = EXPECTED.get(field, message)
        value = error.get("input")
        # These may hold a password: never repeated.
        private = field in ("bot_token", "webhook_secret", "database_url", "redis_url")
        shown = "" if private or isinstance(value, dict) else f"={value!r}"
        lines.append(f"{_variable(field, options)}{shown} is not valid: {expected}")
    return "; ".join(lines)


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """The settings, or ConfigError with one line saying what is wrong. `overrides` are
    command-line options (None: not given)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if env_file is not None and not env_file.is_file():
        raise ConfigError(f"--env-file {env_file}: no such file")
    try:
        return Settings(_env_file=env_file or ".env", **given)
    except ValidationError as problem:
        raise ConfigError(_one_line(problem, set(given))) from None
