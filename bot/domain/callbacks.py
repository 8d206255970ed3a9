"""Every button's callback data, encoded and decoded in one place.

Telegram gives a button at most 64 bytes of data and hands it back verbatim when pressed,
so the data is a compact ``family:part:part`` string. Each family is a ``ButtonFamily``
member; handlers register for a family with ``pattern(family)``, build data with
``encode`` and read it back with ``decode``. Parts never carry identity: who pressed is
always the Telegram user of the press (see ``bot.services.users``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_BYTES = 64
SEPARATOR = ":"


class ButtonFamily(StrEnum):
    CHECKIN = "ci"  # ci:<yyyymmdd>:<action>[:<arg>]
    MORNING = "mo"  # mo:<yyyymmdd>:better|same|worse
    ONBOARDING = "ob"
    SETTINGS = "st"
    EXERCISES = "ex"
    DATA_RIGHTS = "dr"
    PT_SESSION = "pt"
    PROGRESS = "pg"
    REPORT = "rp"
    FAQ = "faq"
    FEEDBACK = "fb"
    RUN = "rr"  # rr:<action>[:<yyyymmdd>:...]: return to running (handlers/return_to_run.py)
    SAFETY = "sf"  # sf:<action>: the clinician follow-up and hold buttons
    PAUSE = "pa"  # pa:<days>|open|no: the choices under a bare /pause
    LEGACY_CLINICIAN = "rf"  # rf:ok, on safety messages sent before the "sf" family


class SafetyAction(StrEnum):
    SEEN = "seen"  # a clinician has seen me
    CLEARED = "clr"  # ... and cleared me to carry on
    NOT_CLEARED = "ncl"
    NOT_YET = "ny"
    NEED_HELP = "help"
    UNDO = "undo"  # take back a "seen" tapped by mistake
    PT_ADJUSTED = "pta"  # pain escalation: my PT adjusted the plan
    ADVICE = "adv"  # after a release: note what the clinician advised


class CallbackError(ValueError):
    """Data that no button of ours produces (old client, removed feature or forged)."""


@dataclass(frozen=True)
class Decoded:
    family: ButtonFamily
    parts: tuple[str, ...]

    def part(self, index: int) -> str | None:
        return self.parts[index] if index < len(self.parts) else None


def encode(family: ButtonFamily, *parts: object) -> str:
    texts = [str(p) for p in parts]
    if any(SEPARATOR in t for t in texts):
        raise ValueError(f"a callback part may not contain {SEPARATOR!r}: {texts}")
    data = SEPARATOR.join([family.value, *texts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Decoded:
    if not data:
        raise CallbackError("empty callback data")
    head, *parts = data.split(SEPARATOR)
    try:
        family = ButtonFamily(head)
    except ValueError:
        raise CallbackError(f"unknown button family {head!r}") from None
    return Decoded(family, tuple(parts))


def parts_of(data: str | None, family: ButtonFamily) -> tuple[str, ...]:
    """The parts after ``family`` in ``data``; none for data of another family or no family
    (a stale or forged button), so the caller answers it as expired."""
    try:
        decoded = decode(data)
    except CallbackError:
        return ()
    return decoded.parts if decoded.family is family else ()


@dataclass(frozen=True)
class Prefix:
    """The leading parts a row of buttons shares (``ob:area``, ``st:ct``): a keyboard built
    for both onboarding and /settings takes one, and ``data`` adds each button's own part."""

    family: ButtonFamily
    parts: tuple[str, ...] = ()

    def data(self, *more: object) -> str:
        return encode(self.family, *self.parts, *more)


def prefix(family: ButtonFamily, *parts: str) -> Prefix:
    return Prefix(family, parts)


def pattern(*families: ButtonFamily) -> str:
    """The regular expression a PTB ``CallbackQueryHandler`` uses to claim families."""
    names = "|".join(f.value for f in families)
    return rf"^(?:{names})(?::|$)"


def safety(action: SafetyAction) -> str:
    return encode(ButtonFamily.SAFETY, action.value)
