"""The deployment files stay true (issue 14): compose.yaml parses and has the shape compose
needs (a structural check where Docker is absent, `docker compose config` where it is), the
Dockerfile's own install and start commands run in a clean venv and bring up a healthy bot,
the systemd unit passes `systemd-analyze verify`, and .env.example and the README name only
settings that exist."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from bot.config import PREFIX, TOKEN_VARIABLE, Settings, load_settings
from storage import database
from tests.conftest import _admin, postgres_url
from tests.fakebotapi import FakeBotApi
from tests.pgserver import free_port

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {TOKEN_VARIABLE} | {
    f"{PREFIX}{name.upper()}" for name in Settings.model_fields if name != "bot_token"
}
DURATION = re.compile(r"^\d+(\.\d+)?(us|ms|s|m|h)$")


def docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return probe.returncode == 0


# --- compose.yaml --------------------------------------------------------------------------

SERVICE_KEYS = {
    "image", "build", "restart", "environment", "env_file", "volumes", "healthcheck",
    "depends_on", "ports", "command", "entrypoint", "stop_grace_period", "user", "expose",
    "networks", "deploy", "labels", "logging", "working_dir", "init",
}  # fmt: skip
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def test_compose_file_has_the_shape_compose_needs() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert set(compose) <= {"name", "services", "volumes", "networks", "configs", "secrets"}
    services = compose["services"]
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert "image" in service or "build" in service
        check = service.get("healthcheck", {})
        assert set(check) <= HEALTHCHECK_KEYS
        for key in ("interval", "timeout", "start_period"):
            assert key not in check or DURATION.match(check[key]), (name, key)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in (compose.get("volumes") or {})
        for port in service.get("ports", []):
            assert re.match(r"^(\d+\.\d+\.\d+\.\d+:)?\d+:\d+$", str(port)), port
        environment = service.get("environment", {})
        assert isinstance(environment, dict)
        assert all(isinstance(v, str) for v in environment.values()), "quote numbers"
    # PostgreSQL: a health check and its data in a named volume.
    db = services["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    # The bot: waits for a healthy database, migrates it, names it by service name.
    bot = services["bot"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(d.get("condition") in CONDITIONS for d in bot["depends_on"].values())
    env = bot["environment"]
    assert env["JOURNEYBOT_MIGRATE"] == "true"
    assert "@db:5432/" in env["JOURNEYBOT_DATABASE_URL"]
    assert set(env) <= SETTINGS
    assert bot["build"] == "."
    if docker_compose_available():
        checked = subprocess.run(
            ["docker", "compose", "-f", "compose.yaml", "config", "-q"],
            cwd=ROOT,
            env={**os.environ, "POSTGRES_PASSWORD": "x"},
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr


# --- Dockerfile ----------------------------------------------------------------------------


def dockerfile() -> list[tuple[int, str, str]]:
    """(stage, instruction, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stage = -1
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stage += 1
        found.append((stage, instruction, rest.strip()))
    return found


def test_dockerfile_is_slim_and_runs_as_a_user() -> None:
    steps = dockerfile()
    bases = [rest for _, i, rest in steps if i == "FROM"]
    assert all("slim" in base for base in bases)
    final = max(stage for stage, _, _ in steps)
    users = [rest for stage, i, rest in steps if i == "USER" and stage == final]
    assert users and users[-1] not in ("root", "0")
    assert any(i == "HEALTHCHECK" for stage, i, _ in steps if stage == final)
    assert any("fonts-" in rest for stage, i, rest in steps if i == "RUN" and stage == final)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored  # no secrets or local venvs in the image


@pytest.mark.timeout(600)
async def test_the_dockerfiles_install_and_start_commands_work_in_a_clean_venv(
    tmp_path: Path,
) -> None:
    """What `docker build` and `docker run` would do, without Docker: the build stage's COPY
    and RUN into a fresh folder and venv, then the final stage's CMD with its ENV against
    the fake Bot API and a fresh database, checked by the image's own HEALTHCHECK."""
    steps = dockerfile()
    venv = tmp_path / "opt-journeybot"
    src = tmp_path / "src"
    src.mkdir()
    for stage, instruction, rest in steps:
        if stage != 0:
            continue
        if instruction == "COPY":
            *sources, _ = shlex.split(rest)
            for source in sources:
                path = ROOT / source
                if path.is_dir():
                    shutil.copytree(
                        path, src / source, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy2(path, src / source)
        elif instruction == "RUN":
            # pip's cache (an image build has none to keep) and no byte-compiling of every
            # installed module (the start compiles what it imports): the same install, and
            # about 25 s less of this test (it was 13% of the suite).
            command = rest.replace("/opt/journeybot", str(venv))
            command = command.replace("--no-cache-dir", "--no-compile")
            command = command.replace("python -m venv", f"{sys.executable} -m venv")
            done = await asyncio.to_thread(
                subprocess.run, ["bash", "-c", command], cwd=src, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr[-3000:]
    final = max(stage for stage, _, _ in steps)
    env: dict[str, str] = {}
    for stage, instruction, rest in steps:
        if stage == final and instruction == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value.replace("/opt/journeybot", str(venv))
    (cmd,) = [json.loads(rest) for stage, i, rest in steps if stage == final and i == "CMD"]
    (check,) = [rest for stage, i, rest in steps if stage == final and i == "HEALTHCHECK"]
    check_command = check.split(" CMD ", 1)[1]

    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    pg = postgres_url()
    fresh = f"jb_image_{uuid.uuid4().hex[:8]}"
    if pg:
        await _admin(f"CREATE DATABASE {fresh}")
        url = pg.rsplit("/", 1)[0] + f"/{fresh}"
    else:
        url = f"sqlite:///{home / 'journeybot.db'}"
    try:
        async with FakeBotApi() as api:
            run_env = {
                "HOME": str(home),
                "LANG": "C.UTF-8",
                **env,
                "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
                "MPLCONFIGDIR": str(home / "mpl"),
                "JOURNEYBOT_PORT": str(port),
                "JOURNEYBOT_LISTEN": "127.0.0.1",
                "JOURNEYBOT_DATABASE_URL": url,
                "JOURNEYBOT_API_URL": api.url,
                TOKEN_VARIABLE: api.token,
            }
            log = (tmp_path / "bot.log").open("wb")
            process = await asyncio.create_subprocess_exec(
                *cmd, cwd=home, env=run_env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                healthy = False
                for _ in range(120):
                    probe = await asyncio.create_subprocess_exec(
                        "bash", "-c", check_command, env=run_env, cwd=home,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                    if await probe.wait() == 0:
                        healthy = True
                        break
                    await asyncio.sleep(0.5)
                output = (tmp_path / "bot.log").read_text()
                assert healthy, output[-3000:]
                store_engine = database.make_engine(url)
                try:
                    assert await database.current_revision(store_engine) == database.head_revision()
                finally:
                    await store_engine.dispose()
            finally:
                process.send_signal(signal.SIGTERM)  # what `docker stop` sends
                code = await asyncio.wait_for(process.wait(), 60)
                log.close()
    finally:
        if pg:
            await _admin(f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)")
    output = (tmp_path / "bot.log").read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


# --- the systemd unit ------------------------------------------------------------------------


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = (ROOT / "docs" / "journeybot.service").read_text()
    assert "ExecStart=/opt/journeybot/bin/journeybot run" in unit
    assert "User=journeybot" in unit and "Restart=on-failure" in unit
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    # The unit names the installed program; verify it against this venv's.
    script = Path(sys.executable).with_name("journeybot")
    copy = tmp_path / "journeybot.service"
    copy.write_text(unit.replace("/opt/journeybot/bin/journeybot", str(script)))
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True
    )
    problems = [
        line
        for line in (verified.stdout + verified.stderr).splitlines()
        if "journeybot.service" in line
    ]
    assert verified.returncode == 0 and not problems, verified.stdout + verified.stderr


# --- settings named in files -----------------------------------------------------------------


def test_env_example_names_only_real_settings_and_loads(tmp_path: Path) -> None:
    text = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert named - {"POSTGRES_PASSWORD"} <= SETTINGS, named - SETTINGS
    uncommented = tmp_path / "all.env"
    uncommented.write_text(
        "\n".join(
            line.lstrip("#")
            for line in text.splitlines()
            if re.match(r"^#?[A-Z]", line) and "postgresql://" not in line
        )
    )
    settings = load_settings(uncommented)
    assert settings.webhook_url and settings.port == 8080
    assert settings.require_token()


def test_the_readme_names_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in SETTINGS if name not in readme)
    assert not missing, f"README's Configuration table lacks {missing}"
    for flag in ("--webhook-path", "--cert", "--key", "--migrate", "--env-file"):
        assert flag in readme
