"""How an operator meets each start-up failure: lines of output, tracebacks, exit code, and
the first line, for every case issue 14 lists — measured against the real `journeybot`
command (and the fake Bot API from tests/ where a Bot API is needed).

    .venv/bin/python benchmarks/failure_lines.py [--seconds 30] [--only NAME ...]

A process still running after `--seconds` is stopped with SIGINT (a retry loop that keeps
going is the expected behaviour for "network down" and "database unreachable")."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakebotapi import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get(
    "JOURNEYBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def journeybot() -> list[str]:
    script = Path(sys.executable).with_name("journeybot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Case:
    name: str
    args: list[str]
    env: Callable[[FakeBotApi, Path], dict[str, str]] = lambda api, d: {}
    prepare: Callable[[FakeBotApi, Path], object] | None = None
    files: dict[str, str] = field(default_factory=dict)


async def measure(case: Case, api: FakeBotApi, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, text in case.files.items():
            (workdir / name).write_text(text)
        if case.prepare is not None:
            result = case.prepare(api, workdir)
            if asyncio.iscoroutine(result):
                await result
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYBOT_", "TELEGRAM_"))
        }
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": api.token,
                "JOURNEYBOT_API_URL": api.url,
                "JOURNEYBOT_DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}",
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(case.env(api, workdir))
        env = {k: v for k, v in env.items() if v != ""}
        log = workdir / "out.log"
        started = time.monotonic()
        with log.open("wb") as handle:
            process = await asyncio.create_subprocess_exec(
                *journeybot(), *case.args, cwd=workdir, env=env, stdout=handle, stderr=handle
            )
            try:
                code: int | str = await asyncio.wait_for(process.wait(), seconds)
            except TimeoutError:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
                code = f"running after {seconds:g} s"
        took = time.monotonic() - started
        lines = log.read_text(errors="replace").splitlines()
        stray = sorted(p.name for p in workdir.glob("*.db") if p.name != "bot.db")
        return {
            "case": case.name,
            "lines": len(lines),
            "tracebacks": sum("Traceback" in line for line in lines),
            "exit": code,
            "seconds": round(took, 1),
            "first": next((line for line in lines if line.strip()), "")[:160],
            "stray_db": stray,
            "all": lines,
        }


async def unmigrated_postgres(api: FakeBotApi, workdir: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.database import database_url

    engine = create_async_engine(database_url(PG), isolation_level="AUTOCOMMIT")
    async with engine.connect() as c:
        await c.execute(text("DROP DATABASE IF EXISTS jb_failure_lines WITH (FORCE)"))
        await c.execute(text("CREATE DATABASE jb_failure_lines"))
    await engine.dispose()


def pg_db(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG).set(database=name).render_as_string(hide_password=False)


def a_map(api: FakeBotApi, workdir: Path) -> None:
    import subprocess

    env = {**os.environ, "JOURNEYBOT_DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}"}
    with (ROOT / "tests/data/answers_en.txt").open("rb") as answers:
        subprocess.run(
            [*journeybot(), "chat", "--output-dir", str(workdir / "out"), "--no-template"],
            stdin=answers,
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )


CASES = [
    Case(
        "network down at start",
        ["run"],
        env=lambda api, d: {"JOURNEYBOT_API_URL": f"http://127.0.0.1:{closed_port()}"},
    ),
    Case(
        "no Bot API at the URL (404)",
        ["run"],
        env=lambda api, d: {"JOURNEYBOT_API_URL": f"{api.url}/nothing-here"},
    ),
    Case(
        "unresolvable webhook host",
        ["run", "--webhook-url", "https://bot.example.invalid/journeybot/updates", "--port", "0"],
        env=lambda api, d: {"JOURNEYBOT_WEBHOOK_SECRET": "s3cret"},
    ),
    Case(
        "PostgreSQL unreachable",
        ["run"],
        env=lambda api, d: {
            "JOURNEYBOT_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/x"
        },
    ),
    Case(
        "PostgreSQL not migrated",
        ["run"],
        env=lambda api, d: {"JOURNEYBOT_DATABASE_URL": pg_db("jb_failure_lines")},
        prepare=unmigrated_postgres,
    ),
    Case(
        "bad SQLite path",
        ["run"],
        env=lambda api, d: {"JOURNEYBOT_DATABASE_URL": "sqlite:////nonexistent/dir/bot.db"},
    ),
    Case(
        "unsupported database URL",
        ["run"],
        env=lambda api, d: {"JOURNEYBOT_DATABASE_URL": "mysql://root@127.0.0.1/test"},
    ),
    Case("JOURNEYBOT_PORT=abc", ["run"], env=lambda api, d: {"JOURNEYBOT_PORT": "abc"}),
    Case(
        "maps in an empty folder",
        ["maps"],
        env=lambda api, d: {"JOURNEYBOT_DATABASE_URL": ""},
    ),
    Case(
        "db upgrade reads .env",
        ["db", "upgrade"],
        env=lambda api, d: {"JOURNEYBOT_DATABASE_URL": ""},
        files={".env": "JOURNEYBOT_DATABASE_URL=sqlite:///from-dotenv.db\n"},
    ),
    Case(
        "export a version that does not exist",
        ["export", "1", "--version", "5", "-o", "x.json"],
        prepare=a_map,
    ),
]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--show", action="store_true", help="print every line of output")
    options = parser.parse_args()
    async with FakeBotApi() as api:
        for case in CASES:
            if options.only and not any(o.lower() in case.name.lower() for o in options.only):
                continue
            result = await measure(case, api, options.seconds)
            print(
                f"{result['case']:<38} {result['lines']:>5} lines {result['tracebacks']:>3} "
                f"tracebacks  exit {result['exit']}  ({result['seconds']} s)"
                + (f"  stray {result['stray_db']}" if result["stray_db"] else "")
            )
            shown = result["all"] if options.show else [result["first"]]
            for line in shown[:40]:  # type: ignore[index]
                print(f"    {line}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
