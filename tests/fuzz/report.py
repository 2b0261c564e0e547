"""The campaign report: counts per class, and for every class that is neither ok nor a clean error
the cases (id, seed model, mutations, first stderr line), as JSON and as a human summary in which
cases with the same message are grouped (numbers and quoted names do not split a group)."""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from fuzz.classify import CLASSES, FAILING, INFORMATIONAL

EXAMPLES = 5


def summarize(records: list[dict], settings: dict) -> dict:
    counts = Counter(r["class"] for r in records)
    listed = {cls: [_entry(r) for r in records if r["class"] == cls] for cls in FAILING + INFORMATIONAL}
    by_mutator: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        for name in {m for m, _ in r["mutations"]} or {"(unmutated)"}:
            by_mutator[name][r["class"]] += 1
    compile_counts = Counter(r["compile"] for r in records)
    return {**settings, "counts": {cls: counts.get(cls, 0) for cls in CLASSES},
            "compile_counts": dict(compile_counts.most_common()),
            "failed": any(counts.get(cls) for cls in FAILING),
            "cases": {cls: entries for cls, entries in listed.items() if entries},
            "by_mutator": {name: dict(c) for name, c in sorted(by_mutator.items())},
            "outcomes": {r["id"]: r["class"] for r in records}}


def _entry(record: dict) -> dict:
    return {key: record.get(key, "") for key in ("id", "seed", "mutations", "stage", "detail", "first_stderr_line",
                                                 "also")}


def signature(detail: str) -> str:
    """A message with its numbers and quoted names blanked, so that cases of one defect group."""
    detail = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", detail)
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", detail)[:160]


def human(summary: dict) -> str:
    lines = [f"bnncc fuzz campaign: seed {summary['seed']}, {summary['total']} cases, target {summary['target']}, "
             f"{summary['seconds']:.0f}s ({summary['seconds_per_case']:.2f}s per case, {summary['jobs']} jobs)", ""]
    for cls in CLASSES:
        lines.append(f"  {cls:<18} {summary['counts'][cls]:>6}")
    lines.append("  the compile step alone: " + ", ".join(f"{n} {c}" for c, n in summary["compile_counts"].items()))
    for cls, entries in summary["cases"].items():
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for entry in entries:
            groups[(entry["stage"], signature(entry["detail"]))].append(entry)
        kind = "FAILING" if cls in FAILING else "informational"
        lines += ["", f"== {cls} ({len(entries)} cases, {len(groups)} distinct messages; {kind})"]
        for (stage, _), group in sorted(groups.items(), key=lambda item: -len(item[1])):
            first = group[0]
            lines.append(f"  [{len(group)}x]{' at ' + stage if stage else ''}: {first['detail'][:200]}")
            for entry in group[:EXAMPLES]:
                mutations = "; ".join(f"{m}: {t}" for m, t in entry["mutations"]) or "(unmutated)"
                lines.append(f"      {entry['id']:<14} {entry['seed']:<40} {mutations[:160]}")
            if len(group) > EXAMPLES:
                lines.append(f"      ... and {len(group) - EXAMPLES} more")
    lines += ["", "FAILED: " + ", ".join(f"{summary['counts'][c]} {c}" for c in FAILING if summary['counts'][c])
              if summary["failed"] else "PASSED: no case in a failing class (" + ", ".join(FAILING) + ")"]
    return "\n".join(lines)
