"""`python -m bot faq ...`: the knowledge base from the shell, for content authors.

`ask` runs exactly what the bot does with a message (safety triage first, then retrieval), so
an author can check a list of real questions in one run before publishing an edit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

# What the bot says when it does not know; shared with the Telegram handler.
UNKNOWN = (
    "I'm not sure about that one, and I'd rather not guess. Your physical therapist is the best "
    "person to ask. You can also browse what I do know with /faq."
)


def answer_record(question: str, index: Any) -> dict[str, Any]:
    from bot.domain.triage import triage

    flagged = triage(question)
    if flagged.is_red_flag:
        return {"id": None, "confidence": 1.0, "safety": True, "answer": flagged.message}
    result = index.answer(question)
    if result.decision == "answer" and result.best is not None:
        return {
            "id": result.best.id,
            "confidence": round(result.confidence, 4),
            "safety": False,
            "answer": result.best.answer,
        }
    if result.decision == "suggest":
        titles = "; ".join(e.title for e in result.suggestions)
        return {
            "id": None,
            "confidence": round(result.confidence, 4),
            "safety": False,
            "answer": f"Did you mean: {titles}?",
            "suggestions": [e.id for e in result.suggestions],
        }
    return {
        "id": None,
        "confidence": round(result.confidence, 4),
        "safety": False,
        "answer": UNKNOWN,
    }


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.domain.faq import FaqIndex, load_entries

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
    from sqlalchemy import func, select

    from bot.cli import _settings
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.models import FaqQuestion

    settings = _settings()

    async def _go() -> list[tuple[str, int]]:
        engine = create_engine(settings.database.url)
        try:
            async with create_session_factory(engine)() as session:
                normalised = func.lower(func.trim(FaqQuestion.text))
                rows = await session.execute(
                    select(normalised, func.count())
                    .where(FaqQuestion.decision.in_(("unknown", "suggest")))
                    .group_by(normalised)
                    .order_by(func.count().desc(), normalised)
                    .limit(args.limit)
                )
                return [(text, count) for text, count in rows]
        finally:
            await engine.dispose()

    rows = asyncio.run(_go())
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
