"""Due dates as people type them, in their own language: "in 2 weeks", "15.12", "15 Des",
"piątek", "za 2 tygodnie", "besok". Read by dateparser (its own language data for English,
Indonesian and Polish), relative to a given today, always towards the future."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

FURTHEST = timedelta(days=366 * 2)  # a due date further off is more likely a typo
# "15.12" and "15.12." are day and month where we live; dateparser alone reads them as a time
# of day, so these formats are tried first (its own parsers still read everything else).
DAY_MONTH_FORMATS = ["%d.%m", "%d.%m."]
_DAY_MONTH = re.compile(r"^\d{1,2}\.\d{1,2}\.?$")


@dataclass(frozen=True)
class Due:
    """What was read: a date, or why not (`problem`: "unknown", "past", "far")."""

    on: date | None
    problem: str = ""


def parse_due(text: str, lang: str, today: date) -> Due:
    text = " ".join(text.split())
    if not text:
        return Due(None, "unknown")
    base = datetime.combine(today, time(12, 0))
    languages = [lang] if lang == "en" else [lang, "en"]
    found = dateparser.parse(
        text,
        languages=languages,
        date_formats=DAY_MONTH_FORMATS,
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if found is None:
        return Due(None, "unknown")
    on = found.date()
    if on < today and _DAY_MONTH.match(text):
        # "15.11" when that has passed this year: next year's (dateparser looks ahead by
        # itself for everything but these formats).
        on = _next_year(on)
    if on < today:
        return Due(None, "past")
    if on - today > FURTHEST:
        return Due(None, "far")
    return Due(on)


def _next_year(on: date) -> date:
    try:
        return on.replace(year=on.year + 1)
    except ValueError:  # 29 February
        return on.replace(year=on.year + 1, day=28)
