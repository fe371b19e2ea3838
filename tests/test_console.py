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
from flows.i18n import Text
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


def test_a_whole_interview_in_process(tmp_path: Path) -> None:
    out = io.StringIO()
    answers = (DATA / "answers_en.txt").read_text(encoding="utf-8")
    console = Console(io.StringIO(answers), out, lang="en", output_dir=tmp_path, author=ME)
    interview = console.run()
    assert interview.state == "done"
    (written,) = tmp_path.glob("*.json")
    assert str(written) in out.getvalue()
    jm = JourneyMap.from_json(written.read_text(encoding="utf-8"))
    assert jm.title == "Kopi Kita online orders"
    assert [s.name for s in jm.stages] == ["Order", "Delivery"]
    assert jm.stages[0].owner is not None and jm.stages[0].owner.text == "Marketing"
    assert jm.stages[1].emotions[0].score == -2 and jm.stages[1].emotions[0].word == "late again"


@pytest.mark.parametrize(
    ("lang", "title", "stages", "progress_word"),
    [
        ("en", "Kopi Kita online orders", ["Order", "Delivery"], "Step 1 of 8"),
        ("id", "Keseharian pelanggan Warung Bu Sari", ["Pagi", "Siang"], "Langkah 1 dari 8"),
        ("pl", "Studio Fit Żoliborz – karnety", ["Zapis", "Pierwsze zajęcia"], "Krok 1 z 8"),
    ],
)
def test_scripted_chat_from_a_pipe_in_each_language(
    tmp_path: Path, lang: str, title: str, stages: list[str], progress_word: str
) -> None:
    answers = (DATA / f"answers_{lang}.txt").read_bytes()
    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    done = subprocess.run(
        [*journeybot(), "chat", "--lang", lang, "--output-dir", str(tmp_path / "maps")],
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
    jm = json.loads(written.read_text(encoding="utf-8"))
    assert jm["title"] == title and jm["language"] == lang
    assert [s["name"] for s in jm["stages"]] == stages
    assert all(s["touchpoints"] for s in jm["stages"])


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
