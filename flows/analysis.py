"""What a journey map says about itself: findings computed from the map, and what changed
between two versions of a map. Pure functions over `flows.model`, no I/O, no wording.

A `Finding` is data (kind, stage, persona, numbers, severity); `renderers.checklist` turns it
into a sentence in the user's language. `findings()` returns them most important first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from statistics import mean

from flows import spec
from flows.i18n import t
from flows.model import JourneyMap, Stage
from flows.spec import LANGUAGES, LaneSpec, MapType, Shape, lanes_for

# --- Thresholds -------------------------------------------------------------------------------
# The emotion scale runs −2..+2 (five steps), so the thresholds are counted in steps of it.

# A stage is a "moment of truth" worth fixing first only when the persona is actually unhappy
# there (below neutral); the lowest point of a map that is positive everywhere is not a problem.
LOW_EMOTION_BELOW = 0.0

# A fall of two steps between neighbouring stages (pleased +1 → annoyed −1) is a real break in
# the experience; a one-step wobble is normal and would flag almost every map.
MIN_DROP = 2.0

# Two personas two steps apart at one stage (neutral vs delighted) live that stage differently:
# the "one persona for everyone" mistake would hide it.
PERSONA_GAP = 2.0

# Team members two steps apart when rating the same persona at the same stage do not agree on
# what the customer feels: a sign the map rests on guesses, so ask real customers.
RATER_SPREAD = 2

# What a lane's emptiness weighs, how many of its items are too many at one stage, and which
# lanes answer the pain points are declared with the lane (flows/spec.py).

# How many user-written items a finding quotes, and how long each quote may be: findings are
# read on a phone, and the full text is on the map anyway.
QUOTED_ITEMS = 2
QUOTE_CHARS = 80

# A pain point at a moment of truth (a stage where the customer decides whether to stay) costs
# more than one elsewhere: its findings weigh this much more, which lifts "3 pain points
# without an owner" (54) into "fix first".
MOMENT_OF_TRUTH_WEIGHT = 15.0

# Severity levels (used for the marker next to a finding): at or above HIGH is "fix first".
SEVERITY_HIGH = 60.0
SEVERITY_MEDIUM = 40.0


class FindingKind(StrEnum):
    """The kinds of findings, in the order they are listed when equally severe."""

    LOWEST_EMOTION = "lowest_emotion"  # the persona's worst stage, below neutral
    BIGGEST_DROP = "biggest_drop"  # the persona's largest fall between neighbouring stages
    ENDS_AT_PURCHASE = "ends_at_purchase"  # the last stage is the sale, nothing after it
    EMPTY_LANE = "empty_lane"  # a lane with nothing in it on the whole map
    # A stage's problems (pain points) left unanswered by a lane that answers them
    # (`LaneSpec.answers_problems`): no owner, no backstage process, no opportunity.
    PAIN_NO_OWNER = "pain_no_owner"
    PAIN_NO_BACKSTAGE = "pain_no_backstage"
    PAIN_NO_IDEA = "pain_no_idea"
    NO_TOUCHPOINTS = "no_touchpoints"  # a stage where the customer meets nothing of yours
    PERSONAS_DIFFER = "personas_differ"  # two personas' scores far apart at one stage
    RATERS_DISAGREE = "raters_disagree"  # a group's ratings for one persona far apart
    TOO_MANY_TOUCHPOINTS = "too_many_touchpoints"  # more than the lane's `crowded` limit


# Base severity per kind; the magnitude (how low, how far, how many) is added on top.
# Emotions first (they are what the customer feels), then the gaps that leave a pain unsolved,
# then the structure of the map.
_BASE: dict[FindingKind, float] = {
    FindingKind.LOWEST_EMOTION: 50,  # + 10 per step below neutral → 55..70
    FindingKind.BIGGEST_DROP: 40,  # + 10 per step of the drop → 60..80
    FindingKind.ENDS_AT_PURCHASE: 55,
    FindingKind.EMPTY_LANE: 0,  # per lane: LaneSpec.empty_weight
    FindingKind.PAIN_NO_OWNER: 45,  # + 3 per pain point (up to 5)
    FindingKind.PAIN_NO_BACKSTAGE: 40,  # + 3 per pain point (up to 5)
    FindingKind.PAIN_NO_IDEA: 35,  # + 3 per pain point (up to 5)
    FindingKind.NO_TOUCHPOINTS: 40,
    FindingKind.PERSONAS_DIFFER: 30,  # + 5 per step of the gap → 40..50
    FindingKind.RATERS_DISAGREE: 25,  # + 5 per step of the spread → 35..45
    FindingKind.TOO_MANY_TOUCHPOINTS: 20,  # + 2 per touchpoint over the limit
}

# Who else takes part in the journey, in the three languages and the services small shops use
# there (folded to lower-case ASCII): couriers, the post, marketplaces, delivery and payment
# apps. Matched whole-word in a stage's touchpoints, actions, pain points and backstage.
_OUTSIDE = re.compile(
    r"\b(?:courier\w*|postal|post office|postman|shipping compan\w*|carrier|marketplace\w*"
    r"|delivery app|kurir|ekspedisi|jne|j&t|sicepat|anteraja|pos indonesia|gojek|gosend|grab"
    r"|grabexpress|shopee\w*|tokopedia|lazada|kurier\w*|poczt\w*|listonosz\w*|paczkomat\w*"
    r"|inpost|dpd|dhl|ups|fedex|allegro|olx|pyszne|glovo|uber eats|wolt|bolt food)\b"
)
OUTSIDE_LANES = ("touchpoints", "actions", "pains", "backstage")
# A touchpoint met at this many stages or more is where the customer's time goes.
BUSIEST_AT = 3

# Words that make a stage name the sale itself, in English, Indonesian and Polish, matched
# whole-word on the name folded to lower-case ASCII (so "Płatność" and "platnosc" both match).
_PURCHASE = re.compile(
    r"\b(?:purchas\w*|buy|buying|checkout|check[- ]out|pay|paying|payment\w*|ordering"
    r"|beli|membeli|pembelian|dibeli|bayar|membayar|pembayaran|dibayar|transaksi|pemesanan"
    r"|zakup\w*|kupno|kupowanie|platnos\w*|placeni\w*|zaplat\w*|kasa|zamowienie)\b"
)
# ...unless the name says it is after (or a repeat of) the sale: "Post-purchase", "Setelah
# pembelian", "Po zakupie", "Repeat order", "Pembelian ulang", "Ponowny zakup".
_AFTER = re.compile(
    r"\b(?:post|after|following|repeat|again|setelah|sesudah|pasca|purna|ulang|kembali"
    r"|po|ponown\w*|kolejn\w*)\b"
)


@dataclass(frozen=True)
class Finding:
    """One thing the map shows that deserves attention.

    `stage` is the index in `journey_map.stages` (None for map-wide findings); `values` holds
    the numbers (score, drop, gap, count …); `items` quotes user text (shortened)."""

    kind: FindingKind
    severity: float
    stage: int | None = None
    stage_name: str = ""
    persona: str = ""
    persona_index: int | None = None
    other_persona: str = ""  # PERSONAS_DIFFER: the persona with the higher score
    from_stage: int | None = None  # BIGGEST_DROP: the stage the mood falls from
    from_stage_name: str = ""
    lane: str | None = None  # EMPTY_LANE: the lane's id
    values: Mapping[str, float] = field(default_factory=dict)
    items: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A stable id for ticking: kind, stage, persona and lane, e.g.
        `finding.biggest_drop.s3.p0` (short enough for Telegram callback data)."""
        parts = ["finding", self.kind.value]
        if self.stage is not None:
            parts.append(f"s{self.stage}")
        if self.persona_index is not None:
            parts.append(f"p{self.persona_index}")
        if self.lane is not None:
            parts.append(self.lane)
        return ".".join(parts)

    @property
    def level(self) -> str:
        if self.severity >= SEVERITY_HIGH:
            return "high"
        if self.severity >= SEVERITY_MEDIUM:
            return "medium"
        return "low"


# --- Findings ---------------------------------------------------------------------------------


def findings(journey_map: JourneyMap) -> list[Finding]:
    """Everything the map shows, most important first."""
    if not journey_map.stages:
        return []
    found: list[Finding] = []
    found += _emotion_findings(journey_map)
    empty = empty_lanes(journey_map)
    map_type = journey_map.map_type
    found += [
        Finding(FindingKind.EMPTY_LANE, lane.empty_severity(map_type), lane=lane.id)
        for lane in empty
    ]
    found += _stage_findings(journey_map, empty)
    end = _ends_at_purchase(journey_map)
    if end is not None:
        found.append(end)
    order, lanes = list(FindingKind), [lane.id for lane in spec.lanes()]
    return sorted(
        found,
        key=lambda f: (
            -f.severity,
            order.index(f.kind),
            -1 if f.stage is None else f.stage,
            f.persona_index if f.persona_index is not None else -1,
            lanes.index(f.lane) if f.lane is not None else -1,
        ),
    )


def personas_of(journey_map: JourneyMap) -> list[str]:
    """The personas the emotions are about: the map's personas, then any name only ratings use
    (a persona removed after it was rated still has a curve)."""
    names = journey_map.persona_names()
    for stage in journey_map.stages:
        for rating in stage.emotions:
            if rating.persona not in names:
                names.append(rating.persona)
    return names


def _emotion_findings(journey_map: JourneyMap) -> list[Finding]:
    stages = journey_map.stages
    out: list[Finding] = []
    personas = personas_of(journey_map)
    for p_index, persona in enumerate(personas):
        rated = [(i, s.emotion_of(persona)) for i, s in enumerate(stages)]
        curve = [(i, score) for i, score in rated if score is not None]
        if not curve:
            continue
        low_index, low = min(curve, key=lambda pair: pair[1])  # first of equal lows
        if low < LOW_EMOTION_BELOW:
            out.append(
                Finding(
                    FindingKind.LOWEST_EMOTION,
                    _BASE[FindingKind.LOWEST_EMOTION] + 10 * (LOW_EMOTION_BELOW - low),
                    stage=low_index,
                    stage_name=stages[low_index].name,
                    persona=persona,
                    persona_index=p_index,
                    values={"score": low},
                )
            )
        # Neighbours on the curve: an unrated stage in between is stepped over.
        drops = [
            (a_score - b_score, a_index, b_index, a_score, b_score)
            for (a_index, a_score), (b_index, b_score) in pairwise(curve)
        ]
        if drops:
            drop, a_index, b_index, before, after = max(drops, key=lambda d: d[0])
            if drop >= MIN_DROP:
                out.append(
                    Finding(
                        FindingKind.BIGGEST_DROP,
                        _BASE[FindingKind.BIGGEST_DROP] + 10 * drop,
                        stage=b_index,
                        stage_name=stages[b_index].name,
                        persona=persona,
                        persona_index=p_index,
                        from_stage=a_index,
                        from_stage_name=stages[a_index].name,
                        values={"drop": drop, "before": before, "after": after},
                    )
                )
    for s_index, stage in enumerate(stages):
        scores = [(p, stage.emotion_of(p)) for p in personas]
        rated_here = [(p, s) for p, s in scores if s is not None]
        if len(rated_here) >= 2:
            low_p, low = min(rated_here, key=lambda pair: pair[1])
            high_p, high = max(rated_here, key=lambda pair: pair[1])
            gap = high - low
            if gap >= PERSONA_GAP:
                out.append(
                    Finding(
                        FindingKind.PERSONAS_DIFFER,
                        _BASE[FindingKind.PERSONAS_DIFFER] + 5 * gap,
                        stage=s_index,
                        stage_name=stage.name,
                        persona=low_p,
                        other_persona=high_p,
                        values={"low": low, "high": high, "gap": gap},
                    )
                )
        for p_index, persona in enumerate(personas):
            spread = stage.emotion_spread(persona)
            if spread is not None and spread[1] - spread[0] >= RATER_SPREAD:
                width = spread[1] - spread[0]
                out.append(
                    Finding(
                        FindingKind.RATERS_DISAGREE,
                        _BASE[FindingKind.RATERS_DISAGREE] + 5 * width,
                        stage=s_index,
                        stage_name=stage.name,
                        persona=persona,
                        persona_index=p_index,
                        values={"low": spread[0], "high": spread[1], "spread": width},
                    )
                )
    return out


def empty_lanes(journey_map: JourneyMap) -> list[LaneSpec]:
    """The lanes of this map's type with nothing in them on any stage."""
    if not journey_map.stages:
        return []
    lanes = lanes_for(journey_map.map_type)
    return [lane for lane in lanes if not any(s.filled(lane) for s in journey_map.stages)]


def _quote(texts: list[str]) -> tuple[str, ...]:
    return tuple(shorten(text, QUOTE_CHARS) for text in texts[:QUOTED_ITEMS])


def shorten(text: str, limit: int) -> str:
    """The text cut to `limit` characters at a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _stage_findings(journey_map: JourneyMap, empty: list[LaneSpec]) -> list[Finding]:
    """Per-stage gaps, from what the lanes declare: problems no lane answers, a stage without
    a lane it needs everywhere, too many items at a stage. A lane empty on the whole map is
    reported once (EMPTY_LANE), not again for every stage."""
    lanes = lanes_for(journey_map.map_type)
    problem_lanes = [lane for lane in lanes if lane.problems]
    out: list[Finding] = []

    def add(
        kind: FindingKind,
        index: int,
        extra: float = 0,
        items: tuple[str, ...] = (),
        values: Mapping[str, float] | None = None,
    ) -> None:
        name = journey_map.stages[index].name
        severity = _BASE[kind] + extra
        out.append(Finding(kind, severity, index, name, items=items, values=values or {}))

    for index, stage in enumerate(journey_map.stages):
        pains = [text for lane in problem_lanes for text in stage.texts(lane)]
        weight: float = 3 * min(len(pains), 5)
        if stage.moment_of_truth:
            weight += MOMENT_OF_TRUTH_WEIGHT
        quoted = _quote(pains)
        count = {"count": len(pains)}
        for lane in lanes:
            # A lane left empty everywhere is one finding (EMPTY_LANE), not one per stage.
            here = lane not in empty and stage.filled(lane)
            if pains and lane.answers_problems and lane not in empty and not here:
                kind = FindingKind(lane.answers_problems)
                add(kind, index, weight, items=quoted, values=count)
            if lane.needed_each_stage and lane not in empty and not here:
                add(FindingKind(lane.needed_each_stage), index)
            limit, crowded = lane.crowded
            texts = stage.texts(lane)
            if crowded and len(texts) > limit:
                values = {"count": len(texts), "limit": limit}
                add(FindingKind(crowded), index, 2 * (len(texts) - limit), values=values)
    return out


def fold(text: str) -> str:
    """Lower-case ASCII-ish form for matching: accents dropped, ł → l, spaces collapsed."""
    text = text.casefold().replace("ł", "l")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def _default_purchase_names() -> set[str]:
    """The default purchase stage's name in every language (as the interview offered it)."""
    names = set()
    for lang in LANGUAGES:
        name = t.template(lang, "stage.purchase")
        if name != "stage.purchase":  # the catalog knows it
            names.add(fold(name))
    return names


def is_purchase_stage(name: str) -> bool:
    """Whether a stage name is the sale itself (not what comes after it)."""
    folded = fold(name)
    if not folded:
        return False
    if folded in _default_purchase_names():
        return True
    return bool(_PURCHASE.search(folded)) and not _AFTER.search(folded)


def _ends_at_purchase(journey_map: JourneyMap) -> Finding | None:
    if journey_map.map_type == MapType.DAY_IN_LIFE:
        return None  # a day in the life is not a sales journey
    last = len(journey_map.stages) - 1
    if not is_purchase_stage(journey_map.stages[last].name):
        return None
    return Finding(
        FindingKind.ENDS_AT_PURCHASE,
        _BASE[FindingKind.ENDS_AT_PURCHASE],
        stage=last,
        stage_name=journey_map.stages[last].name,
    )


# --- What the method's questions can be told from the map ------------------------------------


@dataclass(frozen=True)
class Named:
    """Items of the map a question is about, at one stage (quoted, shortened)."""

    stage: int
    stage_name: str
    items: tuple[str, ...]
    count: int


def purchase_pains(journey_map: JourneyMap) -> list[Named]:
    """The pain points at the sale: what may make a customer walk away without buying."""
    if journey_map.map_type == MapType.DAY_IN_LIFE:
        return []
    problem_lanes = [d for d in lanes_for(journey_map.map_type) if d.problems]
    out = []
    for index, stage in enumerate(journey_map.stages):
        if is_purchase_stage(stage.name):
            pains = [text for d in problem_lanes for text in stage.texts(d)]
            if pains:
                out.append(Named(index, stage.name, _quote(pains), len(pains)))
    return out


def outside_control(journey_map: JourneyMap) -> list[Named]:
    """Where a courier, the post, a marketplace or an app is part of the journey: the items
    that name one, stage by stage."""
    declared = {d.id for d in lanes_for(journey_map.map_type)}
    out = []
    for index, stage in enumerate(journey_map.stages):
        others = [
            text
            for lane_id in OUTSIDE_LANES
            if lane_id in declared
            for text in stage.texts(lane_id)
            if _OUTSIDE.search(fold(text))
        ]
        if others:
            out.append(Named(index, stage.name, _quote(others), len(others)))
    return out


def busiest_touchpoint(journey_map: JourneyMap) -> tuple[str, int] | None:
    """The touchpoint customers meet at the most stages (at BUSIEST_AT or more), and at how
    many: where their time goes."""
    met: Counter[str] = Counter()
    named: dict[str, str] = {}
    for stage in journey_map.stages:
        for folded, written in {fold(x): x for x in stage.texts("touchpoints")}.items():
            met[folded] += 1
            named.setdefault(folded, written)
    if not met:
        return None
    key, count = met.most_common(1)[0]  # (the first named wins a tie)
    return (shorten(named[key], QUOTE_CHARS), count) if count >= BUSIEST_AT else None


def moment_candidates(journey_map: JourneyMap) -> list[int]:
    """The stages the review offers as moments of truth: the purchase, and the stage where
    the customer feels worst (the lowest mean over the personas rated there)."""
    found = [i for i, s in enumerate(journey_map.stages) if is_purchase_stage(s.name)]
    moods = []
    for index, stage in enumerate(journey_map.stages):
        scores = [stage.emotion_of(p) for p in personas_of(journey_map)]
        rated = [score for score in scores if score is not None]
        if rated:
            moods.append((mean(rated), index))
    if moods:
        lowest = min(moods)[1]
        if lowest not in found:
            found.append(lowest)
    return sorted(found)


# --- Comparing two versions -------------------------------------------------------------------


def compared_lanes() -> tuple[LaneSpec, ...]:
    """The lanes compared item by item (a one-answer lane counts as a lane of at most one
    item; the scores are compared on their own)."""
    return tuple(lane for lane in spec.lanes() if lane.shape != Shape.RATINGS)


@dataclass(frozen=True)
class EmotionChange:
    """One persona's score at one stage present in both maps (matched by name)."""

    stage_name: str
    persona: str
    before: float | None
    after: float | None
    before_stage: int
    after_stage: int

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class LaneChange:
    """Items added and removed in one lane of one stage. A stage only in one map has all its
    items added (or removed), and the other index is None."""

    stage_name: str
    lane: str  # the lane's id
    added: tuple[str, ...]
    removed: tuple[str, ...]
    before_stage: int | None
    after_stage: int | None


@dataclass(frozen=True)
class Comparison:
    emotions: tuple[EmotionChange, ...] = ()
    lanes: tuple[LaneChange, ...] = ()
    stages_added: tuple[tuple[int, str], ...] = ()  # (index in after, name)
    stages_removed: tuple[tuple[int, str], ...] = ()  # (index in before, name)
    personas_added: tuple[str, ...] = ()
    personas_removed: tuple[str, ...] = ()

    @property
    def emotion_changes(self) -> tuple[EmotionChange, ...]:
        """Only the scores that moved, or were given or taken away."""
        return tuple(e for e in self.emotions if e.delta != 0)

    @property
    def changed(self) -> bool:
        return bool(
            self.emotion_changes
            or self.lanes
            or self.stages_added
            or self.stages_removed
            or self.personas_added
            or self.personas_removed
        )


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def match_stages(before: JourneyMap, after: JourneyMap) -> list[tuple[int | None, int | None]]:
    """Pairs of stage indices (before, after) matched by name, case-insensitively; the k-th
    stage of a name in one map pairs with the k-th of that name in the other. Unmatched stages
    pair with None. Ordered by the after map, removed stages last."""
    waiting: dict[str, list[int]] = {}
    for index, stage in enumerate(before.stages):
        waiting.setdefault(_key(stage.name), []).append(index)
    pairs: list[tuple[int | None, int | None]] = []
    used: set[int] = set()
    for index, stage in enumerate(after.stages):
        queue = waiting.get(_key(stage.name))
        if queue:
            b = queue.pop(0)
            used.add(b)
            pairs.append((b, index))
        else:
            pairs.append((None, index))
    pairs += [(i, None) for i in range(len(before.stages)) if i not in used]
    return pairs


def _lane_texts(stage: Stage | None, lane: LaneSpec) -> list[str]:
    return stage.texts(lane) if stage is not None else []


def _diff(old: list[str], new: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(added, removed), comparing case- and space-insensitively, counting repeats."""
    old_left = Counter(_key(x) for x in old)
    new_left = Counter(_key(x) for x in new)
    added, removed = [], []
    for text in new:
        if old_left[_key(text)] > 0:
            old_left[_key(text)] -= 1
        else:
            added.append(text)
    for text in old:
        if new_left[_key(text)] > 0:
            new_left[_key(text)] -= 1
        else:
            removed.append(text)
    return tuple(added), tuple(removed)


def compare(before: JourneyMap, after: JourneyMap) -> Comparison:
    """What changed from `before` (e.g. the current state) to `after` (the future state copied
    from it): emotion scores per matched stage and persona, items per stage and lane, stages
    and personas added or removed."""
    before_personas = {_key(p): p for p in personas_of(before)}
    after_personas = {_key(p): p for p in personas_of(after)}
    # Personas matched case-insensitively; after's spelling wins.
    personas = list(after_personas.values()) + [
        p for k, p in before_personas.items() if k not in after_personas
    ]

    def score(stage: Stage, persona: str, names: dict[str, str]) -> float | None:
        name = names.get(_key(persona))
        return None if name is None else stage.emotion_of(name)

    emotions: list[EmotionChange] = []
    lanes: list[LaneChange] = []
    added_stages: list[tuple[int, str]] = []
    removed_stages: list[tuple[int, str]] = []
    for b_index, a_index in match_stages(before, after):
        b_stage = before.stages[b_index] if b_index is not None else None
        a_stage = after.stages[a_index] if a_index is not None else None
        if a_stage is not None and a_index is not None and b_stage is None:
            added_stages.append((a_index, a_stage.name))
        elif b_stage is not None and b_index is not None and a_stage is None:
            removed_stages.append((b_index, b_stage.name))
        elif a_stage is not None and b_stage is not None and a_index is not None:
            for persona in personas:
                old = score(b_stage, persona, before_personas)
                new = score(a_stage, persona, after_personas)
                if old is not None or new is not None:
                    emotions.append(
                        EmotionChange(a_stage.name, persona, old, new, b_index or 0, a_index)
                    )
        stage = a_stage or b_stage
        if stage is None:
            continue
        for lane in compared_lanes():
            added, removed = _diff(_lane_texts(b_stage, lane), _lane_texts(a_stage, lane))
            if added or removed:
                lanes.append(LaneChange(stage.name, lane.id, added, removed, b_index, a_index))
    return Comparison(
        emotions=tuple(emotions),
        lanes=tuple(lanes),
        stages_added=tuple(added_stages),
        stages_removed=tuple(removed_stages),
        personas_added=tuple(p for k, p in after_personas.items() if k not in before_personas),
        personas_removed=tuple(p for k, p in before_personas.items() if k not in after_personas),
    )
