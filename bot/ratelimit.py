"""Sending that survives Telegram's bad moments: flood limits (429 RetryAfter) are waited
out by PTB's AIORateLimiter; a lost connection or a 5xx is retried a few times here."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
NETWORK_ATTEMPTS = 4
FIRST_PAUSE = 0.5  # seconds; doubled after each failed attempt


class RetryingRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback,
        args,
        kwargs,
        endpoint,
        data,  # type: ignore[no-untyped-def,override]
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
                if endpoint == "getUpdates" or attempt == NETWORK_ATTEMPTS:
                    raise
                log.warning(
                    "%s failed (%s); attempt %d of %d", endpoint, problem, attempt, NETWORK_ATTEMPTS
                )
                await asyncio.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")
