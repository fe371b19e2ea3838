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
    # Every command that reads settings takes --env-file (default: ./.env, when present).
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument(
        "--env-file", type=Path, help="a .env file to read settings from (default: ./.env)"
    )

    chat = commands.add_parser(
        "chat", parents=[settings], help="the interview in this terminal (no token needed)"
    )
    chat.add_argument("--lang", choices=LANGUAGES, help="interview language (default: en)")
    chat.add_argument(
        "--output-dir", type=Path, default=Path("."), help="where the finished map is written"
    )
    chat.add_argument(
        "--new", action="store_true", help="discard the unfinished interview and start afresh"
    )
    chat.add_argument("--name", help="who is answering, as the map credits it (default: you)")
    chat.add_argument(
        "--no-template",
        action="store_true",
        help="the interview without business templates: no kind of business, no suggestions "
        "(the question order that answer files written for it expect)",
    )

    run = commands.add_parser(
        "run", parents=[settings], help="the Telegram bot (polling, or a webhook)"
    )
    run.add_argument("--webhook-url", help="public HTTPS URL Telegram posts updates to")
    run.add_argument(
        "--webhook-path",
        help="path the server serves the webhook at (default: the URL's path; set it when a "
        "reverse proxy rewrites the path)",
    )
    run.add_argument("--listen", help="address the HTTP server listens on (0.0.0.0)")
    run.add_argument(
        "--port",
        help="port of the HTTP server: webhook, /healthz, /metrics (webhook default 8443; "
        "in polling mode the server runs only when a port is given)",
    )
    run.add_argument("--cert", type=Path, help="TLS certificate (PEM) for the HTTP server")
    run.add_argument("--key", type=Path, help="the certificate's private key (PEM)")
    run.add_argument(
        "--migrate",
        action="store_true",
        default=None,
        help="bring a PostgreSQL database to the current schema on start (SQLite always is)",
    )

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

    db = commands.add_parser("db", parents=[settings], help="database schema")
    db.add_argument("action", choices=["upgrade"], help="bring the database to the current schema")

    maps = commands.add_parser("maps", parents=[settings], help="list the finished maps")
    maps.add_argument(
        "--chat", default=CONSOLE_CHAT, help="the Telegram chat id (default: console)"
    )
    maps.add_argument("--page", type=int, default=1)

    export = commands.add_parser(
        "export", parents=[settings], help="write a finished map to a file"
    )
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

    commands.add_parser(
        "doctor",
        parents=[settings],
        help="check the token, the Bot API, the webhook, the database, rendering and fonts",
    )
    return parser


class CliError(Exception):
    """What went wrong, in one line for the operator."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "render":
        return _render(args.source, args.output, args.lang)
    try:
        return _command(args)
    except CliError as problem:
        print(f"journeybot: {problem}", file=sys.stderr)
        return 1


def _settings(args: argparse.Namespace, **overrides: object):
    from bot.config import ConfigError, load_settings

    try:
        return load_settings(args.env_file, **overrides)
    except ConfigError as problem:
        print(f"journeybot: {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def _command(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    settings = _settings(args)
    if args.command == "chat":
        from bot.console import chat

        try:
            return asyncio.run(
                chat(
                    args.lang,
                    args.output_dir,
                    new=args.new,
                    name=args.name,
                    url=settings.database_url,
                    template=not args.no_template,
                )
            )
        except KeyboardInterrupt:  # Ctrl-C: one line, no traceback (every answer is stored)
            from bot.console import tr as console_tr
            from flows.spec import pick_language

            print("\n" + console_tr(pick_language(args.lang), "console.interrupted"))
            return 130
    if args.command == "db":
        return asyncio.run(_upgrade(settings.database_url))
    if args.command == "maps":
        return asyncio.run(_maps(settings.database_url, args.chat, args.page))
    if args.command == "export":
        return asyncio.run(
            _export(settings.database_url, args.chat, args.number, args.output, args.version)
        )
    if args.command == "doctor":
        from bot.doctor import doctor

        return asyncio.run(doctor(settings, args.env_file))
    return 2


def _run(args: argparse.Namespace) -> int:
    from bot.config import ConfigError

    settings = _settings(
        args,
        webhook_url=args.webhook_url,
        webhook_path=args.webhook_path,
        listen=args.listen,
        port=args.port,
        cert=args.cert,
        key=args.key,
        migrate=args.migrate,
    )
    try:
        settings.require_token()
    except ConfigError as problem:
        print(f"journeybot: {problem}", file=sys.stderr)
        return 2
    from bot.startup import run

    return run(settings)


async def _upgrade(url: str) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.startup import reason
    from storage import database
    from storage.repository import Store

    where = database.describe(url)
    store = Store(url)
    try:
        before = await database.upgrade(store.engine)
    except (SQLAlchemyError, OSError) as problem:
        raise CliError(f"cannot upgrade {where}: {reason(problem)}") from None
    finally:
        await store.close()
    head = database.head_revision()
    if before == head:
        print(f"{where}: schema up to date ({head})")
    else:
        print(f"{where}: schema brought to {head} (was {before or 'empty'})")
    return 0


async def _open_existing(url: str):
    """The store of a database that exists and has journeybot's schema — never a new empty
    file: a command run in the wrong folder says where it looked instead."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.startup import reason
    from storage import database
    from storage.repository import Store

    where = database.describe(url)
    path = database.sqlite_path(url)
    if path is not None and not path.exists():
        raise CliError(
            f"no database here: {where} does not exist. Maps are kept where `journeybot "
            "chat` or `journeybot run` ran (their folder), or where JOURNEYBOT_DATABASE_URL "
            "(or .env) points"
        )
    store = Store(url)
    try:
        current = await database.current_revision(store.engine)
    except (SQLAlchemyError, OSError) as problem:
        await store.close()
        raise CliError(f"cannot read {where}: {reason(problem)}") from None
    head = database.head_revision()
    if current != head:
        if current is not None and path is not None:
            await store.upgrade()  # an older SQLite file of ours: brought up to date
        else:
            await store.close()
            have = "has no journeybot schema" if current is None else f"has schema {current}"
            raise CliError(f"{where} {have} (needs {head}): run `journeybot db upgrade`")
    return store


async def _maps(url: str, chat_id: str, page: int) -> int:
    from storage import database

    store = await _open_existing(url)
    try:
        listing = await store.list_maps(chat_id, page=page, per_page=20)
    finally:
        await store.close()
    for m in listing.maps:
        stamp = m.updated_at.strftime("%Y-%m-%d %H:%M")
        print(f"{m.number:>4}  {m.title}  ({m.map_type.value}, v{m.version}, {stamp})")
    print(
        f"{listing.total} map(s) in chat {chat_id}; page {listing.page} of {listing.pages} "
        f"— {database.describe(url)}"
    )
    return 0


async def _export(url: str, chat_id: str, number: int, output: Path, version: int | None) -> int:
    store = await _open_existing(url)
    try:
        journey_map = await store.get_map(chat_id, number, version)
        summary = await store.map_summary(chat_id, number) if journey_map is None else None
        versions = await store.versions(chat_id, number) if summary is not None else []
    finally:
        await store.close()
    if journey_map is None:
        if summary is None:
            raise CliError(f"no map {number} in chat {chat_id}")
        have = ", ".join(f"v{v.version}" for v in versions) or f"v{summary.version}"
        raise CliError(f"map {number} has no version {version} (it has {have})")
    return _write(output, export_bytes(journey_map, output.suffix))


def export_bytes(journey_map, suffix: str, lang: str | None = None) -> bytes:
    """The map as a file; a PDF or HTML page ends with the findings and the checklist, as
    the one Telegram sends."""
    from renderers.checklist import checklist_sections_for_export
    from renderers.export import export_map, format_for

    try:
        fmt = format_for(Path(f"map{suffix}"))
    except ValueError as problem:
        raise SystemExit(f"journeybot: {problem}") from None
    checklist = None
    if fmt in ("pdf", "html"):
        checklist = checklist_sections_for_export(journey_map, lang or journey_map.language)
    return export_map(journey_map, fmt, lang=lang, checklist=checklist)


def _render(source: Path, output: Path, lang: str | None) -> int:
    from pydantic import ValidationError

    from flows.model import JourneyMap, describe

    try:
        journey_map = JourneyMap.from_json(source.read_bytes())
    except OSError as problem:
        return _fail(f"cannot read {source}: {_reason(problem)}")
    except ValidationError as problem:
        return _fail(f"{source}: {describe(problem)}")
    return _write(output, export_bytes(journey_map, output.suffix, lang))


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


if __name__ == "__main__":
    sys.exit(main())
