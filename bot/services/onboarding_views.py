"""What the onboarding conversation shows: each step's question with its buttons, the
summary, the welcome and welcome-back messages. Words and buttons only (no Telegram)."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.domain import callbacks
from bot.domain.callbacks import ButtonFamily
from bot.domain.content import load_exercise_templates
from bot.domain.onboarding import (
    CHANGE_BUTTONS,
    CHECKIN_TIMES,
    PT_TIMES,
    STOP_BUTTONS,
    Answer,
    Answers,
    AreaChosen,
    CheckinTimeChosen,
    PtCountChosen,
    PtDaysChosen,
    PtTimeChosen,
    Step,
    StopChosen,
    area_label,
    describe_pt,
    describe_weekdays,
)
from bot.domain.timezones import describe_local_time
from bot.domain.timing import local_date
from bot.domain.wording import button, hhmm, human_date, t
from bot.services.context import rehab_day
from bot.services.outcome import ButtonRows, Reply
from bot.services.setup_views import (
    Row,
    area_buttons,
    ask_location,
    chunk,
    frozen,
    pt_count_buttons,
    time_buttons,
    weekday_buttons,
)


def _ob(*parts: object) -> str:
    """An onboarding button's data (``ob:<parts>``)."""
    return callbacks.encode(ButtonFamily.ONBOARDING, *parts)


def _step(step: str) -> callbacks.Prefix:
    return callbacks.prefix(ButtonFamily.ONBOARDING, step)


def today_for(answers: Answers, now: datetime, default_zone: str) -> date:
    """The user's today: in their chosen zone, or the default one until they choose."""
    return local_date(now, answers.timezone or default_zone)


def _consent_buttons() -> ButtonRows:
    return frozen([[(button("consent"), _ob("consent"))], [(button("decline"), _ob("decline"))]])


def welcome(first_name: str | None) -> Reply:
    return Reply(t("start.welcome", first_name=first_name or "there"), _consent_buttons())


def consent_by_button() -> Reply:
    """A typed "yes" before consent: where to tap (the consent itself is the button)."""
    return Reply(t("start.consent_by_button"), _consent_buttons())


def chosen_text(answer: Answer, answers: Answers) -> str | None:
    """What the bot understood, in the user's terms ("PT sessions: Tue, Thu at 17:30"), for
    an answer typed or tapped; ``answers`` are those before it. None: nothing to echo."""
    match answer:
        case AreaChosen(area=area, other=other):
            return t("area.chosen", area=area_label(area, other))
        case StopChosen(stop=stop):
            return t("stop.chosen", date=human_date(stop))
        case PtCountChosen(count=count, or_more=or_more):
            return t("pt.count_chosen", count=f"{count}+" if or_more else count)
        case PtDaysChosen(days=days, skip=skip, at=at):
            chosen = () if skip else answers.pt_days if days is None else days
            if at is not None and chosen:
                return t("pt.time_chosen", days=describe_weekdays(chosen), time=hhmm(at))
            return t("pt.days_chosen", days=describe_weekdays(chosen))
        case PtTimeChosen(at=at) if at is not None:
            return t("pt.time_chosen", days=describe_weekdays(answers.pt_days), time=hhmm(at))
        case CheckinTimeChosen(at=at):
            return t("checkin_time.chosen", time=hhmm(at))
    return None


def added_text(exercise: str, area_id: str | None, name: str) -> str:
    """ "Added: …", with the cues of the template of that name when there is one, so safety
    notes such as "only if your PT agrees" are seen when the exercise goes in the plan."""
    template = load_exercise_templates().template_for(area_id, None, name)
    if template is None:
        return t("exercises.added", exercise=exercise)
    return t("exercises.added_with_how", exercise=exercise, how=template.how)


def exercises_prompt(answers: Answers, added: int | None = None) -> tuple[str, list[Row]]:
    """The exercise step; ``added``: the template just ticked, shown with its cues ("how")."""
    area = answers.injury_area()
    catalog = load_exercise_templates()
    text = t("exercises.ask", area=area.phrase, note=catalog.note)
    if added is not None and 0 <= added < len(area.templates):
        tpl = area.templates[added]
        exercise = f"{tpl.name} · {tpl.dose}"
        text = t("exercises.added_with_how", exercise=exercise, how=tpl.how) + "\n\n" + text
    rows: list[Row] = [
        [(("✅ " if i in answers.picks else "") + f"{tpl.name} · {tpl.dose}", _ob("ex", "t", i))]
        for i, tpl in enumerate(area.templates)
    ]
    for j, own in enumerate(answers.own):
        rows.append([("✅ " + own.label, _ob("ex", "o", j))])
    rows.append([(button("add_own"), _ob("ex", "add")), (button("confirm_plan"), _ob("ex", "ok"))])
    return text, rows


def summary_text(answers: Answers, now: datetime, default_zone: str) -> str:
    stop = answers.stop or today_for(answers, now, default_zone)
    day = rehab_day(stop, today_for(answers, now, default_zone))
    zone = answers.timezone or default_zone
    lines = [
        t("summary.header"),
        "",
        t("summary.area", value=area_label(answers.area, answers.other)),
        t("summary.stop", value=human_date(stop), day=day),
        t(
            "summary.pt",
            value=describe_pt(
                answers.pt_count,
                answers.pt_days,
                hhmm(answers.pt_time) if answers.pt_time else None,
            ),
        ),
        t("summary.checkin", value=hhmm(answers.checkin_time) if answers.checkin_time else "-"),
        t("summary.timezone", value=describe_local_time(zone, now)),
        t("summary.exercises"),
    ]
    lines += [f"• {d.label}" for d in answers.drafts()] or [f"• {t('exercises.empty_plan')}"]
    return "\n".join(lines)


def summary_buttons() -> list[Row]:
    changes = [(button(key), _ob("chg", arg)) for arg, key in CHANGE_BUTTONS.items()]
    return [*chunk(changes, 2), [(button("all_set"), _ob("done"))]]


def ask(
    step: Step, answers: Answers, now: datetime, default_zone: str, prefix: str | None = None
) -> Reply:
    """The question of ``step``; ``prefix`` is a correction shown above it."""
    rows: list[Row] = []
    if step is Step.AREA:
        text, rows = t("area.ask"), area_buttons(_step("area"))
    elif step is Step.AREA_OTHER:
        text = t("area.ask_other")
    elif step is Step.STOP:
        text = t("stop.ask")
        rows = [[(button(key), _ob("stop", days)) for key, days in STOP_BUTTONS]]
    elif step is Step.PT_COUNT:
        text, rows = t("pt.ask_count"), pt_count_buttons(_step("pt"))
    elif step is Step.PT_DAYS:
        text, rows = t("pt.ask_days"), weekday_buttons(_step("ptd"), answers.pt_days)
    elif step is Step.PT_TIME:
        text = t("pt.ask_time")
        rows = [*time_buttons(_step("ptt"), PT_TIMES), [(button("skip"), _ob("ptt", "skip"))]]
    elif step is Step.EXERCISES:
        text, rows = exercises_prompt(answers)
    elif step is Step.CHECKIN_TIME:
        text, rows = t("checkin_time.ask"), time_buttons(_step("ct"), CHECKIN_TIMES)
    elif step is Step.TIMEZONE:
        return ask_location(prefix)
    else:
        text, rows = summary_text(answers, now, default_zone), summary_buttons()
    if prefix:
        text = f"{prefix}\n\n{text}"
    return Reply(text, frozen(rows))


def welcome_back(
    first_name: str | None,
    paused: bool,
    paused_until: date | None,
    checkin_time: time | None,
    timezone: str | None,
) -> Reply:
    name = first_name or "there"
    if paused:
        until = t("common.until", date=human_date(paused_until)) if paused_until else ""
        return Reply(t("start.welcome_back_paused", first_name=name, until=until))
    buttons: ButtonRows = frozen(
        [
            [(button("review_settings"), callbacks.encode(ButtonFamily.SETTINGS, "open"))],
            [(button("check_in"), _ob("home", "checkin")), (button("help"), _ob("home", "help"))],
        ]
    )
    return Reply(
        t(
            "start.welcome_back",
            first_name=name,
            checkin_time=hhmm(checkin_time) if checkin_time else "-",
            timezone=timezone or "-",
        ),
        buttons,
    )
