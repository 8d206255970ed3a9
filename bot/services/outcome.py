"""What a use case hands back to its adapter: words and buttons, never Telegram objects.

A handler renders a ``Reply`` (sends it, or edits the message the button was on) and the
dispatcher renders an ``Outgoing``; neither decides what to say.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

ButtonRows = tuple[tuple[tuple[str, str], ...], ...]
"""Rows of (label, callback data) pairs."""


def rows(*lines: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> ButtonRows:
    return tuple(tuple(line) for line in lines if line)


@dataclass(frozen=True)
class Document:
    """A file to send (e.g. the /export copy); the reply's ``text`` is its caption."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """One message to the user. ``edit`` asks to replace the message a button was on
    (falling back to a new message); safety advice is never sent with ``edit``."""

    text: str
    buttons: ButtonRows = ()
    edit: bool = False
    request_location: str | None = None
    """A reply keyboard with one "share my location" button of this label (no inline ones)."""
    remove_keyboard: bool = False
    """Take away a reply keyboard shown before (e.g. the location request)."""
    document: Document | None = None
    """Send this file with ``text`` as its caption, instead of a text message."""
    buttons_only: bool = False
    """Replace only the buttons of the pressed message (``text`` is ignored): its words stay
    readable in the chat, e.g. the pain advice above a "Skip" that was tapped."""
    earlier: int | None = None
    """Edit this earlier message of the chat (its Telegram message id) instead of sending:
    ``text`` and ``buttons`` replace it (no buttons: its keyboard closes), or with
    ``buttons_only`` only its buttons. Used to tidy a question a typed answer answered (the
    pain question above a typed score); it is cosmetic, so a failed edit is dropped and what
    the use case saved stays saved. Never aimed at safety advice."""


@dataclass(frozen=True)
class Attachment:
    """A file sent after the replies (a chart, a report). ``render`` makes its bytes and is
    awaited only after the use case's transaction has closed (drawing takes a while)."""

    kind: Literal["photo", "document"]
    filename: str
    render: Callable[[], Awaitable[bytes]]
    caption: str = ""
    buttons: ButtonRows = ()


@dataclass(frozen=True)
class Outcome:
    """The replies a use case produced, in order, and a short toast for a button press."""

    replies: tuple[Reply, ...] = ()
    toast: str | None = None
    changed: bool = True
    alert: bool = False
    """Show ``toast`` as an alert the user must dismiss, not a passing notice."""
    attachment: Attachment | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def say(cls, text: str, buttons: ButtonRows = (), *, edit: bool = False) -> Outcome:
        return cls((Reply(text, buttons, edit),))

    @classmethod
    def nothing(cls, toast: str | None = None, *, alert: bool = False) -> Outcome:
        return cls((), toast=toast, changed=False, alert=alert)

    def then(self, other: Outcome) -> Outcome:
        return Outcome(
            self.replies + other.replies,
            toast=self.toast or other.toast,
            changed=self.changed or other.changed,
            alert=self.alert or other.alert,
        )
