"""What /help says, and the command list Telegram shows in its menu: one home for both, used
by /help, by the "Help" button after /start and by the composition root."""

from __future__ import annotations

from bot.domain.content.schema import HELP_COMMANDS
from bot.domain.wording import t


def commands() -> list[tuple[str, str]]:
    """The command menu in its order, each described by ``[commands]`` in onboarding.toml."""
    return [(name, t(f"commands.{name}")) for name in HELP_COMMANDS]


def help_text() -> str:
    """/help: the wording of ``[help]`` in onboarding.toml, then the commands."""
    lines = "\n".join(f"/{name} – {text}" for name, text in commands())
    return f"{t('help.intro')}\n\n{t('help.commands')}\n{lines}"
