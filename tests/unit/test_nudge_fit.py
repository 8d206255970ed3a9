"""No nudge can reach a user it does not fit: the whole catalogue over a grid of users.

Pure: the real nudges.toml, every injury area, phase and trigger, and users with and without
check-ins, exercising or not, with and without recent pain. Each user's reachable nudges are
found through ``choose_nudge`` itself (sending until the cycle repeats), then checked against
what a reader would call a mis-fit, independently of the tags that are meant to prevent it.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from bot.domain.content import (
    PHASES,
    SITUATIONS,
    TRIGGERS,
    ContentError,
    load_exercise_templates,
    load_nudges,
)
from bot.domain.content.loading import validate
from bot.domain.content.models import Nudge, NudgeFile
from bot.domain.nudges import NudgeContext, RenderedNudge, choose_nudge, fits, situation_tags

AREAS = load_exercise_templates().area_ids
# (check-ins, adherence over two weeks, recent pain)
HISTORIES = [
    (0, None, False),  # signed up, never checked in
    (2, 0.2, False),  # a few check-ins, mostly "not today"
    (2, 0.2, True),
    (12, 0.9, False),  # exercising steadily
    (12, 0.9, True),  # exercising with some pain
]
FLARE_REASONS = {"pain_flare": ("score", "morning")}

PRAISE_OF_EFFORT = (
    "ahead of the curve",
    "how far you've come",
    "you're putting in both",
    "every session you've done",
    "strength you've built",
)


def _users() -> list[NudgeContext]:
    users: list[NudgeContext] = []
    for area, phase, trigger, (count, adherence, pain) in itertools.product(
        AREAS, PHASES, TRIGGERS, HISTORIES
    ):
        for reason in FLARE_REASONS.get(trigger, (None,)):
            users.append(
                NudgeContext(
                    first_name="Sam",
                    injury_label=load_exercise_templates().area(area).phrase,
                    rehab_day={"first_week": 4, "weeks_2_4": 15, "month_2_plus": 45}.get(phase, 70),
                    phase=phase,
                    trigger=trigger,
                    injury_area=area,
                    situation=situation_tags(
                        check_ins=count,
                        adherence=adherence,
                        recent_pain=pain or reason is not None,
                        flare_reason=reason,
                    ),
                )
            )
    return users


USERS = _users()
EVERYDAY = [
    u for u in USERS if u.trigger in ("scheduled", "missed_days", "pain_flare", "after_pt_session")
]


def _reachable(ctx: NudgeContext) -> list[RenderedNudge]:
    """Everything the policy would send this user, over a full cycle and more."""
    nudges = load_nudges()
    if ctx.trigger == "milestone":
        pools = [
            tuple(n for n in nudges if n.streak == s)
            for s in {n.streak for n in nudges if n.streak}
        ]
    else:
        pools = [nudges]
    found: list[RenderedNudge] = []
    for pool in pools:
        sent: list[str] = []
        for seed in range(len(pool) + 5):
            chosen = choose_nudge(pool, ctx, sent, random.Random(seed))
            if chosen is None:
                break
            sent.append(chosen.id)
            found.append(chosen)
    return found


def _label(ctx: NudgeContext) -> str:
    return f"{ctx.injury_area}/{ctx.phase}/{ctx.trigger}/{sorted(ctx.situation)}"


def test_the_grid_covers_every_situation_tag() -> None:
    seen = set().union(*(u.situation for u in USERS))
    assert seen == set(SITUATIONS)


@pytest.mark.parametrize("ctx", USERS, ids=_label)
def test_no_nudge_reaches_a_user_it_does_not_fit(ctx: NudgeContext) -> None:
    by_id = {n.id: n for n in load_nudges()}
    for sent in _reachable(ctx):
        nudge = by_id[sent.id]
        text = sent.text.lower()
        where = f"{sent.id} to {_label(ctx)}: {sent.text}"
        assert fits(nudge, ctx), where
        assert nudge.trigger == ctx.trigger and ctx.phase in nudge.phases, where
        assert "{" not in sent.text and "}" not in sent.text, where
        # Praise for effort only for someone who makes it.
        if any(phrase in text for phrase in PRAISE_OF_EFFORT):
            assert "exercising" in ctx.situation, where
        # "Why your hips when the problem is your hip?", knee cues for a foot: never.
        hips_for = re.search(r"working your hips when the problem is your (.+?)\?", text)
        if hips_for:
            assert "hip" not in hips_for.group(1), where
        # A knee-alignment cue ("how your knee tracks", "knee in line with your toes").
        if re.search(r"knee (tracks|in line)", text) and "knee" not in ctx.injury_label.lower():
            assert ctx.injury_area in ("it_band", "hip"), where
        # A morning-after message only after a "worse next morning".
        if "morning after your exercises" in text:
            assert "flare_morning" in ctx.situation, where
        if "running again" in text and ctx.trigger != "pain_flare":
            assert ctx.phase == "return_to_running", where


@pytest.mark.parametrize(
    "ctx",
    [
        u
        for u in USERS
        if u.trigger in ("scheduled", "missed_days", "pain_flare", "after_pt_session")
    ],
    ids=_label,
)
def test_every_user_still_has_nudges_for_everyday_triggers(ctx: NudgeContext) -> None:
    # The tags never leave a situation silent: a flare, a lapse or a PT day always has words.
    assert _reachable(ctx), _label(ctx)


def test_the_reported_misfits_are_gone() -> None:
    hip = [u for u in USERS if u.injury_area == "hip" and u.trigger == "scheduled"]
    assert not any("working your hips" in n.text for u in hip for n in _reachable(u)), (
        "hip user told to work the hips for the hip"
    )
    idle = [u for u in USERS if "has_checkins" not in u.situation]
    assert not any("how far you've come" in n.text for u in idle for n in _reachable(u))
    lazy = [u for u in USERS if "exercising" not in u.situation]
    assert not any("ahead of the curve" in n.text for u in lazy for n in _reachable(u))


def _doc(**extra: object) -> dict[str, object]:
    entry = {
        "id": "x",
        "theme": "patience",
        "phases": ["weeks_2_4"],
        "trigger": "scheduled",
        "text": "Hello {first_name}.",
        "source": "test",
        **extra,
    }
    return {"nudge": [entry]}


def _parse(doc: dict[str, object]) -> tuple[Nudge, ...]:
    return validate(doc, Path("nudges.toml"), NudgeFile, {"area_ids": AREAS}).nudge


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"areas": ["elbow"]}, "areas"),
        ({"not_areas": "hip"}, "not_areas"),
        ({"areas": ["hip"], "not_areas": ["hip"]}, "not_areas"),
        ({"requires": ["happy"]}, "requires"),
        ({"requires": ["recent_pain", "no_recent_pain"]}, "requires"),
        ({"requires": ["flare_morning"]}, "requires"),  # only for pain_flare
    ],
)
def test_the_parser_names_a_bad_tag(extra: dict[str, object], field: str) -> None:
    with pytest.raises(ContentError) as error:
        _parse(_doc(**extra))
    assert error.value.field == field


def test_tags_parse_into_the_nudge() -> None:
    (nudge,) = _parse(_doc(areas=["knee"], not_areas=["hip"], requires=["exercising"]))
    assert (nudge.areas, nudge.not_areas, nudge.requires) == (("knee",), ("hip",), ("exercising",))
