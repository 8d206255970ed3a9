"""What /settings shows: the menu and each change's question, as words and buttons."""

from __future__ import annotations

from bot.domain.callbacks import ButtonFamily, Prefix, encode, prefix
from bot.domain.onboarding import CHECKIN_TIMES, PT_TIMES
from bot.domain.settings_flow import MENU, QUIET_ENDS, QUIET_STARTS, SettingsDraft, SettingsStep
from bot.domain.wording import button, t
from bot.services.outcome import ButtonRows, Reply
from bot.services.setup_views import (
    Row,
    area_buttons,
    ask_location,
    frozen,
    pt_count_buttons,
    time_buttons,
    weekday_buttons,
)

MENU_LABELS = {
    "ct": "set_checkin",
    "tz": "set_timezone",
    "pt": "set_pt",
    "area": "set_area",
    "nudge": "set_nudges",
    "quiet": "set_quiet",
    "rest": "set_rest",
}


def _step(step: str) -> Prefix:
    return prefix(ButtonFamily.SETTINGS, step)


def nudge_word(cadence: str) -> str:
    return t(f"settings.nudges_{cadence}") if cadence in ("off", "low", "normal") else cadence


def menu_buttons() -> ButtonRows:
    items = [(button(MENU_LABELS[key]), _step("m").data(key)) for key in MENU]
    running = (button("set_running"), encode(ButtonFamily.RUN, "menu"))
    return frozen(
        [
            items[0:2],
            items[2:4],
            items[4:6],
            [items[6], running],
            [(button("set_close"), encode(ButtonFamily.SETTINGS, "close"))],
        ]
    )


def nudge_buttons() -> ButtonRows:
    return frozen(
        [[(button(f"nudges_{c}"), _step("nudge").data(c)) for c in ("off", "low", "normal")]]
    )


def rest_day_buttons(selected: list[int]) -> ButtonRows:
    """Toggle weekdays (each tap saved), then Done."""
    rows = weekday_buttons(_step("rd"), selected)
    rows[-1] = [(button("done"), _step("rd").data("done"))]
    return frozen(rows)


def ask(step: SettingsStep | None, draft: SettingsDraft, prefix: str | None = None) -> Reply:
    rows: list[Row] = []
    if step is SettingsStep.CHECKIN_TIME:
        text, rows = t("checkin_time.ask"), time_buttons(_step("ct"), CHECKIN_TIMES)
    elif step is SettingsStep.TIMEZONE:
        return ask_location(prefix)
    elif step is SettingsStep.PT_COUNT:
        text, rows = t("pt.ask_count"), pt_count_buttons(_step("pt"))
    elif step is SettingsStep.PT_DAYS:
        text, rows = t("pt.ask_days"), weekday_buttons(_step("ptd"), draft.pt_days)
    elif step is SettingsStep.PT_TIME:
        text = t("pt.ask_time")
        rows = [
            *time_buttons(_step("ptt"), PT_TIMES),
            [(button("skip"), _step("ptt").data("skip"))],
        ]
    elif step is SettingsStep.AREA:
        text, rows = t("area.ask"), area_buttons(_step("area"))
    elif step is SettingsStep.AREA_OTHER:
        text = t("area.ask_other")
    elif step is SettingsStep.QUIET_START:
        text, rows = t("settings.ask_quiet_start"), time_buttons(_step("qs"), QUIET_STARTS)
    elif step is SettingsStep.QUIET_END:
        text, rows = t("settings.ask_quiet_end"), time_buttons(_step("qe"), QUIET_ENDS)
    else:
        text = t("settings.use_buttons")
    if prefix:
        text = f"{prefix}\n\n{text}"
    return Reply(text, frozen(rows))
