"""Every button's data is built by ``bot.domain.callbacks`` (issue 13.5: one registry).

A hand-written ``"ci:..."`` string elsewhere bypasses the 64-byte and separator checks of
``encode`` and is one more place to change when a family's layout changes; this test finds
string literals and f-strings in the code that start with a registered family and ``:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.domain.callbacks import ButtonFamily

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "scheduler")
REGISTRY = ROOT / "bot" / "domain" / "callbacks.py"
PREFIXES = tuple(f"{family.value}:" for family in ButtonFamily)


def _leading_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def hand_written_button_data(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        text = _leading_text(node)
        if text is not None and text.startswith(PREFIXES):
            found.append((getattr(node, "lineno", 0), text))
    # The leading constant of an f-string is reported twice (itself and its f-string): once.
    return sorted(set(found))


def test_no_button_data_is_written_by_hand_outside_the_registry() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == REGISTRY:
                continue
            for line, text in hand_written_button_data(path.read_text()):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert offenders == [], "use bot.domain.callbacks.encode:\n" + "\n".join(offenders)


def test_the_check_finds_plain_and_formatted_button_data() -> None:
    source = 'a = ("Done", "ci:20261207:done")\nb = f"st:m:{key}"\nc = "Pick a topic:"\n'
    assert [text for _, text in hand_written_button_data(source)] == ["ci:20261207:done", "st:m:"]


def hand_decoded_button_data(source: str) -> list[int]:
    """Lines that take apart ``<something>.data`` with ``split``/``partition``/``rsplit``."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"split", "partition", "rpartition", "rsplit"}
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "data"
    )


def test_no_button_data_is_taken_apart_outside_the_registry() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == REGISTRY:
                continue
            for line in hand_decoded_button_data(path.read_text()):
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "use bot.domain.callbacks.decode or parts_of:\n" + "\n".join(offenders)


def test_the_check_finds_hand_decoding() -> None:
    source = 'a = query.data.split(":")\nb = q.data.partition(":")[2]\nc = text.split(":")\n'
    assert hand_decoded_button_data(source) == [1, 2]
