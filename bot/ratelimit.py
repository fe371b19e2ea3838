"""Requests that survive Telegram's bad moments without ever doubling a message.

Flood limits (429 RetryAfter) are waited out by PTB's AIORateLimiter: a 429 means the request
was not carried out. On top of that, a request is tried again here only when that is safe:
- it never reached Telegram (no connection, connect or pool timeout), whatever it was; or
- it is a read or a request whose repetition changes nothing (getMe, answerCallbackQuery,
  editing a message to the same text, a reaction, setting the command menu…).
A message, photo or file whose answer was lost is not sent again here: the outbox decides
(bot/courier.py), so the person never sees it twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
NETWORK_ATTEMPTS = 4
FIRST_PAUSE = 0.5  # seconds; doubled after each failed attempt
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Requests that may be repeated without a second effect.
IDEMPOTENT = frozenset(
    {
        "getMe",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
        "getWebhookInfo",
        "getMyCommands",
        "getFile",
        "answerCallbackQuery",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "setMessageReaction",
        "sendChatAction",
        "setMyCommands",
        "deleteMyCommands",
        "setWebhook",
        "deleteWebhook",
        "setChatMenuButton",
        "deleteMessage",
    }
)


def safe_to_repeat(endpoint: str, problem: NetworkError) -> bool:
    return endpoint in IDEMPOTENT or isinstance(problem.__cause__, NOT_SENT)


class RetryingRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback,
        args,
        kwargs,
        endpoint,
        data,
        rate_limit_args,
    ) -> Any:
        pause = FIRST_PAUSE
        for attempt in range(1, NETWORK_ATTEMPTS + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:  # our request is wrong: sending it again will not help
                raise
            except NetworkError as problem:
                if (
                    endpoint == "getUpdates"  # the updater polls again by itself
                    or attempt == NETWORK_ATTEMPTS
                    or not safe_to_repeat(endpoint, problem)
                ):
                    raise
                log.warning(
                    "%s failed (%s); attempt %d of %d", endpoint, problem, attempt, NETWORK_ATTEMPTS
                )
                await asyncio.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")
