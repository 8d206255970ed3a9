"""Turn what a runner types into times, dates, doses and durations.

Every parser either returns a value or raises ``InputError`` whose message is
written for the user: the bot shows it verbatim, so it says what was not
understood and gives an example that would work. Anything a chat can deliver
(None for a sticker, emoji, empty or huge strings) must end in ``InputError``,
never in another exception, so handlers need a single ``except InputError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz, process

from bot.domain.wording import button, day_month_year, shorten, t

MAX_INPUT_CHARS = 200
MAX_EXERCISE_NAME = 40


class InputError(ValueError):
    """User input we could not use; ``message`` is safe and friendly to show as-is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ParsedExercise:
    """One line of a home-exercise programme as the user typed it."""

    name: str
    sets: int | None = None
    reps: int | None = None
    seconds: int | None = None
    per_side: bool = False


# --- shared helpers ---------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _index, _name in enumerate(
    (
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ),
    start=1,
):
    _MONTHS[_name] = _index
    _MONTHS[_name[:3]] = _index
_MONTHS["sept"] = 9
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_WEEKDAYS: dict[str, int] = {}
for _index, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
):
    _WEEKDAYS[_name] = _index
    _WEEKDAYS[_name + "s"] = _index
    _WEEKDAYS[_name[:3]] = _index
    _WEEKDAYS[_name[:2]] = _index
for _alias, _index in {
    "tues": 1,
    "weds": 2,
    "wednes": 2,
    "thur": 3,
    "thurs": 3,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "tue": 1,
}.items():
    _WEEKDAYS[_alias] = _index

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "couple of": 2,
    "a couple": 2,
}


def _show(text: str, limit: int = 30) -> str:
    """Echo the user's text back without letting a wall of text flood the reply."""
    return shorten(text, limit)


def _human(day: date) -> str:
    """Dates in replies read "1 Dec 2026": no leading zero, month as a word, never ambiguous."""
    return day_month_year(day)


def _text(value: object, what: str, example: str) -> str:
    """Reject non-text (stickers arrive as None), blanks and floods with one kind message."""
    if not isinstance(value, str):
        raise InputError(t("input.not_text", what=what, example=example))
    stripped = value.strip()
    if not stripped:
        raise InputError(t("input.empty", what=what, example=example))
    if len(stripped) > MAX_INPUT_CHARS:
        raise InputError(t("input.too_long", what=what, example=example))
    return stripped


def _example(name: str) -> str:
    """An example answer from onboarding.toml [input] ("7:30, 19:00 or 7pm")."""
    return t(f"input.example_{name}")


def _number(token: str) -> int | None:
    """Digits or a small number word ("3", "three", "a") as an int."""
    token = token.strip()
    if token.isdecimal() and token.isascii():
        return int(token)
    return _NUMBER_WORDS.get(token)


def _months_back(day: date, months: int) -> date:
    """Calendar months back, clamped to the month's end: 31 March minus a month is 28/29
    February, 29 February minus a year is 28 February (``relativedelta`` does both)."""
    earlier: date = day - relativedelta(months=months)
    return earlier


def _years_back(day: date, years: int) -> date:
    earlier: date = day - relativedelta(years=years)
    return earlier


# --- time of day ---------------------------------------------------------------------------

_AMPM = re.compile(r"(?<=[\d\s])([ap])\.?\s*m\b\.?")
_TIME_PATTERNS = (
    # 7, 7:30, 07.30, 19h, 19h30, 7 pm, 7:30am
    re.compile(r"^(?P<h>\d{1,2})(?:\s*(?:[:.h])\s*(?P<m>\d{2})|\s*h)?\s*(?P<ampm>am|pm)?$"),
    # 1930, 730, 730pm
    re.compile(r"^(?P<h>\d{1,2}?)(?P<m>\d{2})\s*(?P<ampm>am|pm)?$"),
)


def parse_time_of_day(text: object) -> time:
    """Read a reminder time the many ways people write clock times."""
    raw = _text(text, t("input.what_time"), _example("time"))
    s = raw.casefold()
    s = re.sub(r"\s*o'?\s*clock\b", "", s)
    s = _AMPM.sub(lambda m: m.group(1) + "m", s).strip()
    s = re.sub(r"^(?:at|around|about)\s+", "", s)
    if s in {"noon", "midday", "12 noon"}:
        return time(12, 0)
    if s in {"midnight", "12 midnight"}:
        return time(0, 0)

    def _bad() -> InputError:
        return InputError(t("input.time_unreadable", text=_show(raw), example=_example("time")))

    match = None
    for pattern in _TIME_PATTERNS:
        match = pattern.match(s)
        if match:
            break
    if match is None:
        raise _bad()
    hour = int(match.group("h"))
    minute = int(match.group("m") or 0)
    ampm = match.group("ampm")
    if minute > 59:
        raise _bad()
    if ampm:
        if not 1 <= hour <= 12:
            raise InputError(t("input.time_mixed", text=_show(raw), time=f"{hour}:{minute:02d}"))
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif hour == 24 and minute == 0:
        raise InputError(t("input.time_24"))
    if hour > 23:
        raise _bad()
    return time(hour, minute)


# --- dates ---------------------------------------------------------------------------------

_AGO = re.compile(r"^(?P<n>\d+|[a-z]+(?: couple of| couple)?)\s+(?P<unit>[a-z]+)\s+ago$")
_AGO_UNITS = ("day", "week", "month", "year")
_AGO_SHORT = {
    "d": "day",
    "dy": "day",
    "dys": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "m": "month",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "mnth": "month",
    "mnths": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
}
_AGO_TYPO = 75  # rapidfuzz ratio to "weeks": "weks", "weeeks", "dyas", "monts"


def _ago_unit(word: str) -> str | None:
    """The unit of "6 weeks ago" as typed: the word, its plural, a usual short form ("wks",
    "mths", "yrs") or a typo of one ("weks", "dyas"); None for any other word."""
    if word in _AGO_UNITS or word.removesuffix("s") in _AGO_UNITS:
        return word.removesuffix("s")
    if word in _AGO_SHORT:
        return _AGO_SHORT[word]
    if len(word) < 4:
        return None
    best = process.extractOne(word, [f"{u}s" for u in _AGO_UNITS], scorer=fuzz.ratio)
    return best[0].removesuffix("s") if best is not None and best[1] >= _AGO_TYPO else None


_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?$")
_DAY_MONTH = re.compile(
    r"^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)(?:\s+(\d{4}))?$"
)
_MONTH_DAY = re.compile(r"^([a-z]+)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+(\d{4}))?$")


def _month(token: str) -> int | None:
    return _MONTHS.get(token.rstrip("."))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(token: str | None) -> int | None:
    if token is None:
        return None
    year = int(token)
    return 2000 + year if len(token) == 2 else year


def _calendar_date(s: str, today: date, raw: str, *, future: bool) -> date | None:
    """Explicit calendar dates; without a year pick the occurrence on the allowed side of today."""

    def _fill_year(month: int, day: int, year: int | None) -> date:
        if year is not None:
            found = _safe_date(year, month, day)
        else:
            found = _safe_date(today.year, month, day)
            if found is None and month == 2 and day == 29:
                step = 1 if future else -1
                for y in range(today.year + step, today.year + 5 * step, step):
                    found = _safe_date(y, 2, 29)
                    if found:
                        break
            elif found is not None and not future and found > today:
                found = _safe_date(today.year - 1, month, day)
            elif found is not None and future and found < today:
                found = _safe_date(today.year + 1, month, day)
        if found is None:
            raise InputError(t("input.date_not_real", text=_show(raw)))
        return found

    match = _NUMERIC_DATE.match(s)
    if match:
        a, b, c = match.groups()
        if len(a) == 4:  # ISO-style year first
            if c is None:
                return None
            return _fill_year(int(b), int(c), int(a))
        if c is not None and len(c) == 3:
            return None
        first, second, year = int(a), int(b), _full_year(c)
        options = {
            (m, d)
            for d, m in ((first, second), (second, first))  # day-first, then month-first
            if 1 <= m <= 12 and 1 <= d <= 31
        }
        if not options:
            raise InputError(t("input.date_not_real_numeric", text=_show(raw)))
        if len(options) > 1:
            (m1, d1), (m2, d2) = sorted(options)
            raise InputError(
                t(
                    "input.date_ambiguous",
                    text=_show(raw),
                    first=f"{d1} {_MONTH_NAMES[m1 - 1]}",
                    second=f"{d2} {_MONTH_NAMES[m2 - 1]}",
                    short=f"{d1} {_MONTH_NAMES[m1 - 1][:3]}",
                )
            )
        ((month, day),) = options
        return _fill_year(month, day, year)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        match = pattern.match(s)
        if match:
            named_month = _month(match.group(month_group))
            if named_month is None:
                return None
            return _fill_year(named_month, int(match.group(day_group)), _full_year(match.group(3)))
    return None


_APPROXIMATELY = re.compile(
    r"^(?:about|around|roughly|approximately|approx\.?|maybe|probably|like|~)\s*"
)


def _normalise_date_text(raw: str) -> str:
    s = raw.casefold().replace(",", " ")
    s = re.sub(r"\s+", " ", s).strip().rstrip(".!")
    s = _APPROXIMATELY.sub("", s)  # "about a week ago": a week ago is as exact as it gets
    return re.sub(r"^on ", "", s)


_CHOICE_NOISE = re.compile(r"[^\w\s/-]")
_CHOICE_FILLER = re.compile(
    r"^(?:(?:it'?s|it is|its|my|the|in my|in the|on my|at my|i'?d say|i think|maybe|about|"
    r"around|left|right|both)\s+)+"
)


def choice_key(text: str) -> str:
    """What a typed answer and a button have in common: "My knee!" and "🦵 Knee" are "knee"."""
    s = text.casefold().replace("’", "'")
    s = _CHOICE_NOISE.sub(lambda m: "'" if m.group() == "'" else " ", s)
    s = " ".join(s.replace("_", " ").replace("-", " ").split())
    previous = None
    while previous != s:
        previous, s = s, _CHOICE_FILLER.sub("", s)
    return s.replace("'", "").strip()


def matches_choice(text: str | None, *labels: str) -> bool:
    """True when typed ``text`` says the same as one of a question's button ``labels``."""
    if not text:
        return False
    key = choice_key(text)
    return bool(key) and any(key == choice_key(label) for label in labels if label)


_CHANGE_VERB = re.compile(r"^(?:(?:change|set|edit|update|adjust)\s+)+")


def read_typed_choice(text: str | None, labels: Mapping[str, str]) -> str | None:
    """The key of the button ``labels`` (key -> label) that typed ``text`` says, as it reads
    ("injury area", "🏃 Return to running" typed "return to running"), with a leading "change"
    or "set" ("change my injury area"); None when it names none of them."""
    if not text:
        return None
    key = _CHANGE_VERB.sub("", choice_key(text))
    for choice, label in labels.items():
        if key and (key == choice_key(label) or matches_choice(key, label)):
            return choice
    return None


_SHORT_FORM_WORDS = 3  # "cut short", "done": a longer message is something else


def read_menu_choice(text: str | None, labels: Mapping[str, str]) -> str | None:
    """The key of the menu button (key -> label, in the order shown) that typed ``text``
    picks: its label as it reads (``read_typed_choice``), its number in the list ("2"), or a
    short form that fits exactly one label, each typed word the start of one of its words
    ("done" for "✅ Done as planned", "skip" for "Skipped"); None when it picks none or
    fits several."""
    found = read_typed_choice(text, labels)
    if found is not None or not text:
        return found
    key = _CHANGE_VERB.sub("", choice_key(text))
    if key.isdecimal():
        keys = list(labels)
        return keys[int(key) - 1] if 1 <= int(key) <= len(keys) else None
    words = key.split()
    if not words or len(words) > _SHORT_FORM_WORDS or any(len(w) < 3 for w in words):
        return None
    fits = [
        choice
        for choice, label in labels.items()
        if all(any(part.startswith(w) for part in choice_key(label).split()) for w in words)
    ]
    return fits[0] if len(fits) == 1 else None


_LENGTH_WORDS = re.compile(r"\d|\b(?:until|till|til|through|days?|weeks?|months?|tomorrow)\b")


def looks_like_a_length(text: str | None) -> bool:
    """A short answer that tries to say how long ("500 days", "until the 40th"), so a reading
    error is worth showing; a longer message or one without such words is something else."""
    if not text or len(text.split()) > 5:
        return False
    return bool(_LENGTH_WORDS.search(text.casefold()))


def parse_stop_date(text: object, today: date) -> date:
    """When the user stopped running: relative phrases or calendar dates, never the future."""
    raw = _text(text, t("input.what_stop"), _example("stop"))
    s = _normalise_date_text(raw)
    found: date | None = None
    if s in {"today", "this morning", "tonight", "this evening"}:
        found = today
    elif s in {"yesterday", "last night"}:
        found = today - timedelta(days=1)
    elif s in {"the day before yesterday", "day before yesterday"}:
        found = today - timedelta(days=2)
    elif s in {"last week"}:
        found = today - timedelta(days=7)
    elif s in {"last month"}:
        found = _months_back(today, 1)
    elif s in {"tomorrow"}:
        found = today + timedelta(days=1)
    else:
        ago = _AGO.match(s)
        unit = _ago_unit(ago.group("unit")) if ago else None
        if ago and unit is not None:
            n = _number(ago.group("n"))
            if n is None:
                raise InputError(t("input.ago_number", text=_show(raw)))
            if unit == "day":
                found = today - timedelta(days=n)
            elif unit == "week":
                found = today - timedelta(weeks=n)
            elif unit == "month":
                found = _months_back(today, n)
            else:
                found = _years_back(today, n)
        else:
            weekday = re.match(r"^(last|this past|past)?\s*([a-z]+)$", s)
            if weekday and weekday.group(2) in _WEEKDAYS and len(weekday.group(2)) >= 3:
                target = _WEEKDAYS[weekday.group(2)]
                back = (today.weekday() - target) % 7
                if weekday.group(1) and back == 0:
                    back = 7  # "last monday" said on a Monday means a week ago
                found = today - timedelta(days=back)
            else:
                found = _calendar_date(s, today, raw, future=False)
    if found is None:
        raise InputError(t("input.date_unreadable", text=_show(raw), example=_example("stop")))
    if found > today:
        raise InputError(t("input.stop_future", date=_human(found), example=_example("stop")))
    earliest = _years_back(today, 2)
    if found < earliest:
        raise InputError(t("input.stop_too_old", date=_human(found), earliest=_human(earliest)))
    return found


# --- exercises -------------------------------------------------------------------------------

_PER_SIDE = re.compile(
    r"\b(?:each|per|every)\s+(?:side|leg|arm|foot|direction|way)\b|\be/s\b|\beach\s*$",
    re.IGNORECASE,
)
_SECONDS_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    '"': 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
}
_UNIT = r"(?P<unit>s|secs?|seconds?|mins?|minutes?|m|\")"
_DOSE_PATTERNS = (
    # 3x10, 3 x 15, 3x30s, 3 x 45 sec, 3 sets of 10 (reps)
    re.compile(
        r"(?P<sets>\d+)\s*(?:x|×|\*|sets?\s+of|sets?\s*x)\s*(?P<amount>\d+)\s*"
        + _UNIT
        + r"?\s*(?:reps?|repetitions?|holds?)?"
    ),
    # 30s, 45 sec, 2 min (a single hold or timed activity)
    re.compile(r"(?P<amount>\d+)\s*" + _UNIT.replace("|m|", "|") + r"(?:\s*holds?)?"),
    # 10 reps
    re.compile(r"(?P<amount>\d+)\s*(?P<reps_word>reps?|repetitions?)"),
)


def _find_dose(s: str) -> re.Match[str] | None:
    """A dose at the end of the line ("... 3x10") or the start ("3x10 ..."); sets and reps
    also in the middle ("calf raises 3x15 daily"), where a bare number could be a name's."""
    for i, pattern in enumerate(_DOSE_PATTERNS):
        anchors = [
            re.compile(r"(?:^|\s|[-:,(])" + pattern.pattern + r"\)?\s*$", re.IGNORECASE),
            re.compile(r"^" + pattern.pattern + r"(?=\s|[-:,]|$)", re.IGNORECASE),
        ]
        if i == 0:
            anchors.append(
                re.compile(r"(?:\s|[-:,(])" + pattern.pattern + r"(?=[\s,;:.)]|$)", re.IGNORECASE)
            )
        for anchored in anchors:
            match = anchored.search(s)
            if match:
                return match
    return None


# How often, after the name ("calf raises 3x15 daily"): home exercises are daily anyway.
_DAILY_AT_END = re.compile(
    r"(?<!twice)(?<!thrice)(?<!times)[\s,;-]+(?:daily|every\s*day|each\s+day|(?:once\s+)?(?:a|per)\s+day)\s*$",
    re.IGNORECASE,
)


def parse_exercise(text: object) -> ParsedExercise:
    """Split "Calf raises 3x15 each side" into a name and an optional dose."""
    raw = _text(text, t("input.what_exercise"), _example("exercise"))
    s = " ".join(raw.split())
    per_side = False
    side = _PER_SIDE.search(s)
    if side:
        per_side = True
        s = s[: side.start()] + " " + s[side.end() :]
    sets = reps = seconds = None
    match = _find_dose(s)
    if match:
        groups = match.groupdict()
        s = s[: match.start()] + " " + s[match.end() :]
        amount = int(groups["amount"])
        unit = (groups.get("unit") or "").lower()
        if groups.get("sets") is not None:
            sets = int(groups["sets"])
        if unit:
            seconds = amount * _SECONDS_UNITS[unit]
        else:
            reps = amount
    name = _DAILY_AT_END.sub("", re.sub(r"\s+", " ", s)).strip(" -:,;.()")
    if not re.search(r"[^\W\d_]", name):
        raise InputError(t("input.exercise_no_name", example=_example("exercise")))
    if len(name) > MAX_EXERCISE_NAME:
        raise InputError(
            t("input.exercise_name_long", max=MAX_EXERCISE_NAME, text=_show(name), length=len(name))
        )
    if sets is not None and not 1 <= sets <= 10:
        raise InputError(t("input.sets_range", sets=sets))
    if reps is not None and not 1 <= reps <= 100:
        raise InputError(t("input.reps_range", reps=reps))
    if seconds is not None and not 1 <= seconds <= 600:
        raise InputError(t("input.hold_range", seconds=seconds))
    return ParsedExercise(
        name=name[0].upper() + name[1:],
        sets=sets,
        reps=reps,
        seconds=seconds,
        per_side=per_side,
    )


# --- plain numbers -----------------------------------------------------------------------------


def parse_int_in_range(text: object, lo: int, hi: int, what: str) -> int:
    """A whole number typed as text, e.g. a pain score "7" or "7/10"."""
    example = t("input.number_example", lo=lo, hi=hi)
    raw = _text(text, what, f"{(lo + hi) // 2}")
    s = raw.casefold().strip()
    match = re.fullmatch(r"(-?\d+)(?:\s*(?:/|out of|of)\s*(\d+))?", s)
    if match is None:
        if re.fullmatch(r"-?\d+[.,]\d+(?:\s*/\s*\d+)?", s):
            raise InputError(t("input.number_whole", what=what, lo=lo, hi=hi))
        raise InputError(t("input.number_unreadable", text=_show(raw), what=what, example=example))
    value = int(match.group(1))
    scale = match.group(2)
    if scale is not None and int(scale) != hi:
        raise InputError(t("input.number_scale", what=what, lo=lo, hi=hi, mid=hi // 2))
    if not lo <= value <= hi:
        raise InputError(
            t(
                "input.number_above" if value > hi else "input.number_below",
                what_capitalised=what.capitalize(),
                lo=lo,
                hi=hi,
                value=value,
                example=example,
            )
        )
    return value


_TIMES_WORDS = {"none": 0, "zero": 0, "no": 0, "once": 1, "twice": 2, "thrice": 3}
_PER_WEEK = re.compile(
    r"\b(?:(?:times|x|sessions?|visits?|appointments?)\s*)?"
    r"(?:(?:a|per|each|every)\s+week|weekly|/\s*w(?:ee)?k)\b|\b(?:times|sessions?)\b|"
    r"(?<=\d)\s*x\b"
)


def parse_times_a_week(text: object, hi: int, what: str) -> int:
    """How many times a week, typed as people say it: "2", "two", "twice a week",
    "3 times a week", "2x", "none"; anything else reads as ``parse_int_in_range``."""
    if isinstance(text, str):
        s = " ".join(_PER_WEEK.sub(" ", text.casefold()).split()).strip(" .!")
        s = re.sub(r"^(?:about|around|usually|normally|roughly|maybe)\s+", "", s)
        words = {k: v for k, v in _NUMBER_WORDS.items() if k not in ("a", "an")}
        value = _TIMES_WORDS.get(s, words.get(s))
        if value is not None and value <= hi:
            return value
        if s.isdecimal():
            text = s
    return parse_int_in_range(text, 0, hi, what)


# --- durations and pauses ------------------------------------------------------------------------

_DURATION_UNITS: dict[str, timedelta] = {}
for _names, _delta in (
    (("s", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
    (("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    (("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    (("d", "day", "days"), timedelta(days=1)),
    (("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
):
    for _unit in _names:
        _DURATION_UNITS[_unit] = _delta
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven)\s*([a-z]+)")
MAX_DURATION = timedelta(days=366)


def parse_duration(text: object) -> timedelta:
    """A length of time such as "90 min" or "1h30m" (for /pause and the chat CLI's /wait)."""
    raw = _text(text, t("input.what_duration"), _example("duration"))
    s = raw.casefold().replace(",", " ").replace(" and ", " ")
    s = re.sub(r"^(?:for|in)\s+", "", s.strip())  # "for 2 hours", "in 45 min"
    position = 0
    total = timedelta()
    parts = 0
    for match in _DURATION_PART.finditer(s):
        if s[position : match.start()].strip():
            break
        amount_text, unit = match.groups()
        if unit not in _DURATION_UNITS:
            break
        amount = float(amount_text) if amount_text[0].isdecimal() else _NUMBER_WORDS[amount_text]
        total += amount * _DURATION_UNITS[unit]
        position = match.end()
        parts += 1
    if parts == 0 or s[position:].strip():
        if re.fullmatch(r"\d+", s.strip()):
            raise InputError(t("input.duration_unit", text=_show(raw), number=s.strip()))
        raise InputError(
            t("input.duration_unreadable", text=_show(raw), example=_example("duration"))
        )
    if total <= timedelta(0):
        raise InputError(t("input.duration_zero", example=_example("duration")))
    if total > MAX_DURATION:
        raise InputError(t("input.duration_too_long"))
    return total


MAX_PAUSE_DAYS = 365


def _future_date(s: str, today: date, raw: str) -> date | None:
    """A resume date: tomorrow, a weekday (the next one), or a calendar date this year or next."""
    if s == "tomorrow":
        return today + timedelta(days=1)
    if s in {"next week"}:
        return today + timedelta(days=7 - today.weekday())
    weekday = re.fullmatch(r"(?:next |this )?([a-z]+)", s)
    if weekday and weekday.group(1) in _WEEKDAYS and len(weekday.group(1)) >= 3:
        ahead = (_WEEKDAYS[weekday.group(1)] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    return _calendar_date(s, today, raw, future=True)


def parse_pause(text: object, today: date) -> date | None:
    """Arguments of /pause: ``None`` means pause until /resume; otherwise the resume date.

    "7", "7 days" and "1 week" count whole days from today (paused today, back
    on today + 7). "until X" resumes on X itself.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = _text(text, t("input.what_pause"), _example("pause"))
    s = _normalise_date_text(raw)
    s = re.sub(r"^for\s+", "", s)
    resume: date | None
    until = re.fullmatch(r"(?:until|till|til|to|through)\s+(.+)", s)
    if until:
        resume = _future_date(until.group(1).strip(), today, raw)
        if resume is None:
            example = (today + timedelta(days=14)).isoformat()  # always a date ahead
            raise InputError(t("input.pause_date_unreadable", text=_show(raw), date=example))
    elif re.fullmatch(r"\d+", s):
        if int(s) > MAX_PAUSE_DAYS:  # checked first: a huge number would overflow the date
            raise _pause_too_long()
        resume = today + timedelta(days=int(s))
    else:
        try:
            length = parse_duration(s)
        except InputError:
            resume = _future_date(s, today, raw)
            if resume is None:
                raise InputError(
                    t("input.pause_unreadable", text=_show(raw), example=_example("pause"))
                ) from None
        else:
            if length < timedelta(days=1) or length % timedelta(days=1):
                raise InputError(t("input.pause_whole_days", example=_example("pause")))
            if length > timedelta(days=MAX_PAUSE_DAYS):
                raise _pause_too_long()
            resume = today + length
    if resume <= today:
        raise InputError(t("input.pause_past", date=_human(resume), example=_example("pause")))
    if (resume - today).days > MAX_PAUSE_DAYS:
        raise _pause_too_long()
    return resume


def _pause_too_long() -> InputError:
    return InputError(t("input.pause_too_long"))


# --- weekdays ------------------------------------------------------------------------------------

_DAY_GROUPS = {
    "weekdays": frozenset(range(5)),
    "workdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "all": frozenset(range(7)),
}


def parse_weekdays(text: object) -> frozenset[int]:
    """Days of the week, Monday=0, e.g. for PT session days."""
    raw = _text(text, t("input.what_days"), _example("days"))
    s = raw.casefold().replace("every day", "everyday")
    s = re.sub(r"\b(?:and|on|every|&|\+)\b|[,;/&+]", " ", s)
    s = re.sub(r"\s*(?:-|–|\bto\b|\bthrough\b)\s*", "-", s)
    days: set[int] = set()
    for token in s.split():
        token = token.strip(".")
        if token in _DAY_GROUPS:
            days |= _DAY_GROUPS[token]
            continue
        if "-" in token:
            start, _, end = token.partition("-")
            if start in _WEEKDAYS and end in _WEEKDAYS:
                a, b = _WEEKDAYS[start], _WEEKDAYS[end]
                days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
                continue
        if token in _WEEKDAYS:
            days.add(_WEEKDAYS[token])
            continue
        raise InputError(t("input.day_unknown", text=_show(token, 20), example=_example("days")))
    if not days:
        raise InputError(t("input.days_none", example=_example("days")))
    return frozenset(days)


# --- check-in answers typed instead of tapped --------------------------------------------------

_TYPED_STATUS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    # (action, button key in checkin.toml, other ways of saying it). Read after choice_key,
    # so case, punctuation and a leading "my", "the", "it's" do not matter.
    (
        "some",
        "did_some",
        re.compile(
            r"(?:yes |yeah |yep )?(?:i )?(?:did|done|managed|got through) "
            r"(?:some|a few|half|part|most)(?: of (?:them|it))?|some|some of them|a few|"
            r"half|partly|partially|part of (?:them|it)|most of them|not all|"
            r"(?:i )?(?:only|just) (?:did|managed|got through|had time for) (?!(?:them|it)\b).+"
        ),
    ),
    (
        "no",
        "not_today",
        re.compile(
            r"(?:no|nope|nah)(?: not today)?|not today|none|(?:i )?(?:didnt|did not|couldnt|"
            r"could not|missed|skipped)(?: (?:them|it|today|do them|do it|manage))*"
        ),
    ),
    (
        "later",
        "snooze",
        re.compile(r"later|(?:ask|remind) me later|not yet|in a bit"),
    ),
    (
        "done",
        "done_all",
        re.compile(
            r"(?:yes|yeah|yep|yup)(?: (?:i )?(?:did|done)(?: (?:them|it))?(?: all)?)?|"
            r"(?:i )?(?:did|done|finished|completed)(?: (?:them|it|all|everything|the lot))*|"
            r"all done|done all|all of them|did all of them|yes all|every one|"
            r"(?:i )?(?:did|done|finished) (?:all )?(?:my |the )?(?:home )?(?:exercises|rehab|"
            r"routine|session)(?: today)?"
        ),
    ),
)

_TYPED_MORNING = re.compile(
    r"(?:(?:a |a little |little |a bit |bit |slightly |much |lot |a lot |way |about |the )*)"
    r"(?P<answer>better|same|worse)"
    r"(?: (?:than (?:before|yesterday)|today|tbh|i think|thanks|again))*"
)


def read_typed_checkin(text: str | None, *, labels_only: bool = False) -> str | None:
    """A check-in answer typed instead of tapped ("did them all", "yes", "did some", "not
    today", "later"), as the action of the button it stands for; None for anything else.
    ``labels_only``: only a button's own words ("Did some"), which need no open question to
    be understood (a bare "yes" or "no" does)."""
    whole = _typed_status(text or "", labels_only)
    if whole is not None or not text:
        return whole
    # "not today, too busy at work", "did some of them - only the heel drops": the answer
    # first, then why or which. Read when the first clause is an answer and no later clause
    # is another one ("no, I did them all" says nothing).
    first, *rest = (part for part in _CLAUSE_BREAK.split(text) if part and part.strip())
    action = _typed_status(first, labels_only) if rest else None
    if action is None or any(_typed_status(part, False) not in (None, action) for part in rest):
        return None
    return action


_CLAUSE_BREAK = re.compile(r"[,.;:!?]+|\s[-–—]+\s|\b(?:because|cos|coz|cause)\b", re.I)


def _typed_status(text: str, labels_only: bool) -> str | None:
    from bot.domain.content import load_checkin_text

    key = choice_key(text)
    if not key or len(key) > 40:
        return None
    labels = load_checkin_text()
    for action, button_key, pattern in _TYPED_STATUS:
        if key == choice_key(labels.button(button_key)):
            return action
        if not labels_only and pattern.fullmatch(key):
            return action
    return None


def read_typed_morning(text: str | None) -> str | None:
    """The next-morning answer typed ("better", "a bit worse", "the same"): ``better``,
    ``same`` or ``worse``; None for anything else."""
    key = choice_key(text or "")
    match = _TYPED_MORNING.fullmatch(key) if key and len(key) <= 40 else None
    return match.group("answer") if match else None


_DELETE_REQUEST = re.compile(
    r"(?:yes |yeah |ok |okay |please )*(?:delete|erase|remove|wipe)"
    r"(?: (?:it|them|all|everything|all of it|my data|all my data|my account|me))+(?: please)?"
)


def read_delete_request(text: str | None) -> bool:
    """Whether typed text asks to erase the user's data ("yes delete everything", "delete my
    data", the confirmation button's own words)."""
    key = choice_key(text or "")
    return bool(key) and (
        key == choice_key(button("delete_yes")) or _DELETE_REQUEST.fullmatch(key) is not None
    )
