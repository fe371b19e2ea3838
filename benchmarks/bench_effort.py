"""What an interview costs its owner, by one effort model: reading a question 4 s, a tap 2 s,
a typed message 20 s (flows/effort.py; the progress line counts with the same numbers).

A bakery owner (tests/owner.py) makes a current-state map with the default stages (5) and the
template's two personas, taps two suggestions per list, types one item of their own in three
places; where nothing is offered they type two items and /done. Paths: template quick map,
template full map, and the interview without a template (`journeybot chat --no-template`).

    .venv/bin/python benchmarks/bench_effort.py [--lang en]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.owner import Owner

PATHS = {
    "template quick": {"kind": "bakery", "depth": "quick"},
    "template full": {"kind": "bakery", "depth": "full"},
    "no template": {"kind": None},
}


def measure(lang: str, **kw: object) -> Owner:
    owner = Owner(lang=lang, **kw)  # type: ignore[arg-type]
    owner.run()
    return owner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en", choices=("en", "id", "pl"))
    parser.add_argument("--paths", nargs="*", default=list(PATHS), choices=list(PATHS))
    args = parser.parse_args()
    print(f"{'path':<16}{'questions':>10}{'taps':>6}{'typed':>7}{'chars':>7}{'minutes':>9}")
    for name in args.paths:
        e = measure(args.lang, **PATHS[name]).effort
        print(f"{name:<16}{e.questions:>10}{e.taps:>6}{e.typed:>7}{e.chars:>7}{e.minutes:>9.1f}")


if __name__ == "__main__":
    main()
