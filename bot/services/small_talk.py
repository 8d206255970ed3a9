"""Small talk: what "thanks", "hi", "ok" or a 👍 are, wherever they are typed.

One rule for the FAQ's decision path (a short reply, not recorded as a question) and for
every step that waits for an answer (``step_small_talk``: onboarding, /settings, a plan
change, a note), so "thanks" is never read as a bad value or saved as one. It imports
nothing but words, so any use case may use it.
"""

from __future__ import annotations

import re

from bot.domain.onboarding import is_question
from bot.domain.wording import say
from bot.services.outcome import Reply

NOTE_MIN_WORDS = 3
"""Words a typed message needs to read as a note: "ok", "fine" or "good thanks" is none."""

# Small talk: short messages made only of these phrases (and the filler words below) get a
# short reply and are not recorded as questions. The first kind found, in this order, wins,
# so "ok thanks bye" is thanked.
SMALL_TALK_PHRASES: dict[str, tuple[str, ...]] = {
    "thanks": (
        "thanks",
        "thank you",
        "thank u",
        "thankyou",
        "thx",
        "thnx",
        "ty",
        "tysm",
        "cheers",
        "ta",
        "many thanks",
        "much appreciated",
        "appreciate it",
        "appreciated",
    ),
    "goodbye": (
        "bye",
        "goodbye",
        "bye bye",
        "see you",
        "see ya",
        "cya",
        "good night",
        "goodnight",
        "night",
        "later",
        "talk later",
        "speak soon",
        "talk soon",
        "have a good day",
        "have a nice day",
    ),
    "compliment": (
        "youre great",
        "you are great",
        "youre awesome",
        "you are awesome",
        "youre the best",
        "you are the best",
        "youre amazing",
        "you are amazing",
        "youre brilliant",
        "you rock",
        "good bot",
        "great bot",
        "nice bot",
        "love this bot",
        "love you",
        "love it",
        "love this",
        "this is great",
        "thats great",
        "this is helpful",
        "thats helpful",
        "very helpful",
        "so helpful",
        "really helpful",
        "super helpful",
        "helpful",
        "that helped",
        "that helps",
        "well done",
        "good job",
    ),
    "greeting": (
        "hi",
        "hello",
        "hey",
        "heya",
        "hiya",
        "yo",
        "howdy",
        "hola",
        "good morning",
        "good afternoon",
        "good evening",
        "morning",
        "evening",
        "hi there",
        "hey there",
        "hello there",
    ),
    "ack": (
        "ok",
        "okay",
        "okey",
        "k",
        "kk",
        "okie",
        "cool",
        "got it",
        "gotcha",
        "understood",
        "alright",
        "all right",
        "fine",
        "sure",
        "noted",
        "great",
        "nice",
        "perfect",
        "sounds good",
        "will do",
        "yes",
        "yep",
        "yeah",
        "yup",
        "no worries",
        "no problem",
        "lol",
        "haha",
        "makes sense",
        "fair enough",
        "good",
        "brilliant",
        "awesome",
        "amazing",
        "wow",
        "i see",
        "right",
    ),
}
SMALL_TALK_FILLER = frozenset(
    {
        "so",
        "much",
        "very",
        "a",
        "lot",
        "again",
        "coach",
        "bot",
        "pt",
        "mate",
        "buddy",
        "oh",
        "ah",
        "and",
        "then",
        "for",
        "that",
        "this",
        "it",
        "all",
        "you",
        "too",
    }
)
SMALL_TALK_EMOJI = {
    "👍": "ack",
    "👌": "ack",
    "🙏": "thanks",
    "❤️": "compliment",
    "❤": "compliment",
    "😊": "ack",
    "🙂": "ack",
    "👋": "greeting",
}
SMALL_TALK_MAX = 60
_SMALL_TALK_WORDS = {
    kind: {tuple(phrase.split()) for phrase in phrases}
    for kind, phrases in SMALL_TALK_PHRASES.items()
}
_SMALL_TALK_LONGEST = max(len(p) for ps in _SMALL_TALK_WORDS.values() for p in ps)


SOCIAL_KINDS = frozenset({"thanks", "greeting", "goodbye", "compliment"})
"""Small talk that never answers a question the bot asked (an "ok" or a "yes" may)."""


def social_kind(text: str) -> str | None:
    """``text``'s kind of small talk when it is purely social (thanks, hello, bye, praise)."""
    kind = small_talk_kind(text)
    return kind if kind in SOCIAL_KINDS else None


def step_small_talk(
    text: str | None, *, unread: bool = False, buttons: bool = True
) -> tuple[Reply, ...] | None:
    """Small talk typed where a step waits for an answer (onboarding, /settings, a plan
    change, a note, a pain score): a friendly word back for thanks and praise, and for a
    hello or an "ok" a short word on what the step needs (never the same question again
    without a reason), after which the step asks again without an error. None: not small
    talk, the step reads ``text`` as its answer. ``unread``: the step could not read
    ``text``, so an "ok" or "yes" (which may answer a question) counts as small talk too.
    ``buttons``: the step's question has choices to tap (else it is answered by typing)."""
    kind = small_talk_kind(text) if text is not None else None
    if kind is None or (kind not in SOCIAL_KINDS and not unread):
        return None
    if kind in ("thanks", "compliment"):
        return (Reply(say(f"faq.small_talk.{kind}")),)
    return (
        Reply(say("faq.small_talk.at_a_step" if buttons else "faq.small_talk.at_a_typed_step")),
    )


def reads_as_note(text: str) -> bool:
    """Free text typed where the bot asked for something else that reads as a note of the day
    or the session ("did them at the gym, calves tight afterwards", "she added side planks"):
    at least ``NOTE_MIN_WORDS`` words, not a question (that goes to the FAQ) and not small
    talk (that gets its short reply). The one rule for the after-PT prompt and the pain
    question."""
    return (
        len(text.split()) >= NOTE_MIN_WORDS
        and not is_question(text)
        and step_small_talk(text, buttons=False) is None
    )


def small_talk_kind(text: str) -> str | None:
    """The kind of small talk ``text`` is, or None if it says anything more."""
    if len(text) > SMALL_TALK_MAX:
        return None
    found: list[str] = []
    lowered = text.lower()
    for emoji, kind in SMALL_TALK_EMOJI.items():
        if emoji in lowered:
            found.append(kind)
            lowered = lowered.replace(emoji, " ")
    lowered = lowered.replace("\u2019", "").replace("'", "")
    if re.search(r"[^a-z\s!.,?~-]", lowered):
        return None
    words = re.findall(r"[a-z]+", lowered)
    i = 0
    while i < len(words):
        for size in range(min(_SMALL_TALK_LONGEST, len(words) - i), 0, -1):
            chunk = tuple(words[i : i + size])
            hit = next((k for k, ps in _SMALL_TALK_WORDS.items() if chunk in ps), None)
            if hit is not None:
                found.append(hit)
                i += size
                break
        else:
            if words[i] not in SMALL_TALK_FILLER:
                return None
            i += 1
    return next((k for k in SMALL_TALK_PHRASES if k in found), None)
