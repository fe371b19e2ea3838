"""One settings object for every command (issue 10, point 6): the environment, `.env` (or
`--env-file`) and options; a bad value is one line naming the variable; the database is the
one the settings name — and a command that only reads never makes an empty one elsewhere."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.e2e import journeybot

DATA = Path(__file__).parent / "data"


def run(cwd: Path, *args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYBOT_", "TELEGRAM_"))}
    return subprocess.run(
        [*journeybot(), *args],
        cwd=cwd,
        env={**clean, **env},
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def one_line(text: bytes) -> str:
    lines = text.decode().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("JOURNEYBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- through the real command line -----------------------------------------------------------


@pytest.mark.parametrize("command", [["run"], ["maps"], ["db", "upgrade"], ["doctor"]])
def test_a_bad_number_is_one_line_naming_the_variable(tmp_path: Path, command: list[str]) -> None:
    done = run(tmp_path, *command, JOURNEYBOT_PORT="abc", TELEGRAM_BOT_TOKEN="1:x")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "JOURNEYBOT_PORT='abc'" in line and "a port number" in line


def test_an_unsupported_database_is_one_line_listing_the_supported_ones(tmp_path: Path) -> None:
    done = run(tmp_path, "maps", JOURNEYBOT_DATABASE_URL="mysql://root:hunter2@db/journeybot")
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "unsupported database URL mysql://" in line
    assert "sqlite:///" in line and "postgresql://" in line
    assert "hunter2" not in line  # a URL may carry a password: never repeated


def test_dotenv_applies_to_every_command(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("JOURNEYBOT_DATABASE_URL=sqlite:///from-dotenv.db\n")
    upgraded = run(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert str(tmp_path / "from-dotenv.db") in upgraded.stdout.decode()
    answers = (DATA / "answers_en.txt").read_bytes()
    chatted = run(
        tmp_path, "chat", "--output-dir", str(tmp_path / "out"), "--no-template", stdin=answers
    )
    assert chatted.returncode == 0, chatted.stderr
    listing = run(tmp_path, "maps")
    assert b"Kopi Kita online orders" in listing.stdout
    assert str(tmp_path / "from-dotenv.db") in listing.stdout.decode()
    exported = run(tmp_path, "export", "1", "-o", str(tmp_path / "map.json"))
    assert exported.returncode == 0, exported.stderr
    assert not (tmp_path / "journeybot.db").exists()
    # --env-file names another file; the environment wins over either.
    (tmp_path / "other.env").write_text("JOURNEYBOT_DATABASE_URL=sqlite:///other.db\n")
    assert run(tmp_path, "db", "upgrade", "--env-file", "other.env").returncode == 0
    assert (tmp_path / "other.db").exists()
    env_wins = run(tmp_path, "db", "upgrade", JOURNEYBOT_DATABASE_URL="sqlite:///env.db")
    assert env_wins.returncode == 0 and (tmp_path / "env.db").exists()
    missing = run(tmp_path, "maps", "--env-file", "nope.env")
    assert missing.returncode == 2 and "nope.env: no such file" in one_line(missing.stderr)


def test_maps_elsewhere_creates_nothing_and_says_where_it_looked(tmp_path: Path) -> None:
    done = run(tmp_path, "maps")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert str(tmp_path / "journeybot.db") in line and "does not exist" in line
    assert "JOURNEYBOT_DATABASE_URL" in line
    assert not list(tmp_path.iterdir())  # no empty journeybot.db left behind
    sqlite3.connect(tmp_path / "journeybot.db").close()  # a file, but not ours
    empty = run(tmp_path, "export", "1", "-o", "x.json")
    assert empty.returncode == 1
    assert "has no journeybot schema" in one_line(empty.stderr)
    assert "journeybot db upgrade" in empty.stderr.decode()


def test_export_names_a_version_that_does_not_exist(tmp_path: Path) -> None:
    answers = (DATA / "answers_en.txt").read_bytes()
    assert (
        run(
            tmp_path, "chat", "--output-dir", str(tmp_path / "out"), "--no-template", stdin=answers
        ).returncode
        == 0
    )
    done = run(tmp_path, "export", "1", "--version", "5", "-o", "x.json")
    assert done.returncode == 1
    assert one_line(done.stderr) == "journeybot: map 1 has no version 5 (it has v1)"
    nothing = run(tmp_path, "export", "7", "-o", "x.json")
    assert one_line(nothing.stderr) == "journeybot: no map 7 in chat console"


# --- the settings object ---------------------------------------------------------------------


def test_the_webhook_is_served_at_the_path_of_its_url(clean_env: Path) -> None:
    settings = load_settings(
        webhook_url="https://bots.example.com/journeybot/updates", webhook_secret="abc"
    )
    assert settings.served_path == "/journeybot/updates"
    assert settings.http_port == 8443  # webhook mode always serves; polling only with a port
    behind_proxy = load_settings(
        webhook_url="https://bots.example.com/jb/updates", webhook_path="updates/",
        webhook_secret="abc", port="8080",
    )  # fmt: skip
    assert behind_proxy.served_path == "/updates" and behind_proxy.http_port == 8080
    assert load_settings().http_port is None
    assert load_settings(port="9100").http_port == 9100


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"webhook_url": "https://e.com/hook"}, "webhook mode needs a secret"),
        ({"webhook_url": "http://e.com/hook", "webhook_secret": "a"}, "over HTTPS only"),
        ({"webhook_url": "https://e.com:9000/hook", "webhook_secret": "a"}, "443, 80, 88"),
        ({"webhook_url": "https://e.com/healthz", "webhook_secret": "a"}, "pick another path"),
        ({"webhook_url": "https://e.com/h", "webhook_secret": "a b"}, "letters, digits"),
        (
            {"webhook_url": "https://e.com/h", "webhook_secret": "a", "cert": "c.pem"},
            "needs its key",
        ),
        ({"webhook_max_connections": "500"}, "--webhook-max-connections='500'"),
        ({"log_level": "loud"}, "one of DEBUG, INFO"),
        ({"api_url": "api.telegram.org"}, "http:// or https://"),
    ],
)
def test_wrong_settings_are_one_line(clean_env: Path, overrides: dict, said: str) -> None:
    with pytest.raises(ConfigError) as problem:
        load_settings(**overrides)
    assert said in str(problem.value) and "\n" not in str(problem.value)


def test_secrets_stay_out_of_reprs_and_the_database_is_made_absolute(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123:secret-token-value\nJOURNEYBOT_WEBHOOK_SECRET=hook-secret\n"
    )
    settings = load_settings()
    assert settings.token == "123:secret-token-value"
    assert "secret-token-value" not in repr(settings) and "hook-secret" not in repr(settings)
    assert settings.database_url == f"sqlite+aiosqlite:///{clean_env / 'journeybot.db'}"
    assert settings.secrets == ["123:secret-token-value", "hook-secret"]
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        load_settings(bot_token="not a token").require_token()
