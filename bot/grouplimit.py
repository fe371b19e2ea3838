"""Telegram lets a bot post about 20 messages a minute into one group. A bucket that refills
(PTB's limiter) lets 20 out at once and then one every 3 s, so a busy minute can reach 40;
here it is a sliding window: at most `limit` posts in any `seconds` seconds, per group. A post
that does not fit waits in the outbox (it is not slept on), so other chats go on meanwhile."""

from __future__ import annotations

import time
from collections import deque

GROUP_POSTS = 20
GROUP_WINDOW = 60.0


# Telegram counts when a post arrives, we count when it leaves: a twentieth of the window is
# kept spare so that a post slowed on its way does not land inside the next window.
SPARE = 0.05


class GroupWindow:
    def __init__(self, limit: int = GROUP_POSTS, seconds: float = GROUP_WINDOW) -> None:
        self.limit = limit
        self.seconds = seconds * (1 + SPARE)
        self._sent: dict[str, deque[float]] = {}

    def reserve(self, chat_id: str, posts: int = 1) -> float:
        """Take room for `posts` posts now and return 0, or return the seconds until there
        is room (nothing taken)."""
        if posts <= 0 or not chat_id.startswith("-"):  # only groups have this limit
            return 0.0
        now = time.monotonic()
        sent = self._sent.setdefault(chat_id, deque())
        while sent and sent[0] <= now - self.seconds:
            sent.popleft()
        if len(sent) + posts > self.limit:
            return sent[len(sent) + posts - self.limit - 1] + self.seconds - now
        sent.extend([now] * posts)
        return 0.0

    def sent_in_window(self, chat_id: str) -> int:
        now = time.monotonic()
        return sum(1 for at in self._sent.get(chat_id, ()) if at > now - self.seconds)
