"""The `journeybot` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows.spec import LANGUAGES


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "chat":
        from bot.console import chat

        return chat(args.lang, args.output_dir)
    return 2


if __name__ == "__main__":
    sys.exit(main())
