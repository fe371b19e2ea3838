"""The fault-injection run of issue 9: 50 people make their maps at once while the bot is
killed with SIGKILL at random moments (every 3–8 s) and started again; then every answer is
looked up in the database and every question and map counted in the chats.

    .venv/bin/python benchmarks/fault_injection.py [--interviews 50] [--seed 1] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faultrun import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fastest", type=float, default=3.0, help="shortest gap between kills (s)")
    parser.add_argument("--slowest", type=float, default=8.0, help="longest gap between kills (s)")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jb-faults-") as workdir:
        report = asyncio.run(
            run(
                Path(workdir),
                args.interviews,
                seed=args.seed,
                pace=(args.fastest, args.slowest),
                url=args.postgres,
            )
        )
    print("\n".join(report.lines()))
    for problem in report.problems:
        print("  -", problem)
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
