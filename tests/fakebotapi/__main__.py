"""Run the fake Bot API as a standalone process.

    python -m tests.fakebotapi --port 8081 [--token 123:ABC] [--username my_bot]

The bot then uses base_url http://127.0.0.1:8081/bot and base_file_url
http://127.0.0.1:8081/file/bot. A small control API is enabled:
``POST /_fake/updates`` (raw update JSON), ``GET /_fake/sent``, ``POST /_fake/fail_next``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import DEFAULT_TOKEN, FakeBotApi


async def _serve(args: argparse.Namespace) -> None:
    api = FakeBotApi(
        args.token,
        host=args.host,
        port=args.port,
        bot_username=args.username,
        privacy_mode=not args.no_privacy,
        control_api=True,
    )
    async with api:
        print(f"Fake Bot API listening on {api.url} (token {api.token})", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="journey_test_bot")
    parser.add_argument("--no-privacy", action="store_true", help="disable privacy mode")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
