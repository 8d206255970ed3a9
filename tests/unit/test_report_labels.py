"""The PT report names every warning sign in plain words (issue 14.8): an editor who adds a
red flag or the pain model a new escalation must also say how the report calls it."""

from __future__ import annotations

from bot.domain.pain import EscalationReason, pain_flag
from bot.domain.triage import default_triager
from bot.services.reports import flag_label


def test_every_red_flag_has_a_plain_report_label() -> None:
    for flag_id in default_triager().flag_ids:
        label = flag_label(flag_id)
        derived = flag_id.replace("-", " ").capitalize()
        assert label != derived, f"{flag_id} has no [report_labels] line in safety.toml"
        assert label[0].isupper() and not label.endswith(".")


def test_every_pain_escalation_has_a_plain_report_label() -> None:
    for reason in EscalationReason:
        label = flag_label(pain_flag(reason))
        assert label != pain_flag(reason).replace("-", " ").replace("_", " ").capitalize()


def test_named_and_unnamed_flags_read_as_words() -> None:
    assert flag_label("rest-night-pain") == "Pain at rest and at night"
    assert flag_label("pain-ceiling_twice") == "Pain above 5/10 in two sessions in a row"
    # A flag added to red_flags.toml before anyone named it is still readable.
    assert flag_label("new-sign_here") == "New sign here"
