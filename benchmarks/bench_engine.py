"""Time to process one interview event (issue 2 budget: median under 1 ms).

Runs whole interviews of every map type (5 stages × 2 personas, two authors) through the
engine until at least 10,000 events were handled, timing each `handle` call.

    .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.engine import handle, start
from flows.spec import MapType
from tests.scripted import ANIA, BUDI, Interviewee

EVENTS = 10_000


def main() -> None:
    timings: list[float] = []
    interviews = 0
    while len(timings) < EVENTS:
        for map_type in MapType:
            person = Interviewee(map_type, personas=2, stages=5, authors=(ANIA, BUDI))
            iv = start(ANIA, "en").interview
            while not iv.finished:
                event = person.answer(iv)
                began = time.perf_counter()
                handle(iv, event)
                timings.append(time.perf_counter() - began)
            interviews += 1
    timings.sort()
    median = statistics.median(timings) * 1e3
    p99 = timings[int(len(timings) * 0.99)] * 1e3
    print(f"engine: {len(timings)} events in {interviews} interviews")
    print(f"engine: median {median:.3f} ms, p99 {p99:.3f} ms, max {timings[-1] * 1e3:.3f} ms")
    print(f"engine: median / budget (1 ms) = {median / 1.0:.2f}")


if __name__ == "__main__":
    main()
