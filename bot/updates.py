"""Fetching updates so that one update PTB cannot read does not stop the bot.

PTB parses a getUpdates answer as a whole: one update it cannot read fails the call, the
offset never moves past it, and polling asks for the same batch forever (logging the whole
batch, people's messages included, each time). Here each update is checked on its own; one
that cannot be read is logged once, by its id only, and handed on as an empty update — so
the offset moves past it and every other update is handled."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


def readable(item: Any) -> Any:
    """The update as received, or only its id when PTB could not read it."""
    if not isinstance(item, dict) or "update_id" not in item:
        return item
    try:
        Update.de_json(item, None)
    except Exception as problem:
        log.error(
            "update %s could not be read (%s); skipped", item["update_id"], type(problem).__name__
        )
        return {"update_id": item["update_id"]}
    return item


class UpdatesRequest(HTTPXRequest):
    """The request object PTB uses for getUpdates only. PTB's documented hook for reading an
    answer is `parse_json_payload` (`post` is final)."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        answer = HTTPXRequest.parse_json_payload(payload)
        if isinstance(answer.get("result"), list):
            answer["result"] = [readable(item) for item in answer["result"]]
        return answer
