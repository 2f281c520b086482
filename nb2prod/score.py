"""The readiness score: 0-100, with a breakdown per rule family.

Each family owns a share of the 100 points (its weight, see ``FAMILIES``). A family
loses points for the distinct rules that fire in it: 10 for an error, 4 for a warning,
1 for info; each further finding of the same rule adds a quarter of that, up to double.
A family at 20 lost points or more scores 0. So one error halves a family, two errors
empty it, one warning costs a fifth. The total is the sum of the family scores, rounded.
The same function serves the CLI, CI, the JupyterLab panel and the widget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from nb2prod.diagnostics import FAMILIES, Finding, Severity, family_of

__all__ = ["FamilyScore", "Score", "score", "POINTS", "FAMILY_BUDGET"]

POINTS = {Severity.ERROR: 10.0, Severity.WARNING: 4.0, Severity.INFO: 1.0}
FAMILY_BUDGET = 20.0


@dataclass(frozen=True)
class FamilyScore:
    key: str
    title: str
    weight: int
    score: float
    findings: int

    @property
    def ratio(self) -> float:
        return self.score / self.weight if self.weight else 1.0


@dataclass(frozen=True)
class Score:
    total: int
    families: tuple[FamilyScore, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "families": [{"key": f.key, "title": f.title, "weight": f.weight, "score": f.score,
                          "findings": f.findings} for f in self.families],
        }


def score(findings: Iterable[Finding]) -> Score:
    per_rule: Counter[tuple[str, Severity]] = Counter()
    for f in findings:
        per_rule[(f.code, f.severity)] += 1
    lost: dict[str, float] = {fam.prefix: 0.0 for fam in FAMILIES}
    counts: Counter[str] = Counter()
    for (code, severity), n in per_rule.items():
        fam = family_of(code)
        base = POINTS[severity]
        lost[fam.prefix] += min(base * (1 + 0.25 * (n - 1)), 2 * base)
        counts[fam.prefix] += n
    families = tuple(
        FamilyScore(
            key=fam.key,
            title=fam.title,
            weight=fam.weight,
            score=round(fam.weight * max(0.0, 1 - lost[fam.prefix] / FAMILY_BUDGET), 1),
            findings=counts[fam.prefix],
        )
        for fam in FAMILIES
    )
    return Score(total=int(round(sum(f.score for f in families))), families=families)
