"""The /settings conversation's steps and the answers a multi-step change collects (a PT
schedule, quiet hours, a choice of time zones), typed. No Telegram, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any

from bot.domain.wording import hhmm

FLOW = "settings"
QUIET_STARTS = (time(20), time(21), time(22), time(23))
QUIET_ENDS = (time(6), time(7), time(8), time(9))
MENU = ("ct", "tz", "pt", "area", "nudge", "quiet", "rest")
REST_DAYS = "rest"  # answered at once like "nudge": each tap toggles a weekday and saves


class SettingsStep(StrEnum):
    CHECKIN_TIME = "ct"
    TIMEZONE = "tz"
    PT_COUNT = "pt_count"
    PT_DAYS = "pt_days"
    PT_TIME = "pt_time"
    AREA = "area"
    AREA_OTHER = "area_other"
    QUIET_START = "quiet_start"
    QUIET_END = "quiet_end"
    # A menu of buttons has just been shown (the /settings menu, the nudge choices): a
    # choice typed as it reads is taken as the tap; anything else closes the menu.
    MENU = "menu"
    NUDGES = "nudges"
    # The rest-day toggle: a weekday typed as its button reads toggles it (saved at once),
    # "done" confirms; anything else closes it, as a menu.
    REST_DAYS = "rest_days"


# The step each menu entry opens ("nudge" is answered at once, it has no step).
MENU_STEPS = {
    "ct": SettingsStep.CHECKIN_TIME,
    "tz": SettingsStep.TIMEZONE,
    "pt": SettingsStep.PT_COUNT,
    "area": SettingsStep.AREA,
    "quiet": SettingsStep.QUIET_START,
}
# Button action -> the steps it answers; pressed at another step it is out of date.
ACTION_STEPS: dict[str, frozenset[str]] = {
    "ct": frozenset({SettingsStep.CHECKIN_TIME}),
    "tz": frozenset({SettingsStep.TIMEZONE}),
    "pt": frozenset({SettingsStep.PT_COUNT}),
    "ptd": frozenset({SettingsStep.PT_DAYS}),
    "ptt": frozenset({SettingsStep.PT_TIME}),
    "area": frozenset({SettingsStep.AREA, SettingsStep.AREA_OTHER}),
    "qs": frozenset({SettingsStep.QUIET_START}),
    "qe": frozenset({SettingsStep.QUIET_END}),
}


def step_of(raw: str) -> SettingsStep | None:
    try:
        return SettingsStep(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class SettingsDraft:
    """What a change has collected so far (stored as JSON in the ``dialogs`` table)."""

    pt_count: int = 0
    pt_days: tuple[int, ...] = ()
    pt_time: time | None = None
    quiet_start: time | None = None
    candidates: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> SettingsDraft:
        d = dict(data or {})
        return cls(
            pt_count=int(d.get("ptn") or 0),
            pt_days=tuple(int(x) for x in d.get("ptd") or ()),
            pt_time=time.fromisoformat(d["ptt"]) if d.get("ptt") else None,
            quiet_start=time.fromisoformat(d["qs"]) if d.get("qs") else None,
            candidates=tuple(d.get("cands") or ()),
        )

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ptn": self.pt_count, "ptd": list(self.pt_days)}
        data["ptt"] = hhmm(self.pt_time) if self.pt_time else None
        if self.quiet_start is not None:
            data["qs"] = hhmm(self.quiet_start)
        if self.candidates:
            data["cands"] = list(self.candidates)
        return data
