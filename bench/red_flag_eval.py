"""Red-flag triage on messages in runners' own words (issue 14.5).

Runs ``triage()`` on every message of tests/data/red_flag_eval.toml and prints, for the
dev and blind splits separately:

* recall: share of messages labelled with a flag on which triage raised any flag;
* right flag: share of those where the labelled flag is the one shown or among ``also``;
* false alarms: share of messages labelled "none" on which triage raised a flag.

Dev misses and dev false alarms are listed so rules can be tuned on them. Blind messages
are only counted, never listed: they are there to show how far dev gains generalise.
The last line is one JSON object with every figure.

    python bench/red_flag_eval.py [--evalset PATH] [--blind]

Without ``--blind`` only the dev split is evaluated, so tuning never sees a blind
figure by accident; ``--blind`` adds the blind split (record each such run in
bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.triage import TriageResult, triage  # noqa: E402

EVALSET = ROOT / "tests" / "data" / "red_flag_eval.toml"
NONE = "none"
SPLITS = ("dev", "blind")


@dataclass(frozen=True)
class Case:
    text: str
    flag: str
    split: str
    source: str


def load_cases(path: Path = EVALSET) -> list[Case]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return [
        Case(text=m["text"], flag=m["flag"], split=m["split"], source=m["source"])
        for m in data["message"]
    ]


def fired(result: TriageResult) -> tuple[str, ...]:
    return (result.flag, *result.also) if result.flag else ()


def evaluate(
    cases: list[Case], splits: tuple[str, ...] = SPLITS
) -> dict[str, dict[str, float | int]]:
    figures: dict[str, dict[str, float | int]] = {}
    for split in splits:
        part = [c for c in cases if c.split == split]
        pos = [c for c in part if c.flag != NONE]
        neg = [c for c in part if c.flag == NONE]
        results = {c.text: fired(triage(c.text)) for c in part}
        caught = [c for c in pos if results[c.text]]
        right = [c for c in pos if c.flag in results[c.text]]
        alarms = [c for c in neg if results[c.text]]
        figures[split] = {
            "positives": len(pos),
            "negatives": len(neg),
            "recall": round(len(caught) / len(pos), 4) if pos else 0.0,
            "right_flag": round(len(right) / len(pos), 4) if pos else 0.0,
            "false_alarm_rate": round(len(alarms) / len(neg), 4) if neg else 0.0,
            "missed": len(pos) - len(caught),
            "false_alarms": len(alarms),
        }
        if split == "dev":
            for c in pos:
                if not results[c.text]:
                    print(f"DEV MISS     [{c.flag}] {c.text}")
                elif c.flag not in results[c.text]:
                    print(f"DEV WRONG    [{c.flag} -> {','.join(results[c.text])}] {c.text}")
            for c in alarms:
                print(f"DEV FALSE    [{','.join(results[c.text])}] {c.text}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evalset", type=Path, default=EVALSET)
    parser.add_argument(
        "--blind", action="store_true", help="also measure the blind split (count each run)"
    )
    args = parser.parse_args(argv)
    splits = SPLITS if args.blind else ("dev",)
    figures = evaluate(load_cases(args.evalset), splits)
    for split, f in figures.items():
        print(
            f"{split:5}  recall {f['recall']:.1%} ({f['positives']} flags, {f['missed']} missed)"
            f"  right flag {f['right_flag']:.1%}"
            f"  false alarms {f['false_alarm_rate']:.1%}"
            f" ({f['false_alarms']} of {f['negatives']})"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
