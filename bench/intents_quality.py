"""Per-intent recognition on the labelled dev sets: intents-dev.jsonl and questions-dev.jsonl
(every catalog question, answerable or not, counts as ask_item).

    .venv/bin/python bench/intents_quality.py [--errors]
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.nlu import classify  # noqa: E402

KB = ROOT.parent / "shared" / "kb"


def labelled() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for line in (KB / "intents-dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append((r["q"], r["intent"], r.get("style", "")))
    for line in (KB / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append((r["q"], "ask_item", r.get("style", "")))
    return rows


def main(argv: list[str]) -> int:
    rows = labelled()
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    errors: dict[str, list[str]] = defaultdict(list)
    for q, expect, style in rows:
        got = classify(q)
        total[expect] += 1
        if got == expect:
            right[expect] += 1
        else:
            errors[expect].append(f"  {style:11} {q}  →  {got}")
    print(f"{'intent':12} {'n':>4} {'correct':>7} {'accuracy':>8}")
    for intent in sorted(total, key=lambda k: -total[k]):
        print(f"{intent:12} {total[intent]:4d} {right[intent]:7d} {right[intent] / total[intent]:8.1%}")
    print(f"{'all':12} {sum(total.values()):4d} {sum(right.values()):7d} "
          f"{sum(right.values()) / sum(total.values()):8.1%}")
    if "--errors" in argv:
        for intent, lines in errors.items():
            print(f"\n{intent}:")
            print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
