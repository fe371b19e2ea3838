"""The business templates (flows/templates/*.toml): every file reads, and its content keeps the
rules the interview relies on — every map type and language, 5–8 short suggestions per list,
no duplicates, no English left in the Indonesian and Polish texts where it shows cheaply."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from flows import templates as tpl
from flows.model import Author, Item, JourneyMap, Persona, Stage
from flows.spec import LANGUAGES, LIMITS, MapType, Shape, lanes, lanes_for
from flows.templates import (
    GENERIC_KIND,
    LABEL_CHARS,
    MAX_OWNERS,
    MAX_SUGGESTIONS,
    MIN_OWNERS,
    MIN_SUGGESTIONS,
    PERSONA_DESCRIPTION_CHARS,
    PERSONA_NAME_CHARS,
    STAGE_NAME_CHARS,
    SUGGESTION_CHARS,
    SUGGESTION_TARGET_CHARS,
    TEMPLATES_DIR,
    Template,
    TemplateError,
    Texts,
    load_templates,
    read_template,
)

ROOT = Path(__file__).resolve().parents[1]
BAD_FIXTURE = Path(__file__).parent / "data" / "templates_bad" / "bad_bakery.toml"

# The kinds issue 11 asks for (plus the generic one), by file name.
REQUIRED_KINDS = {
    "coffee_shop",
    "bakery",
    "restaurant",
    "salon",
    "laundry",
    "online_shop",
    "clinic",
    "tutoring",
    "fitness",
    "repair",
    "guest_house",
    "b2b_services",
    GENERIC_KIND,
}


def wordset(*texts: str) -> frozenset[str]:
    return frozenset(word for text in texts for word in text.split())


# Words that are the same in English, Indonesian and Polish: brands, and loanwords the owners
# use as they are. A translation equal to its English text is suspicious unless every word
# in it is one of these.
SHARED_WORDS = wordset(
    # brands and products
    """
    instagram ig whatsapp wa tiktok facebook fb youtube google maps shopee tokopedia lazada
    allegro olx vinted gofood grabfood shopeefood gojek grab glovo wolt pyszne.pl qris blik
    booksy znanylekarz halodoc alodokter traveloka tiket.com agoda booking.com airbnb inpost
    linkedin messenger zoom canva netflix multisport bpjs ovo gopay dana jne j&t sicepat dpd
    excel gmail
    """
    # loanwords used as they are
    """
    admin barista menu promo online wifi wi-fi email e-mail sms qr cod dm chat live story
    reels voucher cv b2b crm catering laundry fitness gym trainer personal studio homestay
    check-in check-out marketplace reseller feed hashtag link bio newsletter pdf faq vip trial
    spa salon pro ok
    """
)
# English words that are not words of Indonesian or Polish: one of them in an Indonesian or
# Polish text is English left over (not "to", "my", "on", "we", "a", "i": Polish has them).
ENGLISH_ONLY = wordset(
    """
    the and with your you our of for is are it this that from when what how will can get not
    they their order customer booking delivery price shop about after before
    """
)
# Polish first-person past tense and "jestem …" adjectives are a man's or a woman's words
# ("zapomniałam", "jestem zmęczony"): a suggestion is tapped by anyone, so it keeps to forms
# every persona can say ("zapomniało mi się", "padam z nóg").
GENDERED_PL = re.compile(
    r"\b(\w+[aiyeąęgdsz]łem|\w+łam|\w+ła?bym|powinienem|powinnam|jestem \w{3,}[ya])\b|^sama?\b",
    re.IGNORECASE,
)
NOT_GENDERED_PL = {"kanałem", "działem", "materiałem", "artykułem", "wołam", "odwołam", "zawołam"}

# English words one language has taken in: Jakarta salons and guest houses take a "booking".
LOANWORDS = {"id": {"booking"}}

WORD = re.compile(r"[\w.&'-]+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.strip("'.-").casefold() for w in WORD.findall(text) if w.strip("'.-")]


def looks_english(text: str, english: str, lang: str = "pl") -> str | None:
    """Why `text` (Indonesian or Polish) looks like English left over, or None."""
    if text.casefold() == english.casefold() and not set(words(text)) <= SHARED_WORDS:
        return "same as the English"
    leftover = sorted(set(words(text)) & (ENGLISH_ONLY - LOANWORDS.get(lang, set())))
    return f"English word(s) {leftover}" if leftover else None


def phrases(template: Template):
    """(where, Texts, cap) for every phrase of a template: labels, stage names, suggestions."""
    yield "label", template.label, LABEL_CHARS
    for map_type, map_template in template.maps.items():
        for stage in map_template.stages:
            yield f"{map_type}/{stage.key}/name", stage.name, STAGE_NAME_CHARS
            for lane, texts in stage.lanes.items():
                for text in texts:
                    yield f"{map_type}/{stage.key}/{lane}", text, SUGGESTION_CHARS


@cache
def suggested_anywhere() -> frozenset[str]:
    """The lanes some template suggests answers for."""
    return frozenset(
        lane
        for template in load_templates().values()
        for map_template in template.maps.values()
        for stage in map_template.stages
        for lane in stage.lanes
    )


def problems(template: Template) -> list[str]:
    """Everything wrong with a template's content (empty when it keeps every rule)."""
    found: list[str] = []
    for map_type in MapType:
        stages = template.map(map_type).stages
        if not LIMITS.min_stages <= len(stages) <= LIMITS.max_stages:
            found.append(f"{map_type}: {len(stages)} stages")
        for lang in LANGUAGES:
            names = [stage.name.get(lang).casefold() for stage in stages]
            if len(set(names)) != len(names):
                found.append(f"{map_type}: stage names repeat in {lang}")
        for stage in stages:
            where = f"{map_type}/{stage.key}"
            for lane in lanes():
                count = len(stage.lanes.get(lane.id, ()))
                # A lane no template suggests for yet (a new lane) is left to the person.
                wanted = lane.shape == Shape.LIST and lane in lanes_for(map_type)
                wanted = wanted and lane.id in suggested_anywhere()
                if wanted and not MIN_SUGGESTIONS <= count <= MAX_SUGGESTIONS:
                    found.append(f"{where}/{lane}: {count} suggestions")
            owners = len(stage.lanes.get("owner", ()))
            if owners > MAX_OWNERS or (map_type != MapType.DAY_IN_LIFE and owners < MIN_OWNERS):
                found.append(f"{where}/owner: {owners} roles")
            for lane, texts in stage.lanes.items():
                for lang in LANGUAGES:
                    seen = [text.get(lang).casefold() for text in texts]
                    repeated = {s for s in seen if seen.count(s) > 1}
                    if repeated:
                        found.append(f"{where}/{lane}: repeated in {lang}: {sorted(repeated)}")
    found += _future_problems(template)
    found += _text_problems(template)
    found += _persona_problems(template)
    return found


def _future_problems(template: Template) -> list[str]:
    """A future-state map is phrased for the future: its customer lanes are its own, not the
    current state's copied."""
    found = []
    current = template.map(MapType.CURRENT)
    for stage in template.map(MapType.FUTURE).stages:
        now = current.stage(stage.key)
        for lane in ("thoughts", "pains", "opportunities"):
            if now is not None and stage.lanes.get(lane) == now.lanes.get(lane):
                found.append(f"future/{stage.key}/{lane}: the same as the current state's")
    return found


def _text_problems(template: Template) -> list[str]:
    found = []
    long_ones: dict[str, int] = dict.fromkeys(LANGUAGES, 0)
    total = 0
    for where, texts, cap in phrases(template):
        total += where.count("/") == 2 and not where.endswith("/name")
        for lang, text in texts.languages().items():
            if len(text) > cap:
                found.append(f"{where}: {len(text)} > {cap} characters: {text!r}")
            if cap == SUGGESTION_CHARS and len(text) > SUGGESTION_TARGET_CHARS:
                long_ones[lang] += 1
            if text != text.strip() or "  " in text:
                found.append(f"{where}: stray spaces in {text!r}")
        for lang in ("id", "pl"):
            why = looks_english(texts.get(lang), texts.en, lang)
            if why:
                found.append(f"{where} [{lang}] {texts.get(lang)!r}: {why}")
        gendered = {m.group(0) for m in GENDERED_PL.finditer(texts.pl)} - NOT_GENDERED_PL
        if gendered:
            found.append(f"{where} [pl] {texts.pl!r}: gendered {sorted(gendered)}")
        shared = set(words(texts.id)) <= SHARED_WORDS
        if texts.id.casefold() == texts.pl.casefold() and not shared:
            found.append(f"{where}: Indonesian and Polish are the same: {texts.id!r}")
    for lang, count in long_ones.items():
        # Aim for 32 characters; a few may go up to the cap.
        if total and count > 0.06 * total:
            found.append(f"{lang}: {count} of {total} suggestions over {SUGGESTION_TARGET_CHARS}")
    return found


def _persona_problems(template: Template) -> list[str]:
    found = []
    if not 1 <= len(template.personas) <= 2:
        found.append(f"{len(template.personas)} personas")
    for persona in template.personas:
        for lang in LANGUAGES:
            text = persona.get(lang)
            if len(text.name) > PERSONA_NAME_CHARS or ":" in text.name:
                found.append(f"persona name {text.name!r}")
            if len(text.description) > PERSONA_DESCRIPTION_CHARS:
                found.append(f"persona {text.name!r}: description too long")
        if persona.id.description.casefold() == persona.en.description.casefold():
            found.append(f"persona {persona.en.name!r}: Indonesian description is English")
        if persona.pl.description.casefold() == persona.en.description.casefold():
            found.append(f"persona {persona.en.name!r}: Polish description is English")
    return found


# --- the real templates -------------------------------------------------------------------

TEMPLATE_FILES = sorted(TEMPLATES_DIR.glob("*.toml"))


def test_the_kinds_issue_11_asks_for_are_there() -> None:
    assert {path.stem for path in TEMPLATE_FILES} >= REQUIRED_KINDS
    assert set(tpl.kinds()) == {path.stem for path in TEMPLATE_FILES}
    assert tpl.kinds()[-1] == GENERIC_KIND  # "something else" is offered last


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.stem)
def test_template_keeps_every_rule(path: Path) -> None:
    found = problems(read_template(path))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_kind_labels_are_distinct_in_every_language(lang: str) -> None:
    labels = [label for _, label in tpl.kind_labels(lang)]
    assert len(set(labels)) == len(labels) == len(tpl.kinds())
    orders = [template.order for template in load_templates().values()]
    assert len(set(orders)) == len(orders)


def test_every_language_gets_the_same_number_of_stages_and_suggestions() -> None:
    for kind in tpl.kinds():
        for map_type in MapType:
            counts = {len(tpl.default_stages(kind, map_type, lang)) for lang in LANGUAGES}
            assert len(counts) == 1, (kind, map_type)
            for index in range(counts.pop()):
                for lane in tpl.suggested_lanes():
                    sizes = {
                        len(tpl.suggestions(kind, map_type, index, lane, lang))
                        for lang in LANGUAGES
                    }
                    assert len(sizes) == 1, (kind, map_type, index, lane)


def accepted_everything(kind: str, map_type: MapType, lang: str) -> JourneyMap:
    """The map an owner gets by taking the template's stages and every suggestion."""
    me = Author(id="1", name="Owner")
    stages = []
    for stage in tpl.template(kind).map(map_type).stages:
        filled = Stage(name=stage.name.get(lang), author=me)
        for lane in tpl.suggested_lanes():
            taken = [Item(text=t, author=me) for t in stage.suggestions(lane, lang)]
            filled.put(lane, taken if lane.shape == Shape.LIST else taken[:1])
        stages.append(filled)
    people = [
        Persona(name=p.name, description=p.description, author=me) for p in tpl.personas(kind, lang)
    ]
    title = tpl.template(kind).label.get(lang)
    return JourneyMap(map_type=map_type, title=title, language=lang, personas=people, stages=stages)


def test_every_template_fits_the_map_with_all_suggestions_taken() -> None:
    """Issue 11: a template renders with everything accepted, in every language, nothing cut.
    (The layout decides what is cut; tests/test_render_image.py checks the drawing keeps to
    the layout.)"""
    from renderers.layout import build_layout

    cut = []
    for kind in tpl.kinds():
        for map_type in MapType:
            for lang in LANGUAGES:
                layout = build_layout(accepted_everything(kind, map_type, lang), lang)
                cut += [
                    (kind, map_type, lang, c.kind, c.stage) for c in layout.cells if c.truncated
                ]
    assert not cut, cut[:5]


def test_templates_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["*"]
    assert "*.toml" in globs
    assert TEMPLATES_DIR.parent.name == "flows"


# --- the checks can fail ------------------------------------------------------------------


def test_the_bad_fixture_breaks_every_content_rule() -> None:
    """tests/data/templates_bad/bad_bakery.toml reads, but breaks each rule once: the checks
    above would catch a real template that did the same."""
    found = "\n".join(problems(read_template(BAD_FIXTURE)))
    expected = [
        "day_in_life: 1 stages",  # too few stages
        "current/order/touchpoints: 4 suggestions",  # too few suggestions
        "current/order/actions: 9 suggestions",  # too many
        "current/order/owner: 0 roles",  # no owner role outside a day in the life
        "blueprint/order/backstage: 0 suggestions",  # a blueprint without backstage
        "current/order/thoughts: repeated in pl",  # a duplicate
        "48 > 40 characters",  # over the cap
        "[pl] 'Fresh bread every morning': same as the English",  # not translated
        "[id] 'Roti fresh for the weekend': English word(s) ['for', 'the']",
        "Indonesian and Polish are the same: 'Pesan roti'",
        "future/order/thoughts: the same as the current state's",
        "persona name 'Dewi: ibu'",
        "stage names repeat in id",
        "'Zapomniałam zamówić': gendered ['Zapomniałam']",
    ]
    for message in expected:
        assert message in found, message


def test_brands_and_loanwords_are_not_leftover_english() -> None:
    assert looks_english("Instagram", "Instagram") is None
    assert looks_english("Google Maps", "Google Maps") is None
    assert looks_english("Promo di IG", "Promo on Instagram") is None
    assert looks_english("Opening hours", "Opening hours") == "same as the English"
    assert looks_english("Ceny dla the klientów", "Prices") is not None
    assert looks_english("Booking lewat WA", "Book on WhatsApp", "id") is None
    assert looks_english("Booking przez WhatsAppa", "Book on WhatsApp", "pl") is not None


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def minimal(kind: str = "tiny", *, current_extra: str = "", future: str = "") -> str:
    """A template file that reads (content rules aside), to break one thing at a time."""
    stage = (
        '[[{m}.stages]]\nkey = "{k}"\nname = {{ en = "{n}", id = "{n} id", pl = "{n} pl" }}\n'
        'touchpoints = [{{ en = "Sign", id = "Papan", pl = "Szyld" }}]\n'
    )
    body = [
        f'kind = "{kind}"\norder = 1\nlabel = {{ en = "Tiny", id = "Kecil", pl = "Mały" }}',
        "[[personas]]",
        'en = { name = "Ann", description = "a" }',
        'id = { name = "Ani", description = "b" }',
        'pl = { name = "Ania", description = "c" }',
        "[current]",
        stage.format(m="current", k="one", n="One") + current_extra,
        stage.format(m="current", k="two", n="Two"),
        future or '[future]\nfrom = "current"',
        "[day_in_life]",
        stage.format(m="day_in_life", k="morning", n="Morning"),
        '[blueprint]\nfrom = "current"',
    ]
    return "\n".join(body) + "\n"


def test_a_minimal_file_reads_and_borrows_from_the_current_state(tmp_path: Path) -> None:
    template = read_template(write(tmp_path, "tiny", minimal()))
    future = template.map(MapType.FUTURE)
    assert [s.name.pl for s in future.stages] == ["One pl", "Two pl"]
    assert future.stages[0].suggestions("touchpoints", "id") == ["Papan"]
    assert template.map("blueprint").stages[1].suggestions("touchpoints", "xx") == ["Sign"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken", 'kind = "broken"\norder = [', "broken.toml"),
        ("tiny", minimal().replace(', pl = "Szyld"', "", 1), "pl"),
        (
            "tiny",
            minimal(current_extra='backstage = [{ en = "a", id = "b", pl = "c" }]\n'),
            "a current has no backstage",
        ),
        ("tiny", minimal(current_extra='colour = "red"\n'), "colour"),
        (
            "tiny",
            minimal(future='[future]\nfrom = "current"\n[[future.stages]]\nkey = "three"'),
            "stage 'three' is not in [current]",
        ),
        ("tiny", minimal(future='[future]\nfrom = "blueprint"'), "'from' must name"),
        ("other_name", minimal(), "differs from the file name"),
        ("tiny", minimal().replace('key = "two"', 'key = "one"'), "used twice"),
    ],
    ids=["toml", "language", "lane", "field", "from_stage", "from_chain", "kind", "key"],
)
def test_structural_mistakes_are_refused_with_the_file_named(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(TemplateError) as error:
        read_template(write(tmp_path, name, text))
    assert message in str(error.value)
    assert f"{name}.toml" in str(error.value)


def test_a_directory_with_a_bad_file_does_not_load(tmp_path: Path) -> None:
    write(tmp_path, "tiny", minimal().replace('[blueprint]\nfrom = "current"', ""))
    with pytest.raises(TemplateError, match=r"tiny\.toml"):
        load_templates(tmp_path)


# --- the API the interview calls ----------------------------------------------------------


def test_suggestions_by_index_or_key_in_every_language() -> None:
    bakery_current = tpl.stage_keys("bakery", MapType.CURRENT)
    first = bakery_current[0]
    for lang in LANGUAGES:
        by_index = tpl.suggestions("bakery", MapType.CURRENT, 0, "touchpoints", lang)
        assert by_index == tpl.suggestions("bakery", "current", first, "touchpoints", lang)
        assert MIN_SUGGESTIONS <= len(by_index) <= MAX_SUGGESTIONS
    assert tpl.suggestions("bakery", "blueprint", 0, "backstage", "pl")
    # What the template does not have: an empty list, never an error.
    assert tpl.suggestions("bakery", "current", 0, "backstage", "en") == []
    assert tpl.suggestions("bakery", "current", 99, "touchpoints", "en") == []
    assert tpl.suggestions("bakery", "current", "no_such_stage", "pains", "en") == []
    with pytest.raises(ValueError):
        tpl.suggestions("bakery", "current", 0, "emotion", "en")
    with pytest.raises(KeyError, match="no business template 'zoo'"):
        tpl.suggestions("zoo", "current", 0, "pains", "en")


def test_owner_roles_are_offered_for_every_stage_outside_a_day_in_the_life() -> None:
    for kind in tpl.kinds():
        for map_type in (MapType.CURRENT, MapType.FUTURE, MapType.BLUEPRINT):
            for key in tpl.stage_keys(kind, map_type):
                assert tpl.suggestions(kind, map_type, key, "owner", "id"), (kind, key)


def test_default_stages_personas_and_stage_lookup() -> None:
    stages = {lang: tpl.default_stages("salon", "current", lang) for lang in LANGUAGES}
    assert len({len(names) for names in stages.values()}) == 1
    key = tpl.stage_keys("salon", "current")[1]
    # A stage typed in another language, or in other case and spacing, is found again.
    assert tpl.find_stage("salon", "current", stages["pl"][1]) == key
    assert tpl.find_stage("salon", "current", "  " + stages["id"][1].upper() + " ") == key
    assert tpl.find_stage("salon", "current", "Something we never heard of") is None
    day = tpl.default_stages("salon", MapType.DAY_IN_LIFE, "en")
    assert 2 <= len(day) <= LIMITS.max_stages
    for lang in LANGUAGES:
        people = tpl.personas("salon", lang)
        assert people and all(": " in p.line() for p in people)


def test_labels_of_the_kinds() -> None:
    labels = dict(tpl.kind_labels("id"))
    assert labels[GENERIC_KIND].endswith("Lainnya")
    assert tpl.template("laundry").label.get("xx") == tpl.template("laundry").label.en


def test_texts_fall_back_to_english() -> None:
    text = Texts(en="Owner", id="Pemilik", pl="Właściciel")
    assert [text.get(lang) for lang in ("en", "id", "pl", "pt", "in")] == [
        "Owner",
        "Pemilik",
        "Właściciel",
        "Owner",
        "Pemilik",
    ]
