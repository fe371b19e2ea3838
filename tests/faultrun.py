"""A fault-injection run: many people make their maps at once while the bot is killed with
SIGKILL at random moments and started again. Afterwards every answer must be in the database,
and every person must have seen each question, and their map, exactly once.

Each person answers as a person would: waits for the question, then types or taps. When a
question does not come within `patience` seconds they do what a person would: /new, then
"Continue" — such a nudge is counted (it means a message was lost), and the question it
brings back is not counted as a duplicate.

Used by tests/test_fault_injection.py (a short run) and benchmarks/fault_injection.py (50
interviews)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from storage.repository import Store
from tests.e2e import BotProcess, Person
from tests.fakebotapi import FakeBotApi

STAGES = ("Order", "Pickup")
MAX_NUDGES = 10  # a person who had to ask this often gives up (and the run reports it)


@dataclass(frozen=True)
class Step:
    expect: str  # text of the bot message that asks for this step
    act: str  # "type:<text>", "cmd:<name>", "press:<label>"
    question: bool = True  # the awaited message is a question (counted for duplicates)


def script(n: int) -> list[Step]:
    """The answers person `n` gives, question by question."""
    steps = [
        Step("What kind of map shall we make?", "press:Current state"),
        Step("What business or product", f"type:Shop {n}"),
        Step("What should this map help you achieve?", f"type:Goal {n}"),
        Step("Who are your customers?", f"type:Persona{n}: regular"),
        Step("Saved (1 added", "cmd:done", question=False),
        Step("What stages does your customer go through?", "type:" + "\n".join(STAGES)),
        Step("Saved (2 added", "cmd:done", question=False),
    ]
    for stage in STAGES:
        steps += [
            Step(f"{stage}: where does the customer meet your business", f"type:Touch {stage} {n}"),
            Step("Saved (1 added", "cmd:done", question=False),
            Step(f"{stage}: what does the customer do here", "cmd:skip"),
            Step(f"{stage}: what is the customer thinking", "cmd:skip"),
            Step(f"{stage}: what does the customer say out loud", "cmd:skip"),
            Step(f"{stage}: how does Persona{n} feel here", "press:🙂 +1 good"),
            Step(f"{stage}: what goes wrong", "cmd:skip"),
            Step(f"{stage}: what could you do better", "cmd:skip"),
            Step(f"{stage}: who in your business is responsible", "cmd:skip"),
        ]
    steps += [
        Step("What resources do you already have", "cmd:skip"),
        Step("what would you still need", "cmd:skip"),
        Step("Here is your map so far", "press:✅ Finish and draw the map"),
    ]
    return steps


MAP_PARTS = ("<photo>", "<document>", "Analysis checklist", "Tick off")


@dataclass
class Report:
    interviews: int = 0
    kills: int = 0
    answers: int = 0
    answers_stored: int = 0
    maps_stored: int = 0
    questions: int = 0
    questions_once: int = 0
    questions_twice: int = 0
    nudges: int = 0  # questions that never came (the person had to ask again)
    map_parts: int = 0
    map_parts_once: int = 0
    map_parts_twice: int = 0
    map_parts_missing: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"interviews {self.interviews}, bot killed {self.kills} times, {self.seconds:.0f} s",
            f"answers given {self.answers}, stored {self.answers_stored}",
            f"maps stored {self.maps_stored} of {self.interviews}",
            f"questions {self.questions}: once {self.questions_once}, "
            f"twice or more {self.questions_twice}, lost (nudged) {self.nudges}",
            f"map parts {self.map_parts}: once {self.map_parts_once}, "
            f"twice or more {self.map_parts_twice}, missing {self.map_parts_missing}",
        ]


PROGRESS = "Question "  # the progress line above every question ("Question 4 of about 23 ·")


class Bot:
    """The bot process, killed and started again on demand."""

    def __init__(self, api: FakeBotApi, url: str, workdir: Path, env: dict[str, str]) -> None:
        self.api, self.url, self.workdir, self.env = api, url, workdir, env
        self.process: BotProcess | None = None

    async def start(self) -> None:
        before = len(self.api.calls_of("setMyCommands"))
        self.process = BotProcess(self.api, self.url, self.workdir, extra_env=self.env)
        await self.process.start()
        await self.api.wait_until(
            lambda: len(self.api.calls_of("setMyCommands")) > before, timeout=120
        )

    async def kill(self) -> None:
        assert self.process is not None
        await self.process.kill()

    async def stop(self) -> None:
        if self.process is not None:
            await self.process.stop()


def _seen(message) -> str:  # type: ignore[no-untyped-def]
    if message.method == "sendPhoto":
        return "<photo>"
    if message.method == "sendDocument":
        return "<document>"
    return message.content


async def interview(person: Person, n: int, patience: float, report: Report) -> int:
    """Person `n` makes a map; returns how often they had to nudge the bot."""
    steps = script(n)
    nudges = 0
    index = 0
    person.command("new")
    while index < len(steps) and nudges <= MAX_NUDGES:
        step = steps[index]
        try:
            await person.sees(step.expect, timeout=patience)
        except AssertionError:
            nudges += 1
            index = await nudge(person, steps, index)
            continue
        kind, _, value = step.act.partition(":")
        try:
            if kind == "type":
                person.answers(value)
                report.answers += 1
            elif kind == "cmd":
                person.command(value)
            else:
                await person.presses(value, timeout=patience)
                report.answers += value.startswith("🙂") or value == "Current state"
        except (AssertionError, LookupError):
            nudges += 1
            index = await nudge(person, steps, index)
            continue
        index += 1
    return nudges


async def nudge(person: Person, steps: list[Step], index: int) -> int:
    """The question did not come: ask for it again (/new → Continue) and find it in the
    script. Returns the step to go on with."""
    person.command("new")
    try:
        await person.presses("▶ Continue", timeout=60)
        asked = await person.sees(
            lambda m: m.method == "sendMessage" and bool(m.buttons or PROGRESS in m.content),
            timeout=60,
        )
    except AssertionError:
        return index
    for position in range(len(steps)):
        if steps[position].question and steps[position].expect in asked.content:
            person.since = person.api.mark() - 1  # the question just asked is the one to answer
            answered = "so far" in asked.content.lower()
            if answered and position + 1 < len(steps) and not steps[position + 1].question:
                return position + 2  # a list already answered: only "done" is left
            return position
    return index


async def killer(
    bot: Bot, stop: asyncio.Event, rng: random.Random, report: Report, pace: tuple[float, float]
) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), rng.uniform(*pace))
            return
        except TimeoutError:
            pass
        await bot.kill()
        report.kills += 1
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        await bot.start()


async def run(
    workdir: Path,
    interviews: int = 50,
    *,
    seed: int = 1,
    pace: tuple[float, float] = (3.0, 8.0),
    patience: float = 45.0,
    url: str | None = None,
) -> Report:
    rng = random.Random(seed)
    report = Report(interviews=interviews)
    url = url or f"sqlite:///{workdir / 'faults.db'}"
    started = time.monotonic()
    async with FakeBotApi() as api:
        bot = Bot(
            api, url, workdir, {"JOURNEYBOT_OUTBOX_LEASE": "5", "JOURNEYBOT_LOG_LEVEL": "WARNING"}
        )
        await bot.start()
        people = []
        for n in range(interviews):
            user = api.new_user(f"Person{n}", f"person{n}", language_code="en")
            people.append(Person(api, api.private_chat(user), user))
        stop = asyncio.Event()
        chaos = asyncio.create_task(killer(bot, stop, rng, report, pace))
        nudges = await asyncio.gather(
            *(interview(p, n, patience, report) for n, p in enumerate(people))
        )
        # Every map out, or given up on.
        for person in people:
            with contextlib.suppress(AssertionError):
                await person.api.wait_for(
                    lambda m, c=person.chat.id: m.chat_id == c and "Tick off" in m.content,
                    timeout=120,
                )
        stop.set()
        await chaos
        await asyncio.sleep(2)
        await bot.stop()
        report.nudges = sum(nudges)
        report.seconds = time.monotonic() - started
        await check(api, people, url, report)
    return report


async def check(api: FakeBotApi, people: list[Person], url: str, report: Report) -> None:
    store = Store(url)
    try:
        for n, person in enumerate(people):
            chat_id = str(person.chat.id)
            journey_map = await store.get_map(chat_id, 1)
            stored_answers = 0
            if journey_map is not None:
                report.maps_stored += 1
            else:  # not finished (the person gave up): the answers are in the interview
                loaded = await store.load_interview(chat_id, chat_id)
                journey_map = loaded.interview.map if loaded else None
            if journey_map is not None:
                checks = {
                    "title": journey_map.title == f"Shop {n}",
                    "goal": journey_map.goal == f"Goal {n}",
                    "map type": journey_map.map_type == "current",
                    "persona": [p.name for p in journey_map.personas] == [f"Persona{n}"],
                    "stages": [s.name for s in journey_map.stages] == list(STAGES),
                }
                for stage in journey_map.stages:
                    touch = [t.text for t in stage.items("touchpoints")]
                    checks[f"{stage.name} touchpoint"] = touch == [f"Touch {stage.name} {n}"]
                    checks[f"{stage.name} emotion"] = [r.score for r in stage.emotions] == [1]
                stored_answers = sum(checks.values())
                report.problems += [f"person {n}: {k} wrong" for k, ok in checks.items() if not ok]
            if await store.get_map(chat_id, 1) is None:
                report.problems.append(f"person {n}: no map")
            report.answers_stored += stored_answers
            messages = [
                m for m in api.sent if m.chat_id == person.chat.id and m.method != "editMessageText"
            ]
            texts = Counter(_seen(m) for m in messages)
            steps = [step for step in script(n) if step.question]
            repeats = _asked_again(messages, steps)
            for step in steps:
                report.questions += 1
                got = sum(
                    c for text, c in texts.items() if step.expect in text and PROGRESS in text
                )
                got -= repeats[step.expect]
                if got == 1:
                    report.questions_once += 1
                elif got > 1:
                    report.questions_twice += 1
                    report.problems.append(f"person {n}: {step.expect!r} {got} times")
                else:
                    report.problems.append(f"person {n}: {step.expect!r} never came")
            for part in MAP_PARTS:
                report.map_parts += 1
                got = sum(c for text, c in texts.items() if part in text)
                if got == 1:
                    report.map_parts_once += 1
                elif got > 1:
                    report.map_parts_twice += 1
                    report.problems.append(f"person {n}: {part} {got} times")
                else:
                    report.map_parts_missing += 1
                    report.problems.append(f"person {n}: no {part}")
    finally:
        await store.close()


def _asked_again(messages: list, steps: list[Step]) -> Counter[str]:  # type: ignore[type-arg]
    """Questions sent again because the person asked for them (the one after "Continuing…")."""
    again: Counter[str] = Counter()
    for before, after in itertools.pairwise(messages):
        if "Continuing where you stopped" in before.content:
            for step in steps:
                if step.expect in after.content:
                    again[step.expect] += 1
                    break
    return again
