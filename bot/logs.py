"""Logging for `journeybot run`: one line per event, text or JSON, and never a secret.

- `Redact`, a filter on the root handlers, replaces the bot token and the webhook secret in
  every record at every level — the message, its arguments, the traceback — so httpx's DEBUG
  lines (the request URL carries the token) are safe to turn on.
- `NetworkErrorsInOneLine` keeps a lost connection to one line, whoever logs it.
- `Repeats` lets the same message through once a minute and counts the rest, for the lines a
  flood of bad clients would repeat (uvicorn's "Invalid HTTP request received.").
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that talk too much at INFO; they follow the configured level only at DEBUG.
CHATTY = ("httpx", "httpcore", "transitions", "hpack", "aiosqlite", "asyncio", "alembic")


class Redact(logging.Filter):
    """Takes the secrets out of a record (installed on handlers, so it sees every record
    that any logger passes on, whatever its level)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        found: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            found |= {secret, quote(secret, safe=""), quote(secret)}
            _, colon, tail = secret.partition(":")
            if colon and len(tail) >= 8:  # the token's secret half, also on its own
                found.add(tail)
        # Longest first, so a secret inside another is not half-replaced.
        self.secrets = sorted(found, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we have
            message = str(record.msg)
        record.msg = self.clean(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


class NetworkErrorsInOneLine(logging.Filter):
    """A lost connection says nothing more in a traceback than in its message: records that
    carry one (PTB logs them, e.g. its last getUpdates at shutdown) keep one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        problem = record.exc_info[1] if record.exc_info else None
        if problem is not None and _is_network_error(problem):
            record.msg = f"{record.getMessage()} ({type(problem).__name__}: {problem})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _is_network_error(problem: BaseException) -> bool:
    from telegram.error import NetworkError

    try:
        import httpx
    except ImportError:  # pragma: no cover - a dependency of PTB
        return isinstance(problem, NetworkError | ConnectionError)
    return isinstance(problem, NetworkError | httpx.TransportError | ConnectionError)


class Repeats(logging.Filter):
    """The same message from the same logger at most once per `every` seconds; the next
    one that passes says how many were held back."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every = every
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.every:
            self._last[key] = (last[0], last[1] + 1)
            return False
        held = last[1] if last else 0
        self._last[key] = (now, 0)
        if held:
            record.msg = f"{record.getMessage()} ({held} more like this in the last minute)"
            record.args = None
        if len(self._last) > 1000:  # never grows without bound
            self._last.clear()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class AcceptErrors(logging.Filter):
    """asyncio's "socket.accept() out of system resource" (a traceback each time the open-file
    limit is hit) as one line a minute."""

    def __init__(self) -> None:
        super().__init__()
        self.repeats = Repeats()

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("socket.accept() out of system resource"):
            return True
        problem = record.exc_info[1] if record.exc_info else None
        record.msg = (
            f"cannot accept HTTP connections: {problem or 'out of a system resource'}; "
            "raise the open-file limit (LimitNOFILE=) or look for a flood of connections"
        )
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return self.repeats.filter(record)


def setup(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Root handler on stderr with the redaction filter; chatty libraries quietened."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(NetworkErrorsInOneLine())
    handler.addFilter(Redact(secrets))
    root.addHandler(handler)
    root.setLevel(getattr(logging, level, logging.INFO))
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        # Its INFO lines ("Started server process") repeat what journeybot says.
        logger.setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
        if not any(isinstance(f, Repeats) for f in logger.filters):
            logger.addFilter(Repeats())
    logging.getLogger("uvicorn.access").disabled = True
    aio = logging.getLogger("asyncio")
    if not any(isinstance(f, AcceptErrors) for f in aio.filters):
        aio.addFilter(AcceptErrors())


def add_secrets(secrets: Iterable[str]) -> None:
    """More secrets for the filters already installed (e.g. learnt after start-up)."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, Redact):
                merged = Redact([*f.secrets, *secrets])
                f.secrets = merged.secrets
