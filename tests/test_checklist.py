"""The analysis checklist: catalogs, map types, ticks, splitting, escaping, exports."""

from __future__ import annotations

import html
import re
import time
from string import Formatter

import pytest

from bot.replies import MESSAGE_LIMIT, pack, telegram_length
from flows.analysis import FindingKind, findings
from flows.i18n import FLOWS_LOCALES, Text, catalog_keys, load_catalog
from flows.model import JourneyMap, Persona
from flows.spec import LANGUAGES, MapType
from renderers.checklist import (
    CHECKLIST_LOCALES,
    QUESTION_IDS,
    Number,
    checklist_blocks,
    checklist_items,
    checklist_sections_for_export,
    describe,
    item_ids,
    keys,
    missing_keys,
    render_text,
    shared_keys,
)
from tests.test_analysis import healthy, journey, stage

MODES = [False, True]  # plain text, Telegram HTML
KEYS = keys()
SHARED_KEYS = shared_keys()


def render_checklist(
    journey_map: JourneyMap,
    lang: str,
    ticked: frozenset[str] | set[str] = frozenset(),
    html: bool = False,
    before: JourneyMap | None = None,
    limit: int = MESSAGE_LIMIT,
) -> list[str]:
    """The checklist as the bot sends it: the renderer's blocks packed into messages."""
    return pack(checklist_blocks(journey_map, lang, ticked, html, before), limit)


TELEGRAM_TAGS = {"b", "i", "u", "s", "code", "pre", "a"}

EXPECTED_IDS = (
    "customer.expectations",
    "customer.right_info",
    "customer.whom_to_contact",
    "customer.when_wrong",
    "customer.delay_notice",
    "customer.order_ack",
    "customer.complaint_ack",
    "customer.buy_or_refuse",
    "customer.returns",
    "interactions.as_intended",
    "interactions.logical_flow",
    "interactions.right_contact",
    "interactions.right_info_amount",
    "organisation.efficient",
    "organisation.clear_owner",
    "organisation.not_confusing",
    "organisation.backstage",
    "organisation.outside_control",
    "touchpoints.needs_motivation",
    "touchpoints.serve_well",
    "touchpoints.enough_support",
    "touchpoints.negative_emotion",
    "touchpoints.daily_moments",
    "touchpoints.most_used",
    "pitfalls.assumptions",
    "pitfalls.one_persona",
    "pitfalls.internal_view",
    "pitfalls.stops_at_sale",
    "pitfalls.measure_results",
    "pitfalls.never_revisited",
)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def everything_wrong():
    """A blueprint that triggers every kind of finding at least once."""
    many = [f"Channel {i}" for i in range(8)]
    stages = [
        stage("Awareness", touchpoints=many, emotions={"Budi": 2, "Sari": 2}),
        stage(
            "Delivery",
            touchpoints=(),
            pains=("Late", "Cold"),
            owner=None,
            backstage=(),
            emotions={"Budi": -2, "Sari": [1, -1]},
        ),
        stage("Checkout", thoughts=(), opportunities=("Promo",), emotions={"Budi": 0}),
    ]
    journey_map = journey(stages, MapType.BLUEPRINT)
    for s in journey_map.stages:
        s.put("actions", [])
    return journey_map


# --- Catalogs ---------------------------------------------------------------------------------


def test_item_ids_are_stable() -> None:
    assert QUESTION_IDS == EXPECTED_IDS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_exists_in_every_language(lang: str) -> None:
    own = catalog_keys(CHECKLIST_LOCALES, lang)
    assert own == set(KEYS)  # nothing missing, nothing stale
    assert missing_keys(lang) == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_shared_lane_names_exist(lang: str) -> None:
    # Lane names come from the shared flows catalog, not from ours.
    assert SHARED_KEYS - catalog_keys(FLOWS_LOCALES, lang) == set()
    assert SHARED_KEYS.isdisjoint(catalog_keys(CHECKLIST_LOCALES, lang))


def test_placeholders_match_across_languages() -> None:
    english = load_catalog(CHECKLIST_LOCALES, "en")
    for lang in LANGUAGES:
        catalog = load_catalog(CHECKLIST_LOCALES, lang)
        for key in KEYS:
            assert placeholders(catalog[key]) == placeholders(english[key]), (lang, key)
            assert catalog[key].strip() == catalog[key] and catalog[key], (lang, key)
    # Translated, not copied (the emotion change line is all placeholders and arrows).
    same = {k for k in KEYS if load_catalog(CHECKLIST_LOCALES, "pl")[k] == english[k]}
    assert same <= {"checklist.change.emotion"}


def test_every_finding_kind_is_triggered_by_the_fixture() -> None:
    kinds = {f.kind for f in findings(everything_wrong())}
    assert kinds == set(FindingKind)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("html_mode", MODES)
def test_renders_with_no_missing_key_or_placeholder(lang: str, html_mode: bool) -> None:
    before = healthy()
    messages = render_checklist(everything_wrong(), lang, html=html_mode, before=before)
    text = "\n".join(messages)
    assert "checklist." not in text and "lane." not in text
    assert "{" not in text and "}" not in text
    for finding in findings(everything_wrong()):
        assert describe(finding, lang) in html.unescape(text)


def test_languages_differ() -> None:
    first = [render_checklist(healthy(), lang)[0].splitlines()[0] for lang in LANGUAGES]
    assert first == [
        "Analysis checklist: Kopi Kita online orders",
        "Daftar periksa analisis: Kopi Kita online orders",
        "Lista kontrolna analizy: Kopi Kita online orders",
    ]


def test_unknown_language_falls_back_to_english() -> None:
    assert render_checklist(healthy(), "de") == render_checklist(healthy(), "en")


# --- Map types --------------------------------------------------------------------------------


def ids_for(map_type: MapType) -> list[str]:
    return item_ids(checklist_items(healthy(map_type)))


def test_day_in_the_life_leaves_out_purchase_questions() -> None:
    day = ids_for(MapType.DAY_IN_LIFE)
    assert "customer.order_ack" not in day and "pitfalls.stops_at_sale" not in day
    assert "touchpoints.daily_moments" in day
    current = ids_for(MapType.CURRENT)
    assert "customer.order_ack" in current and "pitfalls.stops_at_sale" in current
    assert "touchpoints.daily_moments" not in current
    text = "\n".join(render_checklist(healthy(MapType.DAY_IN_LIFE), "en"))
    assert "order or pay" not in text and "past the sale" not in text


def test_type_specific_questions() -> None:
    assert "organisation.backstage" in ids_for(MapType.BLUEPRINT)
    assert "organisation.backstage" not in ids_for(MapType.CURRENT)
    # Results are worth measuring whatever the map (the seeds ask it of every map type).
    assert all("pitfalls.measure_results" in ids_for(kind) for kind in MapType)
    assert "customer.returns" in ids_for(MapType.CURRENT)
    assert "customer.returns" not in ids_for(MapType.DAY_IN_LIFE)
    assert len(ids_for(MapType.CURRENT)) == 28


def test_findings_come_first_in_order() -> None:
    journey_map = everything_wrong()
    sections = checklist_items(journey_map)
    assert [s.id for s in sections] == [
        "findings",
        "customer",
        "interactions",
        "organisation",
        "touchpoints",
        "pitfalls",
    ]
    assert [i.id for i in sections[0].items] == [f.id for f in findings(journey_map)]
    assert sections[0].items[0].level == "high"


def test_healthy_map_says_nothing_stands_out() -> None:
    sections = checklist_items(healthy())
    assert sections[0].items == () and len(sections[0].notes) == 1
    text = render_checklist(healthy(), "pl")[0]
    assert "Sama mapa nie pokazuje niczego niepokojącego." in text


# --- Ticks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("html_mode", MODES)
def test_ticks_are_shown_and_counted(html_mode: bool) -> None:
    journey_map = everything_wrong()
    first = findings(journey_map)[0].id
    ticked = {"customer.expectations", first, "no.such.item"}
    text = "\n".join(render_checklist(journey_map, "en", ticked, html=html_mode))
    total = len(item_ids(checklist_items(journey_map)))
    assert f"Done: 2 of {total}" in text
    lines = text.splitlines()
    expectations = next(line for line in lines if "know what to expect" in line)
    assert expectations.startswith("✅ ")
    right_info = next(line for line in lines if "right information at the right time" in line)
    assert right_info.startswith("⬜ ")
    assert sum(line.startswith("✅ ") for line in lines) == 2
    assert sum(line.startswith("🔴 ") for line in lines) >= 1


# --- Splitting --------------------------------------------------------------------------------


def long_map():
    """Ten stages of long names and pains, many personas: several messages' worth."""
    stages = []
    for i in range(10):
        stages.append(
            stage(
                f"Etap {i} " + "bardzo długa nazwa etapu " * 4,  # within the 120 characters
                touchpoints=[f"Kanał {j}" for j in range(8)] if i % 2 else (),
                pains=[f"Problem {j} " + "ż" * 288 for j in range(12)],  # within 300
                owner=None,
                emotions={"Budi": 2 if i % 2 else -2, "Sari": [2, -2]},
            )
        )
    journey_map = journey(stages, MapType.BLUEPRINT)
    journey_map.personas += [
        Persona(name=f"Persona {n}", author=journey_map.personas[0].author) for n in range(3)
    ]
    journey_map.title = "T" * 120
    journey_map.goal = "G" * 300
    return journey_map


@pytest.mark.parametrize("html_mode", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_long_checklist_splits_under_the_limit(lang: str, html_mode: bool) -> None:
    journey_map = long_map()
    messages = render_checklist(journey_map, lang, html=html_mode)
    assert len(messages) > 1
    assert all(0 < telegram_length(m) <= MESSAGE_LIMIT for m in messages)
    # Nothing lost, nothing repeated: every item's line appears exactly once.
    text = html.unescape("\n".join(messages))
    for section in checklist_items(journey_map):
        for item in section.items:
            line = describe_item(item.text, lang)
            assert text.count(line) == 1, item.id
    # Split between groups: every message after the first starts with a heading.
    headings = [describe_item(s.heading, lang) for s in checklist_items(journey_map)]
    for message in messages[1:]:
        first_line = html.unescape(re.sub(r"</?b>", "", message.splitlines()[0]))
        assert any(first_line.startswith(h) for h in headings), first_line


def describe_item(text, lang: str) -> str:
    from renderers.checklist import render_text

    return render_text(text, lang)


def test_split_inside_a_group_only_when_it_alone_is_too_long() -> None:
    messages = render_checklist(everything_wrong(), "en", limit=700)
    assert all(telegram_length(m) <= 700 for m in messages)
    continued = [m for m in messages if m.startswith("What this map shows (continued)")]
    assert continued  # the findings section alone is longer than 700
    # Short groups are never split: each group heading appears once.
    text = "\n".join(messages)
    assert text.count("\nThe customer\n") + text.startswith("The customer\n") == 1


def test_short_checklist_is_one_message() -> None:
    messages = render_checklist(healthy(), "id", html=True)
    assert len(messages) == 1
    assert telegram_length(messages[0]) < MESSAGE_LIMIT


def test_telegram_length_counts_utf16() -> None:
    assert telegram_length("ab") == 2
    assert telegram_length("☕") == 1
    assert telegram_length("🔴") == 2
    assert telegram_length("ż") == 1


# --- Escaping ---------------------------------------------------------------------------------

NASTY_TITLE = "<b>Kopi</b> & Roti 🍞 Żółć ąę — Kedai “Kita”"
NASTY_STAGE = "Płatność & <script>alert(1)</script>"
NASTY_PERSONA = "Zoë <i>"


def nasty_map():
    journey_map = journey(
        [
            stage("Świadomość", emotions={NASTY_PERSONA: 2}),
            stage(
                NASTY_STAGE,
                pains=("Antre <panjang> & lama 😩",),
                owner=None,
                emotions={NASTY_PERSONA: -2},
            ),
        ],
        personas=(NASTY_PERSONA,),
    )
    journey_map.title = NASTY_TITLE
    journey_map.goal = "Kurangi keluhan & <u>antrean</u>"
    return journey_map


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_escapes_user_text_and_uses_only_telegram_tags(lang: str) -> None:
    messages = render_checklist(nasty_map(), lang, html=True)
    text = "\n".join(messages)
    assert "<script>" not in text and "<b>Kopi</b>" not in text and "<i>" not in text
    assert "&lt;script&gt;" in text and "&amp; Roti" in text
    assert set(re.findall(r"</?([a-zA-Z]+)", text)) <= TELEGRAM_TAGS
    # Every tag opened is closed, and no stray & outside an entity.
    assert text.count("<b>") == text.count("</b>")
    assert not re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", text)
    unescaped = html.unescape(text)
    for original in (NASTY_TITLE, NASTY_STAGE, NASTY_PERSONA, "Antre <panjang> & lama 😩"):
        assert original in unescaped


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plain_text_keeps_user_text_exactly(lang: str) -> None:
    text = "\n".join(render_checklist(nasty_map(), lang))
    for original in (NASTY_TITLE, NASTY_STAGE, NASTY_PERSONA, "Kurangi keluhan & <u>antrean</u>"):
        assert original in text
    assert "&amp;" not in text and "&lt;" not in text


# --- Numbers, changes, exports ----------------------------------------------------------------


def test_numbers_follow_the_language() -> None:
    assert [Number(1.5, signed=True).format(lang) for lang in LANGUAGES] == ["+1.5", "+1,5", "+1,5"]
    assert Number(-2, signed=True).format("pl") == "-2"
    assert Number(0, signed=True).format("en") == "0"
    assert Number(2 / 3).format("id") == "0,7"
    journey_map = journey(
        [stage("A", emotions={"Budi": [2, 1]}), stage("B", emotions={"Budi": [-1, -2]})]
    )
    assert "nastrój spada o 3 między „A” a „B”" in render_checklist(journey_map, "pl")[0]
    assert "(-1,5)" in render_checklist(journey_map, "id")[0]


def test_what_changed_section() -> None:
    before = healthy()
    after = healthy(MapType.FUTURE)
    after.stages[3] = stage(
        "delivery",
        pains=("Courier is sometimes late",),
        opportunities=("Send a tracking link", "Own courier"),
        emotions={"Budi": 2, "Sari": 1},
    )
    sections = checklist_items(after, before)
    assert [s.id for s in sections][:2] == ["findings", "changes"]
    text = render_checklist(after, "en", before=before)[0]
    assert "“delivery”, Budi: 0 → +2 (+2)" in text
    assert "“delivery”, Opportunities: added Own courier" in text
    same = render_checklist(healthy(), "pl", before=healthy())[0]
    assert "Obie wersje niczym się nie różnią." in same


def test_export_sections() -> None:
    journey_map = everything_wrong()
    first = findings(journey_map)[0]
    sections = checklist_sections_for_export(journey_map, "id", {first.id, "pitfalls.assumptions"})
    headings = [heading for heading, _ in sections]
    assert headings == [
        "Yang ditunjukkan peta ini",
        "Pelanggan",
        "Interaksi Anda dengan pelanggan",
        "Organisasi Anda",
        "Titik kontak",
        "Kesalahan yang perlu dihindari",
    ]
    assert sections[0][1][0] == (describe(first, "id"), True)
    pitfalls = dict(sections[-1][1])
    assert pitfalls["Apakah peta ini dibuat dari data dan masukan pelanggan, bukan dari tebakan?"]
    assert sum(ticked is True for _, rows in sections for _, ticked in rows) == 2
    # Plain text for the exporter to escape; a note carries None instead of a tick.
    healthy_export = checklist_sections_for_export(healthy(), "en")
    assert healthy_export[0][1] == [
        ("Nothing in the map itself stands out. The questions below still apply.", None)
    ]
    nasty = checklist_sections_for_export(nasty_map(), "en")
    assert any(NASTY_STAGE in text for text, _ in nasty[0][1])


def test_empty_lane_finding_names_the_lane() -> None:
    journey_map = healthy()
    for s in journey_map.stages:
        s.put("thoughts", [])
    [finding] = findings(journey_map)
    assert finding.lane == "thoughts"
    assert describe(finding, "pl").startswith("Pusty wiersz na całej mapie: ")
    assert describe(finding, "en") != describe(finding, "id")


@pytest.mark.alone  # measures time: other workers' CPU would make it late
def test_rendering_is_fast() -> None:
    journey_map = long_map()
    start = time.perf_counter()
    for lang in LANGUAGES:
        for html_mode in MODES:
            render_checklist(journey_map, lang, html=html_mode)
    assert time.perf_counter() - start < 2


# --- What the map says about the method's questions -------------------------------------------


def question_line(journey_map, item_id: str, lang: str = "en") -> str:
    for section in checklist_items(journey_map):
        for item in section.items:
            if item.id == item_id:
                return render_text(item.text, lang)
    raise AssertionError(f"no {item_id}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_questions_say_what_the_map_shows_about_them(lang: str) -> None:
    stages = [
        stage("Instagram ads", touchpoints=("WhatsApp", "Instagram")),
        stage("Checkout", touchpoints=("WhatsApp",), pains=("QRIS fails", "No invoice")),
        stage("Delivery", touchpoints=("whatsapp ",), pains=("JNE courier late",)),
    ]
    journey_map = journey(stages, MapType.CURRENT)
    plain = render_text(Text.of("checklist.customer.buy_or_refuse"), lang)
    buy = question_line(journey_map, "customer.buy_or_refuse", lang)
    assert buy.startswith(plain) and "Checkout" in buy and "QRIS fails; No invoice" in buy
    others = question_line(journey_map, "organisation.outside_control", lang)
    assert "Delivery" in others and "JNE courier late" in others
    busiest = question_line(journey_map, "touchpoints.most_used", lang)
    assert "WhatsApp" in busiest and "3" in busiest
    assert "checklist." not in buy + others + busiest and "{" not in buy + others + busiest


def test_questions_stay_plain_when_the_map_says_nothing_about_them() -> None:
    stages = [
        stage("Discovery", touchpoints=("Instagram",)),
        stage("Checkout", touchpoints=("Website",)),
        stage("Delivery", touchpoints=("Shop counter",), pains=("Parcel late",)),
    ]
    journey_map = journey(stages, MapType.CURRENT)
    for item_id in (
        "customer.buy_or_refuse",
        "touchpoints.most_used",
        "organisation.outside_control",
    ):
        key = f"checklist.{item_id}"
        assert question_line(journey_map, item_id) == render_text(Text.of(key), "en")
