"""Every sentence the bot sends is in the text catalogue (bot/content), not in Python (issue
19.2): a handler, service or scheduler module that passes an English literal to a sending
call, or writes one as a button label, fails here with the file and line.

What is checked, precisely (the syntax tree, no guessing at runtime):

* the text of ``Outcome(...)``, ``Outcome.say/nothing``, ``Reply(...)``, ``reply``,
  ``answer_query``, ``send_message``, ``edit_message_text`` and ``toast=`` / ``text=``
  arguments, when it is a string literal, an f-string, a sum or ``a if c else b`` of them,
  or a module-level constant holding one;
* a button ``(label, callback data)``: a literal label with letters next to callback data
  (a call such as ``encode(...)``, or a string like ``"faq:topics"``);
* in handlers, a sentence literal a function returns (a toast handed back to the caller).

Not seen: a literal stored in a dict or a local variable before it is sent. A literal
counts when it holds two words (``[A-Za-z]{2,}`` twice); symbols and ids ("→ ", "ci:") do not.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("handlers", "bot/services", "scheduler")
SENTENCE = re.compile(r"[A-Za-z]{2,}\W+[A-Za-z]{2,}")
WORD = re.compile(r"[A-Za-z]{2,}")
CALLBACK = re.compile(r"^[a-z]+:")
SENDING_METHODS = frozenset({"say", "nothing", "send_message", "edit_message_text"})
SENDING_FUNCTIONS = frozenset({"Outcome", "Reply", "reply", "answer_query"})


def _literal(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    """The literal words of an expression built only from string literals, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = (_literal(node.left, constants), _literal(node.right, constants))
        return " ".join(p for p in parts if p) or None
    if isinstance(node, ast.IfExp):
        parts = (_literal(node.body, constants), _literal(node.orelse, constants))
        return " ".join(p for p in parts if p) or None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _is_sending(call: ast.Call) -> bool:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr in SENDING_METHODS
    return isinstance(call.func, ast.Name) and call.func.id in SENDING_FUNCTIONS


def _is_callback_data(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return True
    text = _literal(node, {})
    return text is not None and bool(CALLBACK.match(text))


def sentences_in(path: Path, shown: str, *, handler: bool) -> Iterator[str]:
    """``shown:line: 'text'`` for every sentence literal sent from the module at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            value = _literal(statement.value, {})
            if isinstance(target, ast.Name) and value is not None:
                constants[target.id] = value
    for node in ast.walk(tree):
        found: list[str] = []
        if isinstance(node, ast.Call) and _is_sending(node):
            texts = [*node.args, *(k.value for k in node.keywords if k.arg in ("text", "toast"))]
            found = [t for t in (_literal(a, constants) for a in texts) if t and SENTENCE.search(t)]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            label = _literal(node.elts[0], {})
            if label and WORD.search(label) and _is_callback_data(node.elts[1]):
                found = [label]
        elif isinstance(node, ast.Return) and handler:
            text = _literal(node.value, {})
            found = [text] if text and SENTENCE.search(text) else []
        for text in found:
            yield f"{shown}:{getattr(node, 'lineno', 0)}: {text[:70]!r}"


def test_no_handler_service_or_scheduler_module_writes_a_sentence_users_read() -> None:
    files = [f for folder in SCANNED for f in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 40  # the scan really walks the code
    found = [
        line
        for path in files
        for line in sentences_in(
            path, str(path.relative_to(ROOT)), handler=path.parent.name == "handlers"
        )
    ]
    assert found == [], "move these texts into bot/content (see docs/content.md):\n" + "\n".join(
        found
    )


def test_the_scan_finds_the_kinds_of_literal_it_promises(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "GREETING = 'Hello there, friend.'\n"
        "async def f(update, context, n):\n"
        "    await reply(update, context, f'You have {n} new messages')\n"
        "    Outcome.say(GREETING)\n"
        "    Outcome.nothing('That button has expired.' if n else 'Gone away.')\n"
        "    buttons = (('Show more', encode('x', 1)), ('→ ', encode('x', 2)))\n"
        "    Outcome((), toast='Thanks for that.')\n"
        "    Outcome.say(say('faq.unknown'))\n"
        "    return 'Nothing to see here.'\n",
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in sentences_in(sample, "sample", handler=True)]
    assert sorted(found) == sorted(
        [
            "'You have  new messages'",
            "'Hello there, friend.'",
            "'That button has expired. Gone away.'",
            "'Show more'",
            "'Thanks for that.'",
            "'Nothing to see here.'",
        ]
    )


# --- sentences written anywhere in the bot, not only where they are sent ---------------------

# Exceptions for developers and operators, not users; an ``InputError`` is shown to the user.
DEVELOPER_CALLS = frozenset(
    {"ValueError", "TypeError", "KeyError", "RuntimeError", "LookupError", "AssertionError"}
)
PATTERN_CALLS = frozenset({"compile", "fullmatch", "match", "search", "sub", "findall"})
LOGGERS = frozenset({"logger", "log", "_log", "LOG", "logging"})
USER_SENTENCE = re.compile(r"^[\"'(A-Z].*[A-Za-z]{2,}\W+[A-Za-z]{2,}.*[.?!]\)?$", re.DOTALL)
# bot/chat and bot/cli print for the operator; config, db and migrations never reach a user.
WHOLE_BOT = ("bot/domain", "bot/reports", "bot/services", "handlers", "scheduler")


def user_sentences_in(path: Path, shown: str) -> Iterator[str]:
    """``shown:line: 'text'`` for every literal that reads as a finished sentence for a user
    (a capital or quote first, three words or more, a full stop, question or exclamation mark
    last), wherever it is written: raised as an ``InputError``, kept as a resolution's note,
    drawn on a chart. Docstrings, log lines, patterns and developer exceptions are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # docstrings and bare strings
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            by_logger = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in LOGGERS
            )
            if name in DEVELOPER_CALLS or name in PATTERN_CALLS or by_logger:
                skip.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
            text = _literal(node, {}) or ""
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        words = WORD.findall(text)
        if len(words) >= 3 and USER_SENTENCE.match(text.strip()):
            yield f"{shown}:{getattr(node, 'lineno', 0)}: {text.strip()[:70]!r}"


def test_no_module_of_the_bot_writes_a_finished_sentence_users_read() -> None:
    files = [f for folder in WHOLE_BOT for f in sorted((ROOT / folder).rglob("*.py"))]
    found = [
        line for path in files for line in user_sentences_in(path, str(path.relative_to(ROOT)))
    ]
    assert found == [], "move these texts into bot/content (see docs/content.md):\n" + "\n".join(
        found
    )


def test_the_wider_scan_finds_a_sentence_raised_or_kept_for_later(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A module docstring. It is not a message."""\n'
        "NOTE = 'A fixed UTC offset never changes.'\n"
        "def f(raw, n):\n"
        "    '''A docstring, not a message.'''\n"
        "    logger.info('Resolved the zone for a user.')\n"
        "    re.fullmatch(r'(-?\\d+) out of (\\d+)?', raw)\n"
        "    if not raw:\n"
        "        raise ValueError('Developers read this one.')\n"
        "    if n:\n"
        "        raise InputError(f'I couldn\\'t find a place called \"{raw}\".')\n"
        "    ax.text(0, 0, f'The 7-day average appears after {n} pain scores.')\n"
        "    return Resolution((), False, f'There is more than one \"{raw}\". Which one?')\n",
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in user_sentences_in(sample, "sample")]
    assert sorted(found) == sorted(
        [
            "'A fixed UTC offset never changes.'",
            "'I couldn\\'t find a place called \"\".'",
            "'The 7-day average appears after  pain scores.'",
            "'There is more than one \"\". Which one?'",
        ]
    )
