"""`python -m bot faq ...`: the knowledge base from the shell, for content authors.

`ask` runs exactly the bot's decision path (``bot.services.faq.answer_question``: safety
triage first, small talk, then retrieval), so an author can check a list of real questions
in one run before publishing an edit.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.session import run_with_session
from bot.domain.faq import FaqIndex
from bot.services.faq import Decision, Kind, answer_question


def record_of(decision: Decision) -> dict[str, Any]:
    """One decision as the JSON record `faq ask --json` prints."""
    if decision.kind is Kind.SAFETY:
        return {"id": None, "confidence": 1.0, "safety": True, "answer": decision.text}
    record: dict[str, Any] = {
        "id": decision.entry.id if decision.entry is not None else None,
        "confidence": round(decision.confidence, 4),
        "safety": False,
        "answer": decision.entry.answer if decision.entry is not None else decision.text,
    }
    if decision.kind is Kind.SUGGEST:
        titles = "; ".join(e.title for e in decision.suggestions)
        record["answer"] = f"Did you mean: {titles}?"
        record["suggestions"] = [e.id for e in decision.suggestions]
    if decision.small_talk is not None:
        record["small_talk"] = decision.small_talk
    return record


def answer_record(question: str, index: FaqIndex) -> dict[str, Any]:
    return record_of(answer_question(index, question))


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.domain.faq import load_entries

    index = FaqIndex(load_entries())
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    for question in questions:
        if not question:
            continue
        record = answer_record(question, index)
        if args.json or not args.question:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(
                f"[{record['id'] or '-'}] confidence {record['confidence']:.2f}"
                f"{' SAFETY' if record['safety'] else ''}\n{record['answer']}"
            )
    return 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    from bot.services.faq import unanswered

    rows = run_with_session(lambda session: unanswered(session, args.limit))
    if not rows:
        print("No unanswered questions yet.")
    for text, count in rows:
        print(f"{count:5d}  {text}")
    return 0


def register(sub: Any) -> None:
    faq = sub.add_parser(
        "faq", help="check the knowledge base: ask questions, list unanswered ones"
    )
    faq_sub = faq.add_subparsers(dest="faq_command", metavar="FAQ_COMMAND", required=True)
    ask = faq_sub.add_parser("ask", help="answer one question, or one per line from stdin")
    ask.add_argument("question", nargs="?", help="the question; omit to read lines from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.set_defaults(func=cmd_ask)
    unanswered = faq_sub.add_parser(
        "unanswered", help="what users asked that the bot could not answer"
    )
    unanswered.add_argument("--limit", type=int, default=50)
    unanswered.set_defaults(func=cmd_unanswered)
