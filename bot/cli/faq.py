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

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.session import positive_int, run_with_session
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
    from bot.faq_embeddings import load_embedder

    if args.question is not None and not args.question.strip():
        # An empty argument is a mistake (an unset shell variable), not "read stdin".
        print(
            'error: the question is empty; give one, like: faq ask "can I cycle?"', file=sys.stderr
        )
        return 2
    from_stdin = args.question is None
    if from_stdin and sys.stdin.isatty():
        print("Reading questions from stdin, one per line; Ctrl-D to end.", file=sys.stderr)
    index = FaqIndex(load_entries(), embedder=load_embedder())
    lines = (line.strip() for line in sys.stdin) if from_stdin else iter([args.question])
    answered = 0
    for question in lines:
        if not question:
            continue
        answered += 1
        record = answer_record(question, index)
        if args.json or from_stdin:
            print(json.dumps(record, ensure_ascii=False), flush=from_stdin)
        else:
            print(
                f"[{record['id'] or '-'}] confidence {record['confidence']:.2f}"
                f"{' SAFETY' if record['safety'] else ''}\n{record['answer']}"
            )
    if not answered:
        print("error: no questions on stdin (one per line)", file=sys.stderr)
        return 2
    return 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    from bot.services.faq import not_helped, unanswered

    async def both(
        session: AsyncSession,
    ) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]]:
        return await unanswered(session, args.limit), await not_helped(session, args.limit)

    rows, misses = run_with_session(both, reading="the FAQ questions")
    if not rows and not misses:
        print("No unanswered questions yet.")
    for text, count in rows:
        print(f"{count:5d}  {text}")
    if misses:
        print('\nAnswered, but users tapped "that didn\'t help" (times, entry, question):')
        for text, entry_id, count in misses:
            print(f"{count:5d}  [{entry_id}]  {text}")
    return 0


def cmd_served(args: argparse.Namespace) -> int:
    """Every entry with how often it was served and rated, most served first; never-served
    entries are listed too (with 0), so authors see what is not used."""
    from bot.domain.faq import load_entries
    from bot.services.faq import EntryUse, entry_use

    use = run_with_session(entry_use, reading="the FAQ counts")
    ids = [e.id for e in load_entries()]
    ids += sorted(set(use) - set(ids))  # entries removed since they were served
    table = [use.get(i, EntryUse(i, 0, 0, 0)) for i in ids]
    table.sort(key=lambda u: (-u.served, u.entry_id))
    if args.json:
        for u in table:
            print(
                json.dumps(
                    {
                        "id": u.entry_id,
                        "served": u.served,
                        "helpful": u.helpful,
                        "didnt_help": u.not_helpful,
                    }
                )
            )
        return 0
    print(f"{'served':>6}  {'helpful':>7}  {'didnt_help':>10}  entry")
    for u in table:
        print(f"{u.served:6d}  {u.helpful:7d}  {u.not_helpful:10d}  {u.entry_id}")
    return 0


def register(sub: Any) -> None:
    faq = sub.add_parser(
        "faq", help="check the knowledge base: ask questions, list unanswered ones, serve counts"
    )
    faq_sub = faq.add_subparsers(dest="faq_command", metavar="FAQ_COMMAND", required=True)
    ask = faq_sub.add_parser("ask", help="answer one question, or one per line from stdin")
    ask.add_argument("question", nargs="?", help="the question; omit to read lines from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.set_defaults(func=cmd_ask)
    unanswered = faq_sub.add_parser(
        "unanswered", help="what users asked that the bot could not answer"
    )
    unanswered.add_argument("--limit", type=positive_int, default=50)
    unanswered.set_defaults(func=cmd_unanswered)
    served = faq_sub.add_parser(
        "served", help="how often each entry was served, and rated helpful or not"
    )
    served.add_argument("--json", action="store_true", help="one JSON object per entry")
    served.set_defaults(func=cmd_served)
