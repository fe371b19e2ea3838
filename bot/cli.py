"""The `journeybot` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from flows.spec import LANGUAGES

CONSOLE_CHAT = "console"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeybot", description="Customer journey maps, made in a chat."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="the interview in this terminal (no token needed)")
    chat.add_argument("--lang", choices=LANGUAGES, help="interview language (default: en)")
    chat.add_argument(
        "--output-dir", type=Path, default=Path("."), help="where the finished map is written"
    )
    chat.add_argument(
        "--new", action="store_true", help="discard the unfinished interview and start afresh"
    )
    chat.add_argument("--name", help="who is answering, as the map credits it (default: you)")

    run = commands.add_parser("run", help="the Telegram bot (polling, or a webhook)")
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to")
    run.add_argument("--listen", help="address the webhook server listens on (0.0.0.0)")
    run.add_argument("--port", type=int, help="port of the webhook server (8443)")
    run.add_argument("--env-file", type=Path, help="a .env file to read settings from")

    render = commands.add_parser("render", help="draw or convert a map saved as JSON")
    render.add_argument("source", type=Path, help="a map as JSON (from chat or export)")
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="the file; its extension picks the format (.png .pdf .html .csv .json)",
    )
    render.add_argument("--lang", choices=LANGUAGES, help="label the map in this language")

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"], help="bring the database to the current schema")

    maps = commands.add_parser("maps", help="list the finished maps")
    maps.add_argument(
        "--chat", default=CONSOLE_CHAT, help="the Telegram chat id (default: console)"
    )
    maps.add_argument("--page", type=int, default=1)

    export = commands.add_parser("export", help="write a finished map to a file")
    export.add_argument("number", type=int, help="the map's number, as `journeybot maps` lists it")
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="the file; its extension picks the format (.json, .png, .pdf, .html, .csv)",
    )
    export.add_argument("--chat", default=CONSOLE_CHAT)
    export.add_argument("--version", type=int, default=None, help="an earlier version")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "chat":
        from bot.console import chat

        return asyncio.run(chat(args.lang, args.output_dir, new=args.new, name=args.name))
    if args.command == "run":
        return _run(args)
    if args.command == "render":
        return _render(args.source, args.output, args.lang)
    if args.command == "db":
        return asyncio.run(_upgrade())
    if args.command == "maps":
        return asyncio.run(_maps(args.chat, args.page))
    if args.command == "export":
        return asyncio.run(_export(args.chat, args.number, args.output, args.version))
    return 2


def _run(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings(
            args.env_file, webhook_url=args.webhook_url, listen=args.listen, port=args.port
        )
    except ConfigError as problem:
        print(f"journeybot: {problem}", file=sys.stderr)
        return 2
    from telegram.error import InvalidToken

    from bot.app import run

    try:
        return run(settings)
    except InvalidToken:
        print(
            "journeybot: Telegram rejected the token (TELEGRAM_BOT_TOKEN); check it with "
            "@BotFather",
            file=sys.stderr,
        )
        return 2


async def _upgrade() -> int:
    from storage.repository import Store

    store = Store()
    try:
        await store.upgrade()
    finally:
        await store.close()
    print(f"{store.engine.url.render_as_string(hide_password=True)}: schema up to date")
    return 0


async def _maps(chat_id: str, page: int) -> int:
    from bot.console import open_store

    store = await open_store()
    try:
        listing = await store.list_maps(chat_id, page=page, per_page=20)
    finally:
        await store.close()
    for m in listing.maps:
        stamp = m.updated_at.strftime("%Y-%m-%d %H:%M")
        print(f"{m.number:>4}  {m.title}  ({m.map_type.value}, v{m.version}, {stamp})")
    print(f"{listing.total} map(s); page {listing.page} of {listing.pages}")
    return 0


async def _export(chat_id: str, number: int, output: Path, version: int | None) -> int:
    from bot.console import open_store

    store = await open_store()
    try:
        journey_map = await store.get_map(chat_id, number, version)
    finally:
        await store.close()
    if journey_map is None:
        print(f"journeybot: no map {number} in chat {chat_id}", file=sys.stderr)
        return 1
    return _write(output, export_bytes(journey_map, output.suffix))


def export_bytes(journey_map, suffix: str) -> bytes:  # type: ignore[no-untyped-def]
    from renderers.export import export_map, format_for

    try:
        fmt = format_for(Path(f"map{suffix}"))
    except ValueError as problem:
        raise SystemExit(f"journeybot: {problem}") from None
    return export_map(journey_map, fmt)


def _render(source: Path, output: Path, lang: str | None) -> int:
    from pydantic import ValidationError

    from flows.model import JourneyMap, describe

    try:
        journey_map = JourneyMap.from_json(source.read_bytes())
    except OSError as problem:
        return _fail(f"cannot read {source}: {_reason(problem)}")
    except ValidationError as problem:
        return _fail(f"{source}: {describe(problem)}")
    data = (
        export_bytes(journey_map, output.suffix)
        if lang is None
        else _relabelled(journey_map, output.suffix, lang)
    )
    return _write(output, data)


def _write(output: Path, data: bytes) -> int:
    """The file written, or one line saying why not (no traceback)."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as problem:
        return _fail(f"cannot write {output}: {_reason(problem)}")
    print(output)
    return 0


def _reason(problem: OSError) -> str:
    return problem.strerror or str(problem).splitlines()[0]


def _fail(line: str) -> int:
    print(f"journeybot: {line}", file=sys.stderr)
    return 1


def _relabelled(journey_map, suffix: str, lang: str) -> bytes:  # type: ignore[no-untyped-def]
    from renderers.export import export_map, format_for

    return export_map(journey_map, format_for(Path(f"map{suffix}")), lang=lang)


if __name__ == "__main__":
    sys.exit(main())
