"""The interview engine: an event and the interview in, the updated interview and the
replies out. No I/O: the console, the Telegram bot and the tests all drive it the same way.

`handle` updates the interview it is given (and returns it), so a caller that wants to keep
the old state keeps a copy (`Interview.from_json(old.to_json())`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flows import answers, targets, traps
from flows.answers import Invalid
from flows.i18n import Join, Text, t
from flows.interview import Event, Interview, Position
from flows.machine import move
from flows.model import Absence, Author, Item, JourneyMap, Persona, Rating, Stage
from flows.questions import (
    CHANGE,
    DEEPEN,
    DEFAULT,
    FINISH,
    MOMENT,
    NEXT,
    NOT_PART,
    PICK,
    REMOVE,
    REVIEW,
    ROW,
    SUGGESTION,
    Choice,
    Reply,
    current_items,
    default_stages,
    empty_lanes,
    entry_text,
    face_words,
    item_ref,
    moment_choices,
    question,
    rating_label,
    suggested,
)
from flows.spec import LANGUAGES, Depth, pick_language
from flows.steps import Kind, Step, step, steps

# In a group, leading is the facilitator's (or a chat admin's): moving on, choosing the map
# type, acting on the review, cancelling, changing the language. Anyone may add answers.
LEADER_COMMANDS = frozenset({"back", "skip", "done", NEXT, "cancel", "edit", "language"})
LEADER_STEPS = frozenset({Kind.CHOICE, Kind.REVIEW})


@dataclass
class Outcome:
    interview: Interview
    replies: list[Reply] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.interview.state == "done"

    @property
    def cancelled(self) -> bool:
        return self.interview.state == "cancelled"


def say(key: str, **params: object) -> Reply:
    return Reply(Text(key, params))


def noted(key: str, **params: object) -> Reply:
    """A quiet confirmation (see Reply.quiet)."""
    return Reply(Text(key, params), quiet=True)


def start(
    author: Author,
    lang: str | None = None,
    *,
    group: bool = False,
    at: datetime | None = None,
    template: bool = False,
) -> Outcome:
    """A new interview, with its welcome and first question. With `template` it asks what
    kind of business it is and how deep to go, and offers that business's suggestions."""
    journey_map = JourneyMap(language=pick_language(lang), created_by=author)
    if at is not None:
        journey_map.created_at = at
    interview = Interview(map=journey_map, group=group, facilitator=author, guided=template)
    # Nobody's name is made up: a person whose name is unknown is greeted without one.
    intro = "welcome.group" if group else "welcome" if author.name else "welcome.nameless"
    return Outcome(interview, [say(intro, name=author.name), question(interview)])


def handle(interview: Interview, event: Event) -> Outcome:
    if interview.finished:
        return Outcome(interview, [say("error.interview_over")])
    if interview.group and not _leads(interview, event) and _leading(interview, event):
        leader = interview.facilitator.name if interview.facilitator else ""
        return Outcome(interview, [say("error.facilitator_only", name=leader)])
    # A /cancel confirms one asked just before (an anonymous admin cannot press its buttons).
    confirming = interview.cancel_asked and event.kind == "command" and event.value == "cancel"
    interview.cancel_asked = False
    try:
        if confirming:
            return _confirm_cancel(interview, True)
        if event.kind == "choice" and event.value in (traps.CANCEL_YES, traps.CANCEL_NO):
            return _confirm_cancel(interview, event.value == traps.CANCEL_YES)
        if event.kind == "choice" and event.value == traps.KEEP_START:
            return _keep_start(interview, event)
        if event.kind == "command":
            return _command(interview, event)
        if event.kind == "unsupported":
            return Outcome(interview, [say("error.text_only"), question(interview)])
        if event.target is not None and event.target != interview.position:
            return _late_answer(interview, event)
        return _answer(interview, event)
    except Invalid as problem:
        here = event.target is None or event.target == interview.position
        if problem.key in TOO_LONG and event.kind == "text" and here:
            return _offer_start(interview, event, problem)
        reply = Reply(Text(problem.key, problem.params))
        return Outcome(interview, [reply, question(interview)])


# --- second thoughts: the start of a long answer, a cancel confirmed ---------------------

TOO_LONG = frozenset({"error.too_long", "error.too_long_line"})


def _offer_start(iv: Interview, ev: Event, problem: Invalid) -> Outcome:
    """An answer over the limit: say so, and offer to keep its first part (a button)."""
    iv.pending = Item(text=ev.value, author=ev.author, at=ev.at)
    limit = iv.position.step.max_chars
    longest = max(answers.split_lines(ev.value) or [ev.value], key=len)
    offer = Text.of("q.keep_start", start=traps.start_of(longest, limit))
    keep = (Choice(traps.KEEP_START, Text.of("choice.keep_start")),)
    return Outcome(
        iv,
        [
            Reply(Text(problem.key, problem.params)),
            Reply(offer, choices=keep, position=iv.position),
        ],
    )


def _keep_start(iv: Interview, ev: Event) -> Outcome:
    pending = iv.pending
    if pending is None:
        raise Invalid("error.unknown_choice")
    current = step(iv.state)
    limit = current.max_chars
    if current.kind == Kind.TEXT:
        text = traps.start_of(answers.single_line(pending.text), limit)
    else:
        text = "\n".join(traps.start_of(line, limit) for line in answers.split_lines(pending.text))
    iv.pending = None
    return _answer(iv, Event.text(text, pending.author, at=pending.at))


def _ask_cancel(iv: Interview) -> Outcome:
    iv.cancel_asked = True
    choices = (
        Choice(traps.CANCEL_YES, Text.of("choice.cancel_yes")),
        Choice(traps.CANCEL_NO, Text.of("choice.cancel_no")),
    )
    return Outcome(iv, [Reply(Text.of("q.cancel"), choices=choices, position=iv.position)])


def _confirm_cancel(iv: Interview, confirmed: bool) -> Outcome:
    if confirmed:
        move(iv, "cancel")
        return Outcome(iv, [say("cancelled")])
    # "Carry on" takes the place of the confirmation (its buttons gone); the question again.
    kept = Reply(Text.of("cancel_kept"), position=iv.position, refresh=True)
    return Outcome(iv, [kept, question(iv)])


# --- answers -----------------------------------------------------------------------------


def _answer(iv: Interview, ev: Event) -> Outcome:
    current = step(iv.state)
    target = current.target
    if current.kind == Kind.REVIEW:
        return _review_choice(iv, ev)
    if isinstance(target, targets.MapTypeChoice):
        target.write(iv.map, _match_choice(iv, ev))
        return _advance(iv)
    if isinstance(target, targets.Setting):
        value = _match_choice(iv, ev)
        setattr(iv, target.field, Depth(value) if target.field == "depth" else value)
        return _advance(iv)
    if current.kind == Kind.EMOTION:
        return _rate(iv, ev, iv.position)
    if ev.kind == "choice" and _is_suggestion(ev.value):
        return _take_suggestion(iv, ev, current)
    if isinstance(target, targets.TextTarget) and ev.value.startswith(f"{PICK}:"):
        return _pick_proposal(iv, ev, target)
    if current.kind == Kind.LIST and ev.kind == "choice" and ev.value[:4] in (CHANGE, REMOVE):
        return _item_choice(iv, ev, current)
    if current.kind == Kind.LIST and ev.kind == "text" and iv.changing is not None:
        return _change_item(iv, ev, current)
    if ev.kind == "choice" and not (current.state == "stages" and ev.value == DEFAULT):
        raise Invalid("error.unknown_choice")
    if ev.kind == "text" and not (current.state == "stages" and _is_default_stages(iv, ev)):
        _refuse_bare_number(iv, current, ev.value)
    if isinstance(target, targets.TextTarget):
        text = answers.check_length(answers.single_line(ev.value), current.max_chars)
        return _write_answer(iv, ev, target, text)
    if current.state == "stages" and _is_default_stages(iv, ev):
        names = [t.render(name, iv.lang) for name in default_stages(iv)]
        iv.map.stages = [Stage(name=name, author=ev.author) for name in names]
        return _advance(iv)
    return _add_items(iv, ev, iv.position)


def _refuse_bare_number(iv: Interview, current: Step, text: str) -> None:
    """A number alone is rarely an answer: "Did you mean…?" rather than an item "2"."""
    value = traps.bare_number(answers.split_lines(text))
    if value is None:
        return
    if traps.signed(value) and current.lane is not None:
        raise Invalid("error.looks_like_score", value=value)
    if question(iv).choices:
        raise Invalid("error.bare_number_choices", value=value)
    raise Invalid("error.bare_number", value=value)


def _write_answer(iv: Interview, ev: Event, target: targets.TextTarget, text: str) -> Outcome:
    item = Item(text=text, author=ev.author, at=ev.at)
    target.write(iv.map, iv.position, item)
    if iv.group and not _leads(iv, ev):
        # A member's answer is a proposal: the latest stands unless the facilitator
        # picks another (or answers themselves) when moving on.
        iv.proposals.append(item)
        return Outcome(iv, [question(iv)])
    return _advance(iv)


def _is_suggestion(value: str) -> bool:
    return value.startswith(SUGGESTION) and value[len(SUGGESTION) :].isdigit()


def _take_suggestion(iv: Interview, ev: Event, current: Step) -> Outcome:
    """A tapped suggestion: a one-answer question takes it and moves on; a list toggles it
    (picked: added as the tapper's item; tapped again: taken off)."""
    offered = suggested(iv, iv.position)
    index = int(ev.value[len(SUGGESTION) :])
    if not 0 <= index < len(offered):
        raise Invalid("error.unknown_choice")
    text = offered[index]
    if isinstance(current.target, targets.TextTarget):
        return _write_answer(iv, ev, current.target, text)
    target = _list_target(current)
    entries = target.entries(iv.map, iv.position)
    if iv.revisit:  # tapping on a list come back to keeps it (only typing replaces it)
        iv.revisit = False
    same = [e for e in entries if entry_text(e).casefold() == text.casefold()]
    if same:
        mine = [e for e in same if getattr(getattr(e, "author", None), "id", None) == ev.author.id]
        if not mine and not _leads(iv, ev):
            owner = getattr(same[0], "author", None)
            raise Invalid("error.picked_by", name=owner.name if owner else "")
        for entry in mine or same:
            entries.remove(entry)
    else:
        if len(entries) >= current.max_items:
            raise Invalid("error.too_many", limit=current.max_items, room=0)
        entries.extend(target.make(iv.map, [text], ev.author, ev.at, False))
    target.changed(iv.map)
    return Outcome(iv, [replace(question(iv), refresh=True)])


def _pick_proposal(iv: Interview, ev: Event, target: targets.TextTarget) -> Outcome:
    """The facilitator takes one of the members' proposals for a one-answer question."""
    kind, _, number = ev.value.partition(":")
    if kind != PICK or not number.isdigit() or int(number) >= len(iv.proposals):
        raise Invalid("error.unknown_choice")
    target.write(iv.map, iv.position, iv.proposals[int(number)])
    return _advance(iv)


def _match_choice(iv: Interview, ev: Event) -> str:
    """A pressed choice, or typed text naming one (its value or label, any language)."""
    reply = question(iv)
    wanted = ev.value.strip().casefold()
    for choice in reply.choices:
        labels = {t.render(choice.label, lang).casefold() for lang in LANGUAGES}
        if wanted == choice.value.casefold() or (ev.kind == "text" and _named(wanted, labels)):
            return choice.value
    raise Invalid("error.unknown_choice")


def _named(wanted: str, labels: set[str]) -> bool:
    """Typed text names a label: all of it, or all but its icon ("bakery / cakes")."""
    return any(wanted in (label, label.split(" ", 1)[-1]) for label in labels)


def _is_default_stages(iv: Interview, ev: Event) -> bool:
    if iv.map.stages or iv.revisit:
        return ev.kind == "choice" and ev.value == DEFAULT and not iv.map.stages
    try:
        return _match_choice(iv, ev) == DEFAULT
    except Invalid:
        return False


def _rate(iv: Interview, ev: Event, position: Position) -> Outcome:
    """Faces for the personas at a stage: a button (one persona) or typed ("Rina -1, Budi
    good", or a bare score for the next persona). In a private chat the interview moves on
    once every persona has an answer; in a group the question stays open to everyone until
    the facilitator moves on."""
    assert position.stage is not None
    stage = iv.map.stages[position.stage]
    names = iv.map.persona_names()
    here = position == iv.position
    if ev.kind == "choice":
        given = [_rating_choice(ev.value, names)]
    else:
        given = answers.parse_ratings(ev.value, names, face_words())
    done: list[tuple[int, int | None, str]] = []
    for index, score, word in given:
        if index is None:
            index = _next_persona(iv, stage, ev.author, [d[0] for d in done], here)
        word = answers.check_length(word, position.step.max_chars) if word else ""
        done.append((index, score, word))
    for index, score, word in done:  # nothing is kept unless all of it could be read
        persona = names[index]
        if score is None:
            stage.mark_absent(Absence(persona=persona, author=ev.author, at=ev.at))
        else:
            rating = Rating(persona=persona, score=score, word=word, author=ev.author, at=ev.at)
            stage.rate(rating)
        if here and index not in iv.rated_here:
            iv.rated_here.append(index)
    if not here or iv.group:
        summary = [
            Text.of("rated", persona=names[i], score=rating_label(score)) for i, score, _ in done
        ]
        note = noted(
            "ack.ratings", name=ev.author.name, stage=stage.name, ratings=Join.of(summary, ", ")
        )
        if not here:
            return Outcome(iv, [note])
        # The question shows everyone's faces so far (in place of the message pressed).
        return Outcome(iv, [note, replace(question(iv), refresh=True)])
    if len(set(iv.rated_here)) >= len(names):
        return _advance(iv)
    return Outcome(iv, [replace(question(iv), refresh=True)])  # shown with the new face


def _rating_choice(value: str, names: list[str]) -> tuple[int | None, int | None, str]:
    """A face button's value: `<persona>:<score>`, `<persona>:x` (no part here) or
    `<persona>:?` (the persona's name above its row of faces)."""
    persona, _, score = value.partition(":")
    if not persona.isdigit() or int(persona) >= len(names):
        raise Invalid("error.unknown_choice")
    index = int(persona)
    if score == NOT_PART:
        return index, None, ""
    if score == ROW:
        raise Invalid("error.rate_row", persona=names[index])
    try:
        return index, answers.parse_emotion(score)[0], ""
    except Invalid:
        raise Invalid("error.unknown_choice") from None


def _next_persona(iv: Interview, stage: Stage, author: Author, taken: list[int], here: bool) -> int:
    """The persona a score typed without a name is for: the first not answered yet (by this
    person, in a group), else the only one."""
    names = iv.map.persona_names()
    for index, name in enumerate(names):
        private = here and not iv.group
        answered = index in iv.rated_here if private else stage.answered_by(name, author)
        if index not in taken and not answered:
            return index
    if len(names) == 1:
        return 0
    raise Invalid("error.rate_which", example=f"{names[0]} -1, {names[1]} 2")


def _item_choice(iv: Interview, ev: Event, current: Step) -> Outcome:
    """One answer of a list, from its buttons: ✎ asks for its new text, ✕ takes it away."""
    kind, ref = ev.value[:4], ev.value[4:]
    entries = _list_target(current).entries(iv.map, iv.position)
    number = ref.partition(".")[0]
    if not number.isdigit() or int(number) >= len(entries):
        raise Invalid("error.unknown_choice")
    index = int(number)
    if item_ref(index, entries[index]) != ref:  # buttons of the list as it was before a change
        return Outcome(iv, [noted("error.list_changed"), replace(question(iv), refresh=True)])
    iv.revisit = False  # from now on, typed lines add to the list
    if kind == CHANGE:
        iv.changing = index
        shown = entry_text(entries[index])
        asked = Reply(Text.of("q.change_item", item=shown), position=iv.position, refresh=True)
        return Outcome(iv, [asked])
    if len(entries) - 1 < current.min_items:
        raise Invalid("error.too_few", minimum=current.min_items, count=len(entries))
    entries.pop(index)
    _list_target(current).changed(iv.map)
    return Outcome(iv, [replace(question(iv), refresh=True)])  # the list without it


def _change_item(iv: Interview, ev: Event, current: Step) -> Outcome:
    """The new text of the answer picked with ✎ (a persona or stage keeps its answers)."""
    index, iv.changing = iv.changing, None
    target = _list_target(current)
    entries = target.entries(iv.map, iv.position)
    if index is None or index >= len(entries):
        raise Invalid("error.unknown_choice")
    text = answers.check_length(answers.single_line(ev.value), current.max_chars)
    old = entries[index]
    if isinstance(old, Persona):
        name, description = answers.parse_persona(text)
        if name.casefold() in {n.casefold() for n in iv.map.persona_names() if n != old.name}:
            raise Invalid("error.duplicate", name=name)
        for stage in iv.map.stages:
            named: list[Rating | Absence] = [*stage.emotions, *stage.absent]
            for entry in named:
                if entry.persona == old.name:
                    entry.persona = name
        entries[index] = Persona(name=name, description=description, author=ev.author, at=ev.at)
    elif isinstance(old, Stage):
        if text.casefold() in {s.name.casefold() for s in iv.map.stages if s is not old}:
            raise Invalid("error.duplicate", name=text)
        old.name = text
    else:
        entries[index] = Item(text=text, author=ev.author, at=ev.at)
    target.changed(iv.map)
    return Outcome(iv, [noted("ack.changed", item=text), question(iv)])


def _add_items(iv: Interview, ev: Event, position: Position) -> Outcome:
    asked = position.step
    target = _list_target(asked)
    lines = answers.split_lines(ev.value)
    if not lines:
        raise Invalid("error.empty")
    for number, line in enumerate(lines, 1):
        if len(line) > asked.max_chars:
            raise Invalid(
                "error.too_long_line", line=number, limit=asked.max_chars, length=len(line)
            )
    replacing = iv.revisit and position == iv.position
    existing = 0 if replacing else len(target.entries(iv.map, position))
    if existing + len(lines) > asked.max_items:
        raise Invalid("error.too_many", limit=asked.max_items, room=asked.max_items - existing)
    new = target.make(iv.map, lines, ev.author, ev.at, replacing)
    entries = target.entries(iv.map, position)
    if replacing:
        entries.clear()
        iv.revisit = False
    entries.extend(new)
    target.changed(iv.map)
    if position != iv.position:
        return Outcome(iv, [noted("ack.late_added", count=len(new), lane=_where(iv, position))])
    if len(entries) >= asked.max_items:
        return Outcome(iv, [say("ack.list_full", limit=asked.max_items), *_advance(iv).replies])
    return Outcome(iv, [_list_ack(iv, len(new), len(entries))])


def _list_target(asked: Step) -> targets.ListTarget:
    if not isinstance(asked.target, targets.ListTarget):
        raise ValueError(f"{asked.state} does not take a list")
    return asked.target


def _where(iv: Interview, position: Position) -> Text:
    lane = position.step.lane
    if lane is None or position.stage is None:
        return Text.of(f"section.{position.state}")
    return Text.of(
        "lane_at_stage", lane=Text.of(lane.label_key), stage=iv.map.stages[position.stage].name
    )


def _list_ack(iv: Interview, added: int, total: int) -> Reply:
    """ "Added": with the question's buttons (its suggestions too), to go on from here."""
    reply = question(iv)
    return Reply(
        Text.of(
            "ack.list_guided" if iv.tapping else "ack.list",
            added=added,
            total=total,
            limit=iv.position.step.max_items,
        ),
        choices=reply.choices if reply.toggles else (),
        position=reply.position,
        commands=reply.commands,
        quiet=True,
        toggles=reply.toggles,
    )


def _late_answer(iv: Interview, ev: Event) -> Outcome:
    """An answer to an earlier question (a group member replying to an older message)."""
    target = ev.target
    assert target is not None
    if ev.kind == "text" and target in iv.positions() and not iv.editing:
        asked = target.step
        if asked.kind == Kind.LIST and asked.per_stage:
            return _add_items(iv, ev, target)
        if asked.kind == Kind.EMOTION:
            return _rate(iv, ev, target)
    return Outcome(iv, [say("error.question_closed")])


# --- moving ------------------------------------------------------------------------------


def _advance(iv: Interview) -> Outcome:
    iv.revisit = False
    following = iv.neighbour(1)
    if iv.editing and (deeper := _deeper(iv)) is not None:
        move(iv, "resume_review")
        move(iv, "edit", deeper)
    elif iv.editing:
        iv.editing, iv.deepen = False, None
        _return(iv)
    else:
        move(iv, "advance", following)
    return Outcome(iv, [question(iv)])


def _return(iv: Interview) -> None:
    """After an edit: back where `/edit` was typed, else to the review."""
    back, iv.return_to = iv.return_to, None
    if back is not None and back in iv.positions():
        move(iv, "jump", back)
    else:
        move(iv, "resume_review")


def _jump(iv: Interview, value: str) -> Outcome:
    """`/edit …` in the middle of the interview: that question now, then back here."""
    _, _, rest = value.partition(":")
    state, _, stage_text = rest.partition(":")
    if state == "stage":  # a stage: its first question
        index = _stage_index(iv, stage_text)
        state = next(p.state for p in iv.positions() if p.stage == index)
        stage_text = str(index)
    chosen = step(state)
    if not chosen.applies(iv.map.map_type):
        raise Invalid("error.edit_usage")
    stage = _stage_index(iv, stage_text) if chosen.per_stage else None
    if not iv.editing:
        iv.return_to = iv.position
    iv.editing, iv.revisit = True, chosen.kind == Kind.LIST
    move(iv, "jump", Position(state=state, stage=stage))
    return Outcome(iv, [question(iv)])


def _is_facilitator(iv: Interview, ev: Event) -> bool:
    return iv.facilitator is None or iv.facilitator.id == ev.author.id


def _leads(iv: Interview, ev: Event) -> bool:
    return _is_facilitator(iv, ev) or ev.admin


def _leading(iv: Interview, ev: Event) -> bool:
    """Whether the event is one only a leader may make in a group."""
    if ev.kind == "command":
        return ev.value in LEADER_COMMANDS
    late = ev.target is not None and ev.target != iv.position
    if ev.kind == "choice" and ev.value in (traps.CANCEL_YES, traps.CANCEL_NO):
        return True
    kind = step(iv.state).kind
    picks = ev.kind == "choice" and ev.value.startswith(f"{PICK}:")  # a proposal taken
    picks |= ev.kind == "choice" and ev.value[:4] in (CHANGE, REMOVE)  # an answer changed
    return not late and (kind in LEADER_STEPS or picks)


def _command(iv: Interview, ev: Event) -> Outcome:
    name = ev.value
    if name == "language":
        return _language(iv, ev.argument)
    current = step(iv.state)
    if name == "cancel":
        return _ask_cancel(iv)
    if name == "back":
        return _back(iv)
    if name == "skip":
        if not current.skippable(iv.map.map_type) or current.kind == Kind.REVIEW:
            raise Invalid("error.cannot_skip")
        return _advance(iv)
    if name in ("done", NEXT):
        return _done(iv, current)
    if name == "edit":
        value = traps.edit_target(iv.map, ev.argument) if ev.argument.strip() else REVIEW
        if current.kind == Kind.REVIEW:
            return _review_choice(iv, Event.choice(value, ev.author))
        if value == REVIEW:
            raise Invalid("error.edit_usage")
        return _jump(iv, value)
    raise Invalid("error.unknown_command", command=name)


def _done(iv: Interview, current: Step) -> Outcome:
    if current.kind == Kind.REVIEW:
        return _review_choice(iv, Event.choice(FINISH, Author(id="", name="")))
    if current.kind == Kind.LIST:
        count = len(_list_target(current).entries(iv.map, iv.position))
        if count < current.min_items:
            raise Invalid("error.too_few", minimum=current.min_items, count=count)
    elif current.kind == Kind.TEXT:
        answered = bool(current_items(iv, iv.position))
        if not answered and not current.skippable(iv.map.map_type):
            raise Invalid("error.required")
    elif current.kind == Kind.CHOICE and iv.map.map_type is None:
        raise Invalid("error.required")
    return _advance(iv)


def _back(iv: Interview) -> Outcome:
    if iv.editing or (iv.state == REVIEW and iv.review_stage is not None):
        iv.editing = iv.revisit = False
        iv.review_stage = iv.deepen = None
        if iv.state != REVIEW:
            _return(iv)
        return Outcome(iv, [question(iv)])
    previous = iv.neighbour(-1)
    if previous is None:
        raise Invalid("error.nothing_back")
    move(iv, "retreat", previous)
    iv.revisit = True
    return Outcome(iv, [question(iv)])


def _review_choice(iv: Interview, ev: Event) -> Outcome:
    value = ev.value if ev.kind == "choice" else _match_choice(iv, ev)
    if value == FINISH:
        iv.review_stage = None
        move(iv, "finish")
        return Outcome(iv, [say("finished", title=iv.map.title)])
    if value == REVIEW:
        iv.review_stage = None
        return Outcome(iv, [question(iv)])
    kind, _, rest = value.partition(":")
    if kind == MOMENT:
        index = _stage_index(iv, rest)
        if not any(c.value == value for c in moment_choices(iv.map)):
            raise Invalid("error.unknown_choice")
        stage = iv.map.stages[index]
        stage.moment_of_truth = not stage.moment_of_truth
        return Outcome(iv, [question(iv)])
    if kind == DEEPEN:
        return _deepen(iv, _stage_index(iv, rest))
    if kind != "edit" or not rest:
        raise Invalid("error.unknown_choice")
    state, _, stage_text = rest.partition(":")
    if state == "stage":
        index = _stage_index(iv, stage_text)
        iv.review_stage = index
        return Outcome(iv, [question(iv)])
    try:
        chosen = step(state)
    except KeyError:
        raise Invalid("error.unknown_choice") from None
    if chosen.kind == Kind.REVIEW or not chosen.applies(iv.map.map_type):
        raise Invalid("error.unknown_choice")
    at = _stage_index(iv, stage_text) if chosen.per_stage else None
    iv.review_stage = None
    iv.editing, iv.revisit = True, chosen.kind == Kind.LIST
    move(iv, "edit", Position(state=state, stage=at))
    return Outcome(iv, [question(iv)])


def _deepen(iv: Interview, stage: int) -> Outcome:
    """The review's "ask the rest of this stage": its empty lanes, one after another."""
    todo = empty_lanes(iv, stage)
    if not todo:
        raise Invalid("error.unknown_choice")
    iv.review_stage = None
    iv.deepen, iv.editing, iv.revisit = stage, True, False
    move(iv, "edit", todo[0])
    return Outcome(iv, [question(iv)])


def _deeper(iv: Interview) -> Position | None:
    """While deepening: the stage's next empty lane after this one."""
    if iv.deepen is None or iv.stage != iv.deepen:
        return None
    order = [s.state for s in steps()]
    here = order.index(iv.state)
    return next((p for p in empty_lanes(iv, iv.deepen) if order.index(p.state) > here), None)


def _stage_index(iv: Interview, text: str) -> int:
    try:
        index = int(text)
    except ValueError:
        raise Invalid("error.unknown_choice") from None
    if not 0 <= index < len(iv.map.stages):
        raise Invalid("error.unknown_choice")
    return index


def _language(iv: Interview, code: str) -> Outcome:
    code = code.strip().lower()
    if code not in LANGUAGES:
        raise Invalid("error.language", languages=", ".join(LANGUAGES))
    iv.map.language = code
    return Outcome(iv, [say("ack.language"), question(iv)])
