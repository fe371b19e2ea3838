"""A short fault-injection run (benchmarks/fault_injection.py makes the long one): a dozen
people make maps while the bot is killed at random moments; nothing is lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faultrun import run

pytestmark = pytest.mark.timeout(600)


async def test_random_kills_lose_and_double_nothing(tmp_path: Path) -> None:
    report = await run(tmp_path, interviews=12, seed=7, pace=(2.0, 5.0))
    print("\n".join(report.lines()))
    assert report.kills >= 2, report.lines()
    assert report.maps_stored == report.interviews, report.problems
    assert report.answers_stored == report.interviews * 9, report.problems
    assert report.questions_twice == 0, report.problems
    # Every question came once, but for those the person had to ask for again.
    assert report.questions_once + report.nudges >= report.questions, report.problems
    assert report.map_parts_twice == 0, report.problems
    assert report.map_parts_missing == 0, report.problems
