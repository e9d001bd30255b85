"""Telegram's flood limits, applied only in strict mode: what makes a real bot see 429s.

Roughly 30 messages a second overall, a burst of 3 then 1 a second in one private chat, and
20 a minute in a group. A bot that alarms a whole team at once must pace itself under these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .wire import ApiError


@dataclass
class TokenBucket:
    """Telegram's flood limits modelled as token buckets: a burst, then a steady rate."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


ChatKey = int | str


class FloodLimits:
    """One bucket for the whole bot and one per chat, filled on first use."""

    def __init__(self) -> None:
        self._global: TokenBucket | None = None
        self._chats: dict[ChatKey, TokenBucket] = {}

    @staticmethod
    def applies_to(method: str) -> bool:
        """Sends and edits count; a chat action produces no message and does not."""
        if method == "sendChatAction":
            return False
        return method.startswith(("send", "edit"))

    def take(self, chat_key: ChatKey | None, *, private: bool, now: float) -> None:
        """Spend one token from each bucket, or raise the 429 Telegram would send.

        ``private`` decides the chat's bucket the first time the chat is seen.
        """
        if self._global is None:
            self._global = TokenBucket(30, 30.0, 30, now)
        buckets = [self._global]
        if chat_key is not None:
            bucket = self._chats.get(chat_key)
            if bucket is None:
                # private: a burst of 3, then 1/s; group: 20 per minute
                if private:
                    bucket = TokenBucket(3, 1.0, 3, now)
                else:
                    bucket = TokenBucket(20, 20 / 60, 20, now)
                self._chats[chat_key] = bucket
            buckets.append(bucket)
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        for b in buckets:
            b.tokens -= 1
