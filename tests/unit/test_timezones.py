"""A runner types where they live; the bot must land on the right clock or ask."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.parsing import InputError
from bot.domain.timezones import (
    describe_local_time,
    resolve_location,
    resolve_timezone,
)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("asia/kolkata", "Asia/Kolkata"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("america/new york", "America/New_York"),
        ("berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("NYC", "America/New_York"),
        ("new yrok", "America/New_York"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("münchen", "Europe/Berlin"),
        ("Munich", "Europe/Berlin"),
        ("bombay", "Asia/Kolkata"),
        ("mumbai", "Asia/Kolkata"),
        ("delhi", "Asia/Kolkata"),
        ("Kolkata", "Asia/Kolkata"),
        ("Boston", "America/New_York"),
        ("San Francisco", "America/Los_Angeles"),
        ("Sydney", "Australia/Sydney"),
        ("melborne", "Australia/Melbourne"),
        ("Toronto", "America/Toronto"),
        ("Seattle", "America/Los_Angeles"),
        ("Chicago", "America/Chicago"),
        ("Denver", "America/Denver"),
        ("Phoenix", "America/Phoenix"),
        ("Dubai", "Asia/Dubai"),
        ("Singapore", "Asia/Singapore"),
        ("Wien", "Europe/Vienna"),
        ("Portland, Oregon", "America/Los_Angeles"),
        ("Portland OR", "America/Los_Angeles"),
        ("portland maine", "America/New_York"),
        ("Birmingham UK", "Europe/London"),
        ("Birmingham, Alabama", "America/Chicago"),
        ("Germany", "Europe/Berlin"),  # Büsingen keeps Berlin's clock
        ("India", "Asia/Kolkata"),
    ],
)
def test_confident_matches(text: str, zone: str) -> None:
    result = resolve_timezone(text)
    assert result.confident, result
    assert result.best.zone == zone
    assert 0 < result.best.score <= 100


def test_city_match_label_names_the_country_for_confirmation() -> None:
    assert resolve_timezone("munich").best.label == "Munich, Germany"
    assert "India" in resolve_timezone("bombay").best.label


@pytest.mark.parametrize(
    ("text", "zones"),
    [
        ("Portland", {"America/Los_Angeles", "America/New_York"}),
        # Newcastle in KwaZulu-Natal (400,000 people) too, besides England's and Australia's.
        ("Newcastle", {"Europe/London", "Australia/Sydney", "Africa/Johannesburg"}),
        ("Birmingham", {"Europe/London", "America/Chicago"}),
        # The dataset knows Barcelona in Venezuela (800,000), Manchester in New Hampshire
        # (115,000) and Saint-Louis in Senegal (250,000) and Réunion: asking is right.
        ("Barcelona", {"Europe/Madrid", "America/Caracas"}),
        ("Manchester", {"Europe/London", "America/New_York"}),
        ("  st louis ", {"America/Chicago", "Africa/Dakar", "Indian/Reunion"}),
    ],
)
def test_ambiguous_city_offers_choices(text: str, zones: set[str]) -> None:
    result = resolve_timezone(text)
    assert not result.confident
    assert {m.zone for m in result.matches} == zones
    assert result.note and "more than one" in result.note


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Barcelona", "Europe/Madrid"),
        ("Manchester", "Europe/London"),
        ("st louis", "America/Chicago"),
        ("Birmingham", "Europe/London"),
        # Philadelphia was also Amman's name in antiquity: a city's own name comes first.
        ("Philadelphia", "America/New_York"),
    ],
)
def test_ambiguous_choices_put_the_bigger_place_first(text: str, zone: str) -> None:
    assert resolve_timezone(text).best.zone == zone


def test_a_hint_settles_an_ambiguous_name() -> None:
    assert resolve_timezone("Barcelona, Spain").best.zone == "Europe/Madrid"
    assert resolve_timezone("Barcelona, Spain").confident
    assert resolve_timezone("Manchester UK").confident
    assert resolve_timezone("St. Louis, Missouri").best.zone == "America/Chicago"
    assert resolve_timezone("Manchester, NH").best.zone == "America/New_York"
    assert resolve_timezone("London ON").best.zone == "America/Toronto"
    assert resolve_timezone("Newcastle, England").best.zone == "Europe/London"


def test_two_letter_nicknames_are_cities_and_country_names_are_countries() -> None:
    assert resolve_timezone("LA").best.zone == "America/Los_Angeles"
    assert resolve_timezone("KL").best.zone == "Asia/Kuala_Lumpur"
    mexico = resolve_timezone("Mexico")  # the country, not Mexico City or Mexico, Pampanga
    assert not mexico.confident and "more than one time zone" in (mexico.note or "")
    assert resolve_timezone("Deutschland").best.zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "must_include"),
    [
        ("IST", {"Asia/Kolkata", "Europe/Dublin"}),
        ("CST", {"America/Chicago", "Asia/Shanghai"}),
        ("est", {"America/New_York"}),
        ("PST", {"America/Los_Angeles"}),
    ],
)
def test_abbreviations_are_never_taken_on_trust(text: str, must_include: set[str]) -> None:
    result = resolve_timezone(text)
    assert not result.confident
    assert must_include <= {m.zone for m in result.matches}
    assert len(result.matches) <= 3
    assert result.note and "abbreviation" in result.note


@pytest.mark.parametrize(
    ("text", "zone", "offset_hours"),
    [
        ("UTC+2", "Etc/GMT-2", 2),
        ("GMT-5", "Etc/GMT+5", -5),
        ("utc + 10", "Etc/GMT-10", 10),
        ("UTC-03:00", "Etc/GMT+3", -3),
        ("UTC+14", "Etc/GMT-14", 14),
        ("UTC+0", "Etc/UTC", 0),
        ("UTC", "Etc/UTC", 0),
    ],
)
def test_utc_offsets_get_the_sign_right_and_suggest_a_city(
    text: str, zone: str, offset_hours: int
) -> None:
    result = resolve_timezone(text)
    assert result.best.zone == zone
    # The trap: Etc/GMT-2 is two hours *ahead* of UTC. Check the real clock.
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None and offset.total_seconds() == offset_hours * 3600
    assert result.note and "city" in result.note


def test_half_hour_offset_proposes_the_place_that_uses_it() -> None:
    result = resolve_timezone("UTC+5:30")
    assert result.best.zone == "Asia/Kolkata"
    assert not result.confident


@pytest.mark.parametrize("text", ["UTC+3:15", "GMT+15", "UTC-13"])
def test_impossible_offsets_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        resolve_timezone(text)


def test_country_with_several_clocks_asks() -> None:
    result = resolve_timezone("USA")
    assert not result.confident
    assert {"America/New_York", "America/Chicago", "America/Los_Angeles"} == {
        m.zone for m in result.matches
    }


def test_unknown_town_with_known_country_falls_back_to_country() -> None:
    result = resolve_timezone("Kleinkleckersdorf, Germany")
    assert result.best.zone == "Europe/Berlin"
    assert not result.confident
    assert result.note and "Kleinkleckersdorf" in result.note


def test_typo_close_to_two_places_asks_instead_of_guessing() -> None:
    result = resolve_timezone("berln")  # Berlin or Bern?
    assert not result.confident
    assert result.best.zone == "Europe/Berlin"
    assert "Europe/Zurich" in {m.zone for m in result.matches}


@pytest.mark.parametrize("text", ["xyzzy", "🙂", "", "   ", None, "a" * 5000, "qq"])
def test_unknown_places_get_a_friendly_error(text: object) -> None:
    with pytest.raises(InputError) as caught:
        resolve_timezone(text)
    assert "Berlin" in caught.value.message


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        # Towns of 15,000-100,000 people that no hand-written list had.
        ("Tübingen", "Europe/Berlin"),
        ("Ushuaia", "America/Argentina/Ushuaia"),
        ("Hilo", "Pacific/Honolulu"),
        ("Tromso", "Europe/Oslo"),
        ("Alice Springs", "Australia/Darwin"),
        ("Whitehorse", "America/Whitehorse"),
        # Other spellings and former names from the dataset.
        ("Muenchen", "Europe/Berlin"),
        ("Saigon", "Asia/Ho_Chi_Minh"),
        ("Peking", "Asia/Shanghai"),
        ("Leningrad", "Europe/Moscow"),
    ],
)
def test_towns_and_other_names_from_the_dataset(text: str, zone: str) -> None:
    result = resolve_timezone(text)
    assert result.confident, result
    assert result.best.zone == zone


def test_same_name_ten_times_bigger_wins_and_is_confirmed() -> None:
    """Paris, Texas and London, Ontario exist; people typing the name mean the big one."""
    assert resolve_timezone("Paris").best.zone == "Europe/Paris"
    assert resolve_timezone("Paris").confident
    assert resolve_timezone("London").best.zone == "Europe/London"
    assert resolve_timezone("London").confident
    ontario = resolve_timezone("London, Ontario")
    assert ontario.confident and ontario.best.zone == "America/Toronto"
    assert resolve_timezone("Paris, Texas").best.zone == "America/Chicago"


# --- locations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "zone"),
    [
        (52.52, 13.405, "Europe/Berlin"),
        (40.71, -74.0, "America/New_York"),
        (-33.87, 151.21, "Australia/Sydney"),
        (19.07, 72.88, "Asia/Kolkata"),
    ],
)
def test_shared_location_resolves_offline(lat: float, lon: float, zone: str) -> None:
    assert resolve_location(lat, lon) == zone


@pytest.mark.parametrize(
    ("lat", "lon"), [(91.0, 0.0), (0.0, 181.0), (float("nan"), 0.0), (0.0, float("inf"))]
)
def test_impossible_coordinates_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(InputError):
        resolve_location(lat, lon)


# --- confirmation line -------------------------------------------------------------------------


def test_describe_local_time_shows_local_clock_and_weekday() -> None:
    now = datetime(2027, 6, 4, 12, 5, tzinfo=UTC)  # a Friday
    assert describe_local_time("Europe/Berlin", now) == "Europe/Berlin, where it's 14:05 on Friday"
    assert describe_local_time("Pacific/Auckland", now) == (
        "Pacific/Auckland, where it's 00:05 on Saturday"
    )


def test_describe_local_time_refuses_naive() -> None:
    with pytest.raises(ValueError):
        describe_local_time("Europe/Berlin", datetime(2027, 6, 4, 12, 5))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_resolution_or_input_error(text: str) -> None:
    try:
        result = resolve_timezone(text)
    except InputError as error:
        assert error.message
    else:
        assert 1 <= len(result.matches) <= 3
        assert all(m.zone in available_timezones() for m in result.matches)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("I live in Berlin", "Europe/Berlin"),
        ("I'm in Sydney", "Australia/Sydney"),
        ("based in Tokyo", "Asia/Tokyo"),
        ("in London", "Europe/London"),
    ],
)
def test_a_place_led_up_to_by_a_sentence_is_found(text: str, zone: str) -> None:
    resolution = resolve_timezone(text)
    assert resolution.confident and resolution.best.zone == zone
