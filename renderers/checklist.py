"""The analysis checklist sent after the map: findings computed from the map first (most
important first), then the method's fixed questions, grouped. Every item has a stable id so
ticks can be stored per map and item.

Wording lives in `renderers/checklist_locales/{en,id,pl}.po` (lane names fall back to the
shared flows catalog); layout lives in `renderers/templates/checklist.{txt,html}.j2`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape as html_escape
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from flows.analysis import (
    QUOTE_CHARS,
    QUOTED_ITEMS,
    Comparison,
    Finding,
    FindingKind,
    busiest_touchpoint,
    compare,
    findings,
    outside_control,
    purchase_pains,
    shorten,
)
from flows.i18n import Join, Text, domain
from flows.model import JourneyMap
from flows.spec import DEFAULT_LANGUAGE, LANGUAGES, LIMITS, MapType, lane, lanes

CHECKLIST_LOCALES = Path(__file__).parent / "checklist_locales"
TEMPLATES = Path(__file__).parent / "templates"
tr = domain(CHECKLIST_LOCALES)

# How much user text goes into a checklist line (the full text is on the map).
STAGE_CHARS = 80
PERSONA_CHARS = 40

FINDINGS = "findings"
CHANGES = "changes"

_ALL_TYPES = frozenset(MapType)
_NOT_DAY = _ALL_TYPES - {MapType.DAY_IN_LIFE}  # purchase/order questions


@dataclass(frozen=True)
class Question:
    """A fixed question from the method. `id` is stable: ticks are stored by it."""

    id: str
    types: frozenset[MapType] = _ALL_TYPES  # the map types it fits

    @property
    def key(self) -> str:
        return f"checklist.{self.id}"


# The fixed questions, grouped as the method asks them. Ids never change once shipped (ticks
# refer to them); add new ones rather than renaming.
GROUPS: tuple[tuple[str, tuple[Question, ...]], ...] = (
    (
        "customer",
        (
            Question("customer.expectations"),
            Question("customer.right_info"),
            Question("customer.whom_to_contact"),
            Question("customer.when_wrong"),
            Question("customer.delay_notice"),
            Question("customer.order_ack", _NOT_DAY),
            Question("customer.complaint_ack"),
            Question("customer.buy_or_refuse", _NOT_DAY),
            Question("customer.returns", _NOT_DAY),
        ),
    ),
    (
        "interactions",
        (
            Question("interactions.as_intended"),
            Question("interactions.logical_flow"),
            Question("interactions.right_contact"),
            Question("interactions.right_info_amount"),
        ),
    ),
    (
        "organisation",
        (
            Question("organisation.efficient"),
            Question("organisation.clear_owner"),
            Question("organisation.not_confusing"),
            Question("organisation.backstage", frozenset({MapType.BLUEPRINT})),
            Question("organisation.outside_control"),
        ),
    ),
    (
        "touchpoints",
        (
            Question("touchpoints.needs_motivation"),
            Question("touchpoints.serve_well"),
            Question("touchpoints.enough_support"),
            Question("touchpoints.negative_emotion"),
            Question("touchpoints.daily_moments", frozenset({MapType.DAY_IN_LIFE})),
            Question("touchpoints.most_used"),
        ),
    ),
    (
        "pitfalls",
        (
            Question("pitfalls.assumptions"),
            Question("pitfalls.one_persona"),
            Question("pitfalls.internal_view"),
            Question("pitfalls.stops_at_sale", _NOT_DAY),
            # Every map, not only a future state: results of changes made from today's map
            # are worth writing down too.
            Question("pitfalls.measure_results"),
            Question("pitfalls.never_revisited"),
        ),
    ),
)

QUESTION_IDS: tuple[str, ...] = tuple(q.id for _, questions in GROUPS for q in questions)

_FIXED_KEYS = (
    "checklist.title",
    "checklist.title_untitled",
    "checklist.goal",
    "checklist.contributors",
    "checklist.intro",
    "checklist.progress",
    "checklist.continued",
    "checklist.findings.none",
    "checklist.change.emotion",
    "checklist.change.emotion_new",
    "checklist.change.emotion_gone",
    "checklist.change.added",
    "checklist.change.removed",
    "checklist.change.stage_added",
    "checklist.change.stage_removed",
    "checklist.change.persona_added",
    "checklist.change.persona_removed",
    "checklist.change.none",
    "checklist.hint.buy_or_refuse",
    "checklist.hint.outside_control",
    "checklist.hint.most_used",
    "checklist.hint.at_stage",
)


def keys() -> frozenset[str]:
    """Every key of this module's own catalog (a lane may bring its own empty-lane wording)."""
    return frozenset(
        _FIXED_KEYS
        + tuple(f"checklist.heading.{name}" for name in (FINDINGS, CHANGES))
        + tuple(f"checklist.heading.{name}" for name, _ in GROUPS)
        + tuple(q.key for _, questions in GROUPS for q in questions)
        + tuple(f"checklist.finding.{kind.value}" for kind in FindingKind)
        + tuple(declared.empty_wording for declared in lanes() if declared.empty_wording)
    )


def shared_keys() -> frozenset[str]:
    """The keys it borrows from the flows catalog: the lanes' names."""
    return frozenset(declared.label_key for declared in lanes())


# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A number inside a message, formatted in the message's language (1.5 / 1,5)."""

    value: float
    signed: bool = False  # emotion scores: "+1", "-2", "0"

    def format(self, lang: str) -> str:
        value = round(float(self.value), 1)
        if value == 0:
            return "0"
        pattern = "+0.#;-0.#" if self.signed else "0.#"
        return format_decimal(value, pattern, locale=_lang(lang))

    def __str__(self) -> str:
        return self.format(DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: Text | Join  # a question with what the map shows about it is two texts joined
    level: str | None = None  # findings: "high" / "medium" / "low"


@dataclass(frozen=True)
class ChecklistSection:
    id: str  # "findings", "changes", "customer", …
    heading: Text
    items: tuple[ChecklistItem, ...] = ()
    notes: tuple[Text, ...] = ()  # lines that are not ticked (no findings, what changed)


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def questions_for(map_type: MapType | None) -> list[tuple[str, list[Question]]]:
    """The fixed questions that fit a map type, by group."""
    kind = map_type or MapType.CURRENT
    return [(name, [q for q in qs if kind in q.types]) for name, qs in GROUPS]


def _quoted(items: Sequence[str], total: int) -> str:
    text = "; ".join(items)
    return text + "; …" if total > len(items) else text


def finding_text(finding: Finding) -> Text:
    """The finding as a message (`checklist.finding.<kind>`), numbers still unformatted."""
    v = finding.values
    params: dict[str, Any] = {"stage": shorten(finding.stage_name, STAGE_CHARS)}
    kind = finding.kind
    if kind in (FindingKind.LOWEST_EMOTION, FindingKind.BIGGEST_DROP):
        params["persona"] = shorten(finding.persona, PERSONA_CHARS)
    if kind == FindingKind.LOWEST_EMOTION:
        params["score"] = Number(v["score"], signed=True)
    elif kind == FindingKind.BIGGEST_DROP:
        params["drop"] = Number(v["drop"])
        params["from_stage"] = shorten(finding.from_stage_name, STAGE_CHARS)
    elif kind == FindingKind.PERSONAS_DIFFER:
        params["low_persona"] = shorten(finding.persona, PERSONA_CHARS)
        params["high_persona"] = shorten(finding.other_persona, PERSONA_CHARS)
        params["low"] = Number(v["low"], signed=True)
        params["high"] = Number(v["high"], signed=True)
    elif kind == FindingKind.RATERS_DISAGREE:
        params["persona"] = shorten(finding.persona, PERSONA_CHARS)
        params["low"] = Number(v["low"], signed=True)
        params["high"] = Number(v["high"], signed=True)
    elif kind in (
        FindingKind.PAIN_NO_OWNER,
        FindingKind.PAIN_NO_BACKSTAGE,
        FindingKind.PAIN_NO_IDEA,
    ):
        params["items"] = _quoted(finding.items, int(v.get("count", len(finding.items))))
    elif kind == FindingKind.TOO_MANY_TOUCHPOINTS:
        params["count"] = Number(v["count"])
        params["limit"] = Number(v["limit"])
    elif kind == FindingKind.EMPTY_LANE and finding.lane is not None:
        declared = lane(finding.lane)
        key = declared.empty_wording or f"checklist.finding.{kind.value}"
        return Text(key, {"lane": Text.of(declared.label_key)})
    return Text(f"checklist.finding.{kind.value}", params)


def _hint(journey_map: JourneyMap, question_id: str) -> Text | None:
    """What the map itself says about a question, when it says something."""
    if question_id == "customer.buy_or_refuse":
        at_sale = purchase_pains(journey_map)
        if at_sale:
            first = at_sale[0]
            items = _quoted(first.items, first.count)
            return Text.of("checklist.hint.buy_or_refuse", stage=_s(first.stage_name), items=items)
    elif question_id == "organisation.outside_control":
        others = outside_control(journey_map)
        if others:
            parts = [
                Text.of(
                    "checklist.hint.at_stage",
                    stage=_s(n.stage_name),
                    items=_quoted(n.items, n.count),
                )
                for n in others[:QUOTED_ITEMS]
            ]
            return Text.of("checklist.hint.outside_control", items=Join.of(parts, "; "))
    elif question_id == "touchpoints.most_used":
        busiest = busiest_touchpoint(journey_map)
        if busiest is not None:
            return Text.of(
                "checklist.hint.most_used",
                touchpoint=busiest[0],
                count=Number(busiest[1]),
                stages=Number(len(journey_map.stages)),
            )
    return None


def question_text(question: Question, journey_map: JourneyMap) -> Text | Join:
    """A fixed question, followed by what the map already shows about it (the purchase's
    pain points, the couriers and marketplaces named, the touchpoint met most)."""
    hint = _hint(journey_map, question.id)
    if hint is None:
        return Text.of(question.key)
    return Join.of([Text.of(question.key), hint], " ")


def comparison_lines(comparison: Comparison) -> list[Text]:
    """What changed, one line each: personas, stages, emotion scores that moved, items added
    and removed in stages present in both versions."""
    lines: list[Text] = []
    for persona in comparison.personas_added:
        lines.append(Text.of("checklist.change.persona_added", persona=_p(persona)))
    for persona in comparison.personas_removed:
        lines.append(Text.of("checklist.change.persona_removed", persona=_p(persona)))
    for _, name in comparison.stages_added:
        lines.append(Text.of("checklist.change.stage_added", stage=_s(name)))
    for _, name in comparison.stages_removed:
        lines.append(Text.of("checklist.change.stage_removed", stage=_s(name)))
    for e in comparison.emotion_changes:
        common = {"stage": _s(e.stage_name), "persona": _p(e.persona)}
        if e.before is None and e.after is not None:
            after = Number(e.after, signed=True)
            lines.append(Text.of("checklist.change.emotion_new", after=after, **common))
        elif e.after is None and e.before is not None:
            before = Number(e.before, signed=True)
            lines.append(Text.of("checklist.change.emotion_gone", before=before, **common))
        elif e.before is not None and e.after is not None:
            lines.append(
                Text.of(
                    "checklist.change.emotion",
                    before=Number(e.before, signed=True),
                    after=Number(e.after, signed=True),
                    delta=Number(e.after - e.before, signed=True),
                    **common,
                )
            )
    for change in comparison.lanes:
        if change.before_stage is None or change.after_stage is None:
            continue  # the whole stage is new or gone: said above
        lane_name = Text.of(lane(change.lane).label_key)
        for key, texts in (("added", change.added), ("removed", change.removed)):
            if texts:
                quoted = [shorten(x, QUOTE_CHARS) for x in texts[:QUOTED_ITEMS]]
                items = _quoted(quoted, len(texts))
                stage = _s(change.stage_name)
                lines.append(
                    Text.of(f"checklist.change.{key}", stage=stage, lane=lane_name, items=items)
                )
    return lines or [Text.of("checklist.change.none")]


def _s(name: str) -> str:
    return shorten(name, STAGE_CHARS)


def _p(name: str) -> str:
    return shorten(name, PERSONA_CHARS)


def checklist_items(
    journey_map: JourneyMap, before: JourneyMap | None = None
) -> list[ChecklistSection]:
    """The checklist as data: the findings section first (with a note when there are none),
    then what changed since `before` (when given), then the fixed questions that fit the map
    type, by group. Empty groups are left out."""
    found = findings(journey_map)
    sections = [
        ChecklistSection(
            FINDINGS,
            Text.of(f"checklist.heading.{FINDINGS}"),
            tuple(ChecklistItem(f.id, finding_text(f), f.level) for f in found),
            () if found else (Text.of("checklist.findings.none"),),
        )
    ]
    if before is not None:
        sections.append(
            ChecklistSection(
                CHANGES,
                Text.of(f"checklist.heading.{CHANGES}"),
                notes=tuple(comparison_lines(compare(before, journey_map))),
            )
        )
    for name, questions in questions_for(journey_map.map_type):
        if questions:
            sections.append(
                ChecklistSection(
                    name,
                    Text.of(f"checklist.heading.{name}"),
                    tuple(ChecklistItem(q.id, question_text(q, journey_map)) for q in questions),
                )
            )
    return sections


def item_ids(sections: Iterable[ChecklistSection]) -> list[str]:
    """Every tickable id, in order."""
    return [item.id for section in sections for item in section.items]


# --- Text -------------------------------------------------------------------------------------


def _localize(value: Any, lang: str) -> Any:
    if isinstance(value, Number):
        return value.format(lang)
    if isinstance(value, Text):
        return Text(value.key, {k: _localize(v, lang) for k, v in value.params.items()})
    if isinstance(value, Join):
        return Join(tuple(_localize(v, lang) for v in value.items), value.sep)
    if isinstance(value, list | tuple):
        return [_localize(v, lang) for v in value]
    return value


def render_text(text: Text | Join, lang: str) -> str:
    """A checklist `Text` as plain text in `lang` (numbers in the language's format)."""
    lang = _lang(lang)
    return tr.render(_localize(text, lang), lang)


def describe(finding: Finding, lang: str) -> str:
    """One finding as a plain sentence."""
    return render_text(finding_text(finding), lang)


def _header(journey_map: JourneyMap, done: int, total: int) -> tuple[Text, list[Text]]:
    title = shorten(journey_map.title, LIMITS.title_chars)
    heading = (
        Text.of("checklist.title", title=title) if title else Text.of("checklist.title_untitled")
    )
    lines: list[Text] = []
    goal = shorten(journey_map.goal, LIMITS.item_chars)
    if goal:
        lines.append(Text.of("checklist.goal", goal=goal))
    names = [author.name for author in journey_map.contributors()]
    if names:  # in a team map, everyone who answered is named
        lines.append(Text.of("checklist.contributors", names=", ".join(names)))
    lines.append(Text.of("checklist.intro"))
    lines.append(Text.of("checklist.progress", done=done, total=total))
    return heading, lines


@cache
def _templates(html_mode: bool) -> Template:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html_mode,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    return env.get_template("checklist.html.j2" if html_mode else "checklist.txt.j2")


@dataclass(frozen=True)
class Block:
    """A part of the checklist as text: the header or one section, its heading line and its
    rows (one line each). Whoever sends it decides how blocks make messages (bot/replies.py
    packs them under Telegram's limit, splitting a block between rows when it must, with
    `continued` as the heading of the rest)."""

    heading: str
    rows: tuple[str, ...] = ()
    continued: str = ""

    def text(self, rows: tuple[str, ...] | None = None, continued: bool = False) -> str:
        heading = self.continued if continued and self.continued else self.heading
        return "\n".join([heading, *(self.rows if rows is None else rows)])


class _Renderer:
    """Renders header and section blocks in one language and mode."""

    def __init__(self, lang: str, html_mode: bool, ticked: frozenset[str]) -> None:
        self.lang = _lang(lang)
        self.html = html_mode
        self.ticked = ticked
        # The templates' macros (line, heading, item, note): attributes jinja makes at run time.
        self.module: Any = _templates(html_mode).module

    def line(self, text: Text | Join) -> str | Markup:
        plain = render_text(text, self.lang)
        return Markup(html_escape(plain, quote=False)) if self.html else plain

    def header(self, heading: Text, lines: list[Text]) -> Block:
        rows = tuple(str(self.module.line(self.line(x))) for x in lines)
        return Block(str(self.module.heading(self.line(heading))), rows)

    def section(self, section: ChecklistSection) -> Block:
        items = [
            str(self.module.item(self.line(i.text), i.id in self.ticked, i.level))
            for i in section.items
        ]
        notes = [str(self.module.note(self.line(n))) for n in section.notes]
        continued = Text.of("checklist.continued", heading=section.heading)
        return Block(
            str(self.module.heading(self.line(section.heading))),
            (*items, *notes),
            str(self.module.heading(self.line(continued))),
        )


def checklist_blocks(
    journey_map: JourneyMap,
    lang: str,
    ticked: Iterable[str] = frozenset(),
    html: bool = False,
    before: JourneyMap | None = None,
) -> list[Block]:
    """The checklist as text blocks: the header, the findings, what changed since `before`
    (when given), then the questions by group. `html=True` gives Telegram's HTML
    (parse_mode="HTML") with user text escaped; plain text otherwise."""
    ticked_ids = frozenset(ticked)
    sections = checklist_items(journey_map, before)
    ids = item_ids(sections)
    done = sum(1 for i in ids if i in ticked_ids)
    renderer = _Renderer(lang, html, ticked_ids)
    header = renderer.header(*_header(journey_map, done, len(ids)))
    return [header, *(renderer.section(section) for section in sections)]


def checklist_sections_for_export(
    journey_map: JourneyMap,
    lang: str,
    ticked: Iterable[str] = frozenset(),
    before: JourneyMap | None = None,
) -> list[tuple[str, list[tuple[str, bool | None]]]]:
    """For the PDF/HTML exports: (heading, [(plain text, ticked)]) per section, findings
    first. `ticked` is None for a line that is not a checklist item (the "nothing stands out"
    note, the lines of what changed): draw it without a box. Plain text, not escaped: the
    exporter escapes for its own format."""
    ticked_ids = frozenset(ticked)
    out: list[tuple[str, list[tuple[str, bool | None]]]] = []
    for section in checklist_items(journey_map, before):
        rows: list[tuple[str, bool | None]] = [
            (render_text(i.text, lang), i.id in ticked_ids) for i in section.items
        ]
        rows += [(render_text(n, lang), None) for n in section.notes]
        out.append((render_text(section.heading, lang), rows))
    return out


def missing_keys(lang: str, wanted: Iterable[str] | None = None) -> set[str]:
    """Keys (default: this module's own) that `lang`'s catalog chain cannot translate."""
    return {key for key in (keys() if wanted is None else wanted) if not tr.has(lang, key)}
