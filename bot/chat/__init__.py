"""`python -m bot chat`: try PT Coach in a terminal, without Telegram or a token.

It is the real bot: the same Application, handlers, scheduler and database code, with an
in-process stand-in for Telegram that prints what the bot sends (``terminal``), and a clock
that can jump forward so a check-in due tonight or a nudge due next week can be seen in a
minute (``session``, whose docstring lists the keys). It keeps its own SQLite file
(data/chat.db, ``command``), so trying it never touches the real bot's data.
"""

from bot.chat.command import CHAT_DB, chat_settings, cmd_chat, register
from bot.chat.session import HELP, ChatClock, ChatSession, run_chat
from bot.chat.terminal import ApiRefusal, ChatMessage, TerminalTelegram

__all__ = [
    "CHAT_DB",
    "HELP",
    "ApiRefusal",
    "ChatClock",
    "ChatMessage",
    "ChatSession",
    "TerminalTelegram",
    "chat_settings",
    "cmd_chat",
    "register",
    "run_chat",
]
