"""Posts and minutes for a team's map within Telegram's 20 posts a minute per group (issue 13).

Three people in a group — Sari leads, Andi and Maya help — make a bakery map from its
template with the real `journeybot run` against the fake Bot API: at every list question each
of them taps a suggestion (and someone types one item of their own, three times in all), at
every emotion question each of them gives every persona a face, and Sari moves on. Printed per
path (quick map, full map): posts to the group (messages, photos, documents), other requests
that change what the group sees (edits in place, reactions), and minutes: the run's wall time
with Telegram's 20 posts a minute over a window shortened tenfold (6 s), scaled back — an
upper bound, since the bot's own work is scaled too — and the floor the limit sets alone
(every post beyond the first 20 waits its turn: (posts − 20) / 20).
The people tap at once; their own reading and typing time is benchmarks/bench_effort.py's.

    .venv/bin/python benchmarks/bench_group_posts.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import templates
from tests.e2e import BotProcess, Person
from tests.fakebotapi import FakeBotApi, SentMessage

WINDOW = 6.0  # seconds standing for Telegram's minute
POSTS = ("sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup")
FACES = ("🙂", "😄", "😐")


def shows(message: SentMessage, label: str) -> bool:
    return any(button.get("text") == label for button in message.buttons)


def newest_question(api: FakeBotApi, chat_id: int, after: int) -> SentMessage | None:
    for sent in reversed(api.sent):
        if sent.chat_id == chat_id and sent.method == "sendMessage" and sent.buttons:
            return sent if sent.message_id > after else None
    return None


async def team_map(api: FakeBotApi, depth: str) -> dict[str, float]:
    sari, andi, maya = (api.new_user(n, n.lower()) for n in ("Sari", "Andi", "Maya"))
    chat = api.new_group("Roti Ani team", [sari, andi, maya])
    lead, *helpers = team = [Person(api, chat, u) for u in (sari, andi, maya)]
    started, first = time.monotonic(), api.mark()
    lead.command("new")
    await lead.presses("Current state")
    await lead.presses(dict(templates.kind_labels("en"))["bakery"])
    await lead.presses(depth)
    await lead.sees("What business or product")
    lead.answers("Roti Ani")
    await lead.sees("What should this map help you achieve?")
    lead.answers("More cake orders for birthdays")
    typed_own, last = 0, 0
    while True:
        question = await api.wait_until(
            lambda after=last: newest_question(api, chat.id, after), timeout=120
        )
        last = question.message_id
        labels = [b.get("text", "") for b in question.buttons]
        if "✅ Finish and draw the map" in labels:
            await lead.presses("✅ Finish and draw the map", message_id=last)
            await lead.sees(lambda m: m.method == "sendPhoto", timeout=120)
            break
        if any(label.startswith("Use: ") for label in labels):  # the template's stages
            await lead.presses(next(x for x in labels if x.startswith("Use: ")), last)
            continue
        personas = [x.removesuffix(" ⤵") for x in labels if x.endswith("⤵")]
        if personas:  # one emotion question for the stage: everyone rates everyone
            for person, face in zip(team, FACES, strict=True):
                for persona in personas:
                    await person.rates(persona, face, last)
            await lead.presses("✔ Done", message_id=last)
            continue
        offered = [x for x in labels if x and x not in ("Next ▶", "⏭ Skip", "✔ Done", "⬅ Back")]
        if offered and not {"Next ▶", "✔ Done"} & set(labels):  # one answer: Sari picks it
            await lead.presses(offered[0], message_id=last)
            continue
        for person, label in zip(team, offered, strict=False):  # a tap each
            await person.presses(label, message_id=last)
            await person.sees(
                lambda m, x=label: m.method.startswith("editMessage") and shows(m, f"✓ {x}")
            )
        if typed_own < 3 and offered:
            typed_own += 1
            helpers[typed_own % 2].says(f"Our own idea {typed_own}", reply_to=last)
        now = [
            button.get("text")
            for message in api.messages_in(chat)
            if message.message_id == last
            for row in message.inline_keyboard or []
            for button in row
        ]
        for moving_on in ("Next ▶", "✔ Done", "⏭ Skip"):
            if moving_on in now:
                await lead.presses(moving_on, message_id=last)
                break
    elapsed = time.monotonic() - started
    sent = [m for m in api.sent[first:] if m.chat_id == chat.id]
    return {
        "posts": sum(1 for m in sent if m.method in POSTS),
        "edits and reactions": sum(1 for m in sent if m.method not in POSTS),
        "minutes": elapsed * (60 / WINDOW) / 60,
        "floor": max(0, sum(1 for m in sent if m.method in POSTS) - 20) / 20,
    }


async def main() -> None:
    print(f"{'path':<8} {'posts':>6} {'edits+reactions':>16} {'minutes':>8} {'floor':>6}")
    for label, depth in (("quick", "⚡ Quick map"), ("full", "🧭 Full map")):
        async with FakeBotApi() as api:
            with tempfile.TemporaryDirectory() as folder:
                bot = BotProcess(
                    api,
                    f"sqlite:///{Path(folder) / 'bench.db'}",
                    Path(folder),
                    extra_env={
                        "JOURNEYBOT_TEMPLATES": "1",
                        "JOURNEYBOT_GROUP_MESSAGES_PER_MINUTE": "20",
                        "JOURNEYBOT_GROUP_WINDOW": str(WINDOW),
                        "JOURNEYBOT_LOG_LEVEL": "WARNING",
                    },
                )
                try:
                    await bot.start()
                    figures = await team_map(api, depth)
                except Exception:
                    print(bot.output()[-3000:], file=sys.stderr)
                    for m in api.sent[-6:]:
                        print(m.method, m.content[:300], m.buttons, file=sys.stderr)
                    raise
                finally:
                    await bot.stop()
        print(
            f"{label:<8} {figures['posts']:>6.0f} {figures['edits and reactions']:>16.0f} "
            f"{figures['minutes']:>8.1f} {figures['floor']:>6.1f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
