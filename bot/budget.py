"""The bot's posting budget: Telegram lets a bot post about 30 messages a second in all and 20
a minute into one group.

One instance keeps count itself (`LocalBudget`: a sliding window per group; PTB's limiter
holds the overall rate). Several instances of one bot share one budget in Redis
(`RedisBudget`, when JOURNEYBOT_REDIS_URL is set): each post takes its place in a sorted set
per window, all in one atomic script, so together they never exceed what one may send."""

from __future__ import annotations

import time
import uuid
from typing import Protocol

from bot.grouplimit import GROUP_POSTS, GROUP_WINDOW, SPARE, GroupWindow

PER_SECOND = 30


class Budget(Protocol):
    async def reserve(self, chat_id: str, posts: int = 1) -> float:
        """Take room for `posts` posts to the chat now and return 0, or return the seconds
        until there is room (nothing taken)."""
        ...


class LocalBudget:
    def __init__(self, window: GroupWindow | None = None) -> None:
        self.window = window or GroupWindow()

    async def reserve(self, chat_id: str, posts: int = 1) -> float:
        return self.window.reserve(chat_id, posts)


# KEYS: the windows to take room in; ARGV: now (ms), posts, a unique id, then per key its
# limit and length (ms). Either every window has room and all take it, or none does and the
# answer is how long (ms) until the fullest has room.
_RESERVE = """
local now = tonumber(ARGV[1])
local posts = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + 2 * i])
  local length = tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - length)
  local used = redis.call('ZCARD', key)
  if used + posts > limit then
    local oldest = redis.call('ZRANGE', key, used + posts - limit - 1, used + posts - limit - 1,
      'WITHSCORES')
    local free_at = tonumber(oldest[2]) + length
    if free_at - now > wait then wait = free_at - now end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local length = tonumber(ARGV[3 + 2 * i])
  for n = 1, posts do
    redis.call('ZADD', key, now, ARGV[3] .. ':' .. n)
  end
  redis.call('PEXPIRE', key, length)
end
return 0
"""


class RedisBudget:
    def __init__(
        self,
        url: str,
        *,
        per_second: int = PER_SECOND,
        group_posts: int = GROUP_POSTS,
        group_window: float = GROUP_WINDOW,
        prefix: str = "journeybot",
    ) -> None:
        from redis.asyncio import Redis  # only needed with a shared budget

        self.redis = Redis.from_url(url)
        self.per_second = per_second
        self.group_posts = group_posts
        self.group_window_ms = int(group_window * (1 + SPARE) * 1000)
        self.prefix = prefix
        self._script = self.redis.register_script(_RESERVE)

    async def reserve(self, chat_id: str, posts: int = 1) -> float:
        if posts <= 0:
            return 0.0
        keys = [f"{self.prefix}:posts"]
        limits: list[int] = [self.per_second, 1000]
        if chat_id.startswith("-"):  # a group
            keys.append(f"{self.prefix}:group:{chat_id}")
            limits += [self.group_posts, self.group_window_ms]
        now_ms = int(time.time() * 1000)
        wait_ms = await self._script(keys=keys, args=[now_ms, posts, uuid.uuid4().hex, *limits])
        return float(wait_ms) / 1000

    async def close(self) -> None:
        await self.redis.aclose()
