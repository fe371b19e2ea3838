"""`journeybot chat`: the interview in a terminal, and from a pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import Console, to_event
from flows.i18n import Text, t
from flows.model import Author, JourneyMap
from flows.questions import Choice, Reply

DATA = Path(__file__).parent / "data"
ME = Author(id="console", name="Tester")


def journeybot() -> list[str]:
    """The installed console script of the environment running the tests."""
    script = Path(sys.executable).with_name("journeybot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def test_numbers_choose_but_never_on_emotion_questions() -> None:
    choices = (Choice("-2", Text.of("emotion.-2")), Choice("-1", Text.of("emotion.-1")))
    numbered = Reply(Text.of("q.map_type"), choices=choices, numbered=True)
    scores = Reply(Text.of("q.emotion"), choices=choices, numbered=False)
    assert to_event("2", numbered, ME).kind == "choice"
    assert to_event("2", numbered, ME).value == "-1"
    assert (to_event("2", scores, ME).kind, to_event("2", scores, ME).value) == ("text", "2")
    assert to_event("/edit stage:1", scores, ME).argument == "stage:1"
    assert to_event("/done@journeybot", None, ME).value == "done"


async def test_a_whole_interview_in_process(tmp_path: Path) -> None:
    out = io.StringIO()
    answers = (DATA / "answers_en.txt").read_text(encoding="utf-8")
    console = Console(
        io.StringIO(answers), out, lang="en", output_dir=tmp_path, author=ME, template=False
    )
    interview = await console.run()
    assert interview.state == "done"
    (written,) = tmp_path.glob("*.json")
    assert str(written) in out.getvalue()
    jm = JourneyMap.from_json(written.read_text(encoding="utf-8"))
    assert jm.title == "Kopi Kita online orders"
    assert [s.name for s in jm.stages] == ["Order", "Delivery"]
    assert (
        jm.stages[0].answer("owner") is not None
        and jm.stages[0].answer("owner").text == "Marketing"
    )
    assert jm.stages[1].emotions[0].score == -2 and jm.stages[1].emotions[0].word == "late again"
    assert jm.stages[1].texts("says") == ["Where is my coffee?"]


SAID = {
    "en": "Do you have oat milk?",
    "id": "Bu, hari ini masak apa?",
    "pl": "Czy pierwsze zajęcia są za darmo?",
}


@pytest.mark.parametrize(
    ("lang", "title", "stages", "progress_word"),
    [
        ("en", "Kopi Kita online orders", ["Order", "Delivery"], "Question 1 of about "),
        ("id", "Keseharian pelanggan Warung Bu Sari", ["Pagi", "Siang"], "Pertanyaan 1 dari "),
        ("pl", "Studio Fit Żoliborz – karnety", ["Zapis", "Pierwsze zajęcia"], "Pytanie 1 z około"),
    ],
)
def test_scripted_chat_from_a_pipe_in_each_language(
    tmp_path: Path, lang: str, title: str, stages: list[str], progress_word: str
) -> None:
    answers = (DATA / f"answers_{lang}.txt").read_bytes()
    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    done = subprocess.run(
        [
            *journeybot(),
            "chat",
            "--lang",
            lang,
            "--output-dir",
            str(tmp_path / "maps"),
            "--name",
            "Sari Dewi",
            "--no-template",
        ],
        input=answers,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    output = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode()
    assert progress_word in output
    (written,) = (tmp_path / "maps").glob("*.json")
    assert str(written) in output
    (image,) = (tmp_path / "maps").glob("*.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(image) in output
    jm = json.loads(written.read_text(encoding="utf-8"))
    assert jm["title"] == title and jm["language"] == lang
    assert [s["name"] for s in jm["stages"]] == stages
    assert all(s["touchpoints"] for s in jm["stages"])
    assert jm["stages"][0]["touchpoints"][0]["author"]["name"] == "Sari Dewi"
    # The empathy map's "what they say", asked in the language and kept.
    assert [item["text"] for item in jm["stages"][0]["says"]] == [SAID[lang]]
    assert t(lang, "q.says", stage=stages[0]) in output
    assert "Sari Dewi" in output.splitlines()[0]  # greeted by name


def test_chat_ends_cleanly_at_end_of_input(tmp_path: Path) -> None:
    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    done = subprocess.run(
        [*journeybot(), "chat", "--output-dir", str(tmp_path)],
        input=b"1\nHalf a map\n",
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert b"Stopped before the end" in done.stdout
    assert not list(tmp_path.glob("*.json"))


def run_chat(tmp_path: Path, answers: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*journeybot(), *args],
        input=answers,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"},
    )


def test_killed_mid_interview_it_continues_at_the_same_question(tmp_path: Path) -> None:
    """SIGKILL between two answers; the next run says it continues and loses nothing."""
    lines = (DATA / "answers_en.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = lines.index("Chooses a drink and pays\n")
    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    first = subprocess.Popen(
        [*journeybot(), "chat", "--output-dir", str(tmp_path / "maps"), "--no-template"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write("".join(lines[:cut]).encode())
    first.stdin.flush()
    # Wait until the question after the last answer was asked: that answer is stored.
    seen = b""
    while b"what does the customer do here?" not in seen:
        chunk = first.stdout.readline()
        assert chunk, "the chat ended early"
        seen += chunk
    first.kill()  # SIGKILL: no clean-up, no goodbye
    first.wait(timeout=10)

    rest = "".join(lines[cut:]).encode()
    second = run_chat(
        tmp_path, rest, "chat", "--output-dir", str(tmp_path / "maps"), "--no-template"
    )
    output = second.stdout.decode()
    assert second.returncode == 0, second.stderr.decode()
    assert "Continuing where you stopped" in output
    resumed = output[output.index("Continuing") :]
    assert resumed.split("[", 1)[1].startswith(
        "Question 7 of about 24 · ~12 min left · Order (1/2) · Customer actions]"
    )
    (written,) = (tmp_path / "maps").glob("*.json")
    jm = JourneyMap.from_json(written.read_text(encoding="utf-8"))
    assert [i.text for i in jm.stages[0].items("touchpoints")] == ["Instagram", "WhatsApp"]
    assert [i.text for i in jm.stages[0].items("actions")] == ["Chooses a drink and pays"]
    assert jm.personas[0].name == "Dewi"


def test_new_discards_the_unfinished_interview(tmp_path: Path) -> None:
    run_chat(tmp_path, b"1\nOld title\n", "chat")
    again = run_chat(tmp_path, b"2\n", "chat", "--new")
    assert b"Continuing" not in again.stdout and b"Question 2 of about" in again.stdout


def test_finished_maps_are_listed_and_exported(tmp_path: Path) -> None:
    answers = (DATA / "answers_en.txt").read_bytes()
    chatted = run_chat(tmp_path, answers, "chat", "--output-dir", str(tmp_path), "--no-template")
    assert chatted.returncode == 0
    listing = run_chat(tmp_path, b"", "maps")
    assert b"Kopi Kita online orders" in listing.stdout and b"1 map(s)" in listing.stdout
    out = tmp_path / "export" / "map.json"
    exported = run_chat(tmp_path, b"", "export", "1", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert JourneyMap.from_json(out.read_text(encoding="utf-8")).title == "Kopi Kita online orders"
    missing = run_chat(tmp_path, b"", "export", "9", "-o", str(out))
    assert missing.returncode == 1 and b"no map 9" in missing.stderr


def test_render_converts_a_saved_map_to_every_format(tmp_path: Path) -> None:
    answers = (DATA / "answers_id.txt").read_bytes()
    chatted = run_chat(tmp_path, answers, "chat", "--output-dir", str(tmp_path), "--no-template")
    assert chatted.returncode == 0
    (source,) = tmp_path.glob("*.json")
    for suffix in (".png", ".pdf", ".html", ".csv", ".json"):
        out = tmp_path / "out" / f"map{suffix}"
        done = run_chat(tmp_path, b"", "render", str(source), "-o", str(out), "--lang", "en")
        assert done.returncode == 0, done.stderr.decode()
        assert out.stat().st_size > 100
    again = JourneyMap.from_json((tmp_path / "out" / "map.json").read_text(encoding="utf-8"))
    assert again == JourneyMap.from_json(source.read_text(encoding="utf-8"))
    assert "Touchpoints" in (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    wrong = run_chat(tmp_path, b"", "render", str(source), "-o", str(tmp_path / "map.txt"))
    assert wrong.returncode != 0 and b"map.txt" in wrong.stderr


def _edited(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = json.loads((Path(__file__).parents[1] / "examples" / "kopi-senja.json").read_text())
    change(data)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            lambda d: d["stages"][2]["emotions"][0].update(score=7),
            "stages[2].emotions[0].score: 7 is outside −2..+2",
        ),
        (
            lambda d: d["stages"][1]["emotions"][1].update(persona="Ghost"),
            "stages[1].emotions[1].persona: 'Ghost' is not one of the map's personas",
        ),
        (
            lambda d: d["stages"][0]["pains"][0].update(text="x" * 301),
            "stages[0].pains[0].text: 301 characters, at most 300",
        ),
        (lambda d: d.update(stages=d["stages"] * 3), "stages: 15 stages, at most 10"),
        (lambda d: d["stages"][0].pop("name"), "stages[0].name: Field required"),
    ],
    ids=["score", "persona", "length", "stages", "missing"],
)
def test_render_refuses_a_bad_map_in_one_line_naming_the_field(
    tmp_path: Path, change, line: str
) -> None:  # type: ignore[no-untyped-def]
    source = _edited(tmp_path, change)
    out = tmp_path / "map.png"
    done = run_chat(tmp_path, b"", "render", str(source), "-o", str(out))
    error = done.stderr.decode()
    assert done.returncode == 1 and not out.exists()
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert error.startswith(f"journeybot: {source}: {line}"), error


def test_render_to_a_place_it_cannot_write_says_so_in_one_line(tmp_path: Path) -> None:
    source = Path(__file__).parents[1] / "examples" / "kopi-senja.json"
    done = run_chat(tmp_path, b"", "render", str(source), "-o", "/proc/nope/x.csv")
    error = done.stderr.decode()
    assert done.returncode == 1
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert error.startswith("journeybot: cannot write /proc/nope/x.csv: "), error


# --- the terminal is not Telegram ------------------------------------------------------------


async def test_faces_are_typed_as_words_or_emoji_for_every_persona(tmp_path: Path) -> None:
    lines = [
        "1",
        "Toko Sari",
        "More regulars",
        "Rina: office worker\nBudi: student",
        "/done",
        "Order\nPickup",
        "/done",
        *["/skip"] * 4,  # touchpoints, actions, thoughts, says
        "spaceship",  # not a face: explained, nothing kept
        "Rina good, Budi 😞 slow",
    ]
    out = io.StringIO()
    console = Console(
        io.StringIO("\n".join(lines) + "\n"), out, lang="en", author=ME, template=False
    )
    interview = await console.run()
    shown = out.getvalue()
    asked = shown[shown.index("Order: how does each persona feel here") :]
    assert "Faces: 😠 −2 very bad · 🙁 −1 bad" in asked and "✕ no part in this stage" in asked
    assert "Rina ⤵" not in asked  # no button rows in the terminal
    assert "button" not in shown.casefold()
    stage = interview.map.stages[0]
    assert [(r.score, r.word) for r in stage.ratings_for("Rina")] == [(1, "")]
    assert [(r.score, r.word) for r in stage.ratings_for("Budi")] == [(-1, "slow")]
    assert interview.state == "pains"


async def test_a_wrong_choice_is_explained_with_numbers_not_buttons(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(io.StringIO("spaceship\n"), out, lang="en", author=ME, template=False)
    await console.run()
    assert "Type its number or its name" in out.getvalue()
    assert "buttons" not in out.getvalue()


def test_ctrl_c_ends_with_one_line_and_keeps_the_answers(tmp_path: Path) -> None:
    import signal
    import time

    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    chat = subprocess.Popen(
        [*journeybot(), "chat", "--no-template"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write(b"1\nToko Sari\n")
    chat.stdin.flush()
    seen = b""
    while b"What should this map help you achieve?" not in seen:
        chunk = chat.stdout.readline()
        assert chunk, "the chat ended early"
        seen += chunk
    time.sleep(0.3)
    chat.send_signal(signal.SIGINT)  # stdin stays open: the read is blocked, as at a terminal
    out, err = chat.communicate(timeout=20)
    assert chat.returncode == 130
    assert b"Traceback" not in err and err.strip() == b"", err.decode()
    assert out.decode().strip().splitlines()[-1] == (
        "Stopped. Your answers are saved: run “journeybot chat” again to continue."
    )
    again = run_chat(tmp_path, b"", "chat", "--no-template")
    assert b"Continuing where you stopped" in again.stdout


def test_no_login_name_and_the_name_given_once_is_remembered(tmp_path: Path) -> None:
    import getpass

    login = getpass.getuser()
    anonymous = run_chat(tmp_path, b"1\n", "chat", "--no-template")
    first = anonymous.stdout.decode().splitlines()[0]
    assert first.startswith("Hi! Let's map") and login not in first
    named = run_chat(tmp_path, b"1\n", "chat", "--new", "--name", "Sari Dewi", "--no-template")
    assert "Hi Sari Dewi!" in named.stdout.decode()
    later = run_chat(tmp_path, b"", "chat", "--new", "--no-template")
    assert "Hi Sari Dewi!" in later.stdout.decode().splitlines()[0]


def test_the_chat_ends_with_the_findings_and_the_checklist(tmp_path: Path) -> None:
    answers = (DATA / "answers_en.txt").read_bytes()
    done = run_chat(tmp_path, answers, "chat", "--output-dir", str(tmp_path), "--no-template")
    output = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    end = output[output.index("The map is saved as JSON") :]
    assert "Analysis checklist: Kopi Kita online orders" in end
    assert "Dewi feels worst at “Delivery”" in end  # a finding computed from this map


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_the_cli_s_pdf_and_html_carry_the_findings_and_the_checklist(
    tmp_path: Path, suffix: str
) -> None:
    answers = (DATA / "answers_en.txt").read_bytes()
    run_chat(tmp_path, answers, "chat", "--output-dir", str(tmp_path / "maps"), "--no-template")
    (source,) = (tmp_path / "maps").glob("*.json")
    out = tmp_path / f"map{suffix}"
    rendered = run_chat(tmp_path, b"", "render", str(source), "-o", str(out))
    assert rendered.returncode == 0, rendered.stderr.decode()
    exported = run_chat(tmp_path, b"", "export", "1", "-o", str(tmp_path / f"export{suffix}"))
    assert exported.returncode == 0, exported.stderr.decode()
    for path in (out, tmp_path / f"export{suffix}"):
        data = path.read_bytes()
        if suffix == ".html":
            text = data.decode()
            assert "Checklist" in text and "Dewi feels worst at" in text
        else:
            assert data[:4] == b"%PDF" and len(data) > 2000


async def test_cancel_asks_first_and_numbers_answer_it() -> None:
    out = io.StringIO()
    script = "/cancel\n2\n1\n/cancel\n1\n"  # no, carry on; a current state map; yes, cancel
    console = Console(io.StringIO(script), out, lang="en", author=ME, template=False)
    interview = await console.run()
    shown = out.getvalue()
    assert "Cancel this map?" in shown and "1) ✖ Yes, cancel the map" in shown
    assert "Good, we carry on." in shown
    assert interview.state == "cancelled" and interview.map.map_type == "current"
