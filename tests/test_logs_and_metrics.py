"""The logging filters (secrets out, network errors and floods to one line) and the metrics
module's sampled gauges, on their own."""

from __future__ import annotations

import io
import logging
import time
from urllib.parse import quote

import httpx
from telegram.error import NetworkError

from bot import logs, metrics

TOKEN = "123456789:AAFakeSecretHalfOfTheToken_0123"
SECRET = "webhook-Secret_42"


def logger_with(*filters: logging.Filter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for f in filters:
        handler.addFilter(f)
    logger = logging.getLogger(f"test.{time.monotonic_ns()}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_the_token_and_the_secret_are_redacted_everywhere_in_a_record() -> None:
    logger, out = logger_with(logs.Redact([TOKEN, SECRET]))
    logger.debug("POST http://api/bot%s/getMe", TOKEN)
    logger.info("encoded %s and half %s", quote(TOKEN, safe=""), TOKEN.split(":")[1])
    logger.warning({"secret_token": SECRET})
    try:
        raise RuntimeError(f"failed at https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        logger.exception("with a traceback")
    text = out.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and SECRET not in text
    assert quote(TOKEN, safe="") not in text
    assert text.count("[redacted]") == 5 and "Traceback" in text


def test_a_network_error_is_one_line_without_its_traceback() -> None:
    logger, out = logger_with(logs.NetworkErrorsInOneLine())
    for problem in (NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("down")):
        try:
            raise problem
        except Exception:
            logger.exception("polling failed")
    try:
        raise ValueError("a bug")
    except ValueError:
        logger.exception("a real error")
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "ERROR " + logger.name + ": polling failed (NetworkError: httpx.ConnectError: refused)"
    )
    assert lines[1].endswith("polling failed (ConnectError: down)")
    assert "Traceback" in out.getvalue().split("a real error", 1)[1]  # others keep theirs


def test_a_flood_of_the_same_line_is_one_line_then_a_count() -> None:
    logger, out = logger_with()
    logger.addFilter(logs.Repeats(every=0.2))
    for _ in range(500):
        logger.warning("Invalid HTTP request received.")
    time.sleep(0.25)
    logger.warning("Invalid HTTP request received.")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[1].endswith("(499 more like this in the last minute)")


async def test_sampled_gauges_are_read_when_scraped_and_absent_when_unregistered() -> None:
    backlog = [3]

    async def outbox() -> int:
        return backlog[0]

    assert b"journeybot_outbox_backlog" not in await metrics.render_latest()
    metrics.set_outbox_backlog(outbox)
    try:
        assert b"journeybot_outbox_backlog 3.0" in await metrics.render_latest()
        backlog[0] = 7
        assert b"journeybot_outbox_backlog 7.0" in await metrics.render_latest()

        async def database_down() -> int:
            raise OSError("connection refused")

        metrics.set_outbox_backlog(database_down)
        assert b"journeybot_outbox_backlog" not in await metrics.render_latest()
        metrics.set_outbox_backlog(lambda: 2)  # a plain callable works too
        assert b"journeybot_outbox_backlog 2.0" in await metrics.render_latest()
    finally:
        metrics.set_outbox_backlog(None)
    assert b"journeybot_outbox_backlog" not in await metrics.render_latest()


def test_updates_are_counted_by_kind() -> None:
    from telegram import CallbackQuery, Update, User

    def count(kind: str) -> float:
        return metrics.UPDATES.labels(kind)._value.get()

    before = count("callback_query")
    query = CallbackQuery("1", User(1, "a", False), "chat")
    with metrics.observe_update(Update(1, callback_query=query)):
        pass
    assert count("callback_query") == before + 1
