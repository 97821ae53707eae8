"""Weighted totals, per-judge z-score normalisation and the ranking — pure functions, exact arithmetic.

Definitions (also written out on the results page and in docs/awards.md):

* **Weighted total** of one judge for one entry: Σ weight × score over the rubric's criteria
  (integers, so the total is an exact integer). Only final (submitted) score sheets count.
* **Raw mean** of an entry: the arithmetic mean of its judges' weighted totals.
* **Normalisation**: for each judge, the mean m and the population standard deviation s of all
  the weighted totals that judge gave in the stage; each total becomes z = (total − m) / s. A
  judge whose totals have no spread (s = 0: all equal, or a single entry scored) gives **no**
  z-score: such a judge does not separate entries, and averaging a 0 in would pull the entries
  they scored towards the middle and change the ranking. An entry's z̄ is the mean of the
  z-scores of its other judges, mapped back onto the scale of the totals with the mean M and the
  population standard deviation S of all final weighted totals in the stage: normalised = M + S × z̄.
  An entry whose judges all have zero spread has no z̄; its normalised score is its raw mean
  (``ranked_on_raw``).
* **Ranking** per category, by: (1) normalised score, higher first; (2) raw mean, higher first;
  (3) mean score on the heaviest criterion (earliest in the rubric when weights are equal),
  higher first; (4) reference number, lower first (the order in which entries were submitted).
  Values are compared after rounding to 9 decimal places, so equal numbers reached by different
  arithmetic paths are treated as equal. Entries without any final score sheet are not ranked.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Optional

COMPARE = Decimal("1e-9")


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    weight: int
    scale_min: int
    scale_max: int
    position: int = 0


@dataclass(frozen=True)
class SheetInput:
    judge_id: int
    submission_id: int
    values: Mapping[int, int]  # criterion id → integer score


@dataclass(frozen=True)
class EntryInput:
    submission_id: int
    category_id: int
    reference_no: int


@dataclass
class EntryResult:
    submission_id: int
    category_id: int
    reference_no: int
    judges: int = 0
    totals: dict[int, int] = field(default_factory=dict)  # judge id → weighted total
    raw_mean: Optional[Decimal] = None
    z_mean: Optional[Decimal] = None
    z_judges: int = 0  # judges whose z-score counts (spread > 0)
    ranked_on_raw: bool = False  # every judge of the entry had zero spread: normalised = raw mean
    normalised: Optional[Decimal] = None
    top_criterion_mean: Optional[Decimal] = None
    rank: Optional[int] = None
    tie_broken_by: Optional[str] = None  # which key separated it from the entry above


def weighted_total(criteria: Iterable[CriterionSpec], values: Mapping[int, int]) -> int:
    """Σ weight × score; every criterion must be scored with an integer on its scale."""
    total = 0
    for criterion in criteria:
        value = values[criterion.id]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("scores are integers")
        if not criterion.scale_min <= value <= criterion.scale_max:
            raise ValueError("score outside the scale")
        total += criterion.weight * value
    return total


def max_total(criteria: Iterable[CriterionSpec]) -> int:
    return sum(c.weight * c.scale_max for c in criteria)


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _pstdev(values: list[Decimal]) -> Decimal:
    mean = _mean(values)
    variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / len(values)
    return variance.sqrt()


@dataclass
class JudgeStatistics:
    """One judge in one stage: their totals, mean, population σ and each entry's z (None when σ = 0)."""

    judge_id: int
    totals: dict[int, int]
    mean: Decimal
    sd: Decimal
    z: dict[int, Optional[Decimal]]

    @property
    def flat(self) -> bool:
        return self.sd == 0


def judge_statistics(totals: Mapping[int, Mapping[int, int]]) -> dict[int, JudgeStatistics]:
    """judge → statistics of their own totals; a judge without spread gets z = None for every entry."""
    result: dict[int, JudgeStatistics] = {}
    with localcontext() as ctx:
        ctx.prec = 40
        for judge, per_entry in totals.items():
            values = [Decimal(v) for v in per_entry.values()]
            if not values:
                continue
            mean, spread = _mean(values), _pstdev(values)
            z: dict[int, Optional[Decimal]] = {
                entry: (None if spread == 0 else (Decimal(v) - mean) / spread) for entry, v in per_entry.items()}
            result[judge] = JudgeStatistics(judge, dict(per_entry), mean, spread, z)
    return result


def judge_z_scores(totals: Mapping[int, Mapping[int, int]]) -> dict[int, dict[int, Optional[Decimal]]]:
    """judge → {submission → z}: z-scores of each judge's own totals (None when the judge has no spread)."""
    return {judge: stats.z for judge, stats in judge_statistics(totals).items()}


def compute_results(criteria: list[CriterionSpec], entries: Iterable[EntryInput],
                    sheets: Iterable[SheetInput]) -> list[EntryResult]:
    """Totals, raw means, normalised scores and ranks per category (see the module docstring)."""
    results = {e.submission_id: EntryResult(e.submission_id, e.category_id, e.reference_no) for e in entries}
    per_judge: dict[int, dict[int, int]] = {}
    top = _heaviest(criteria)
    top_scores: dict[int, list[int]] = {}
    for sheet in sheets:
        if sheet.submission_id not in results:
            continue
        total = weighted_total(criteria, sheet.values)
        results[sheet.submission_id].totals[sheet.judge_id] = total
        per_judge.setdefault(sheet.judge_id, {})[sheet.submission_id] = total
        if top is not None:
            top_scores.setdefault(sheet.submission_id, []).append(sheet.values[top.id])
    z = judge_z_scores(per_judge)
    all_totals = [Decimal(t) for r in results.values() for t in r.totals.values()]
    with localcontext() as ctx:
        ctx.prec = 40
        pooled_mean = _mean(all_totals) if all_totals else Decimal(0)
        pooled_sd = _pstdev(all_totals) if all_totals else Decimal(0)
        for result in results.values():
            if not result.totals:
                continue
            result.judges = len(result.totals)
            result.raw_mean = _mean([Decimal(t) for t in result.totals.values()])
            counted = [zj for j in result.totals if (zj := z[j][result.submission_id]) is not None]
            result.z_judges = len(counted)
            if counted:
                result.z_mean = _mean(counted)
                result.normalised = pooled_mean + pooled_sd * result.z_mean
            else:  # only flat judges: nothing to normalise, ranked on the raw mean
                result.ranked_on_raw = True
                result.normalised = result.raw_mean
            scores = top_scores.get(result.submission_id, [])
            result.top_criterion_mean = _mean([Decimal(s) for s in scores]) if scores else Decimal(0)
    return rank(list(results.values()))


def _heaviest(criteria: list[CriterionSpec]) -> Optional[CriterionSpec]:
    if not criteria:
        return None
    return sorted(criteria, key=lambda c: (-c.weight, c.position, c.id))[0]


def _q(value: Optional[Decimal]) -> Decimal:
    return (value or Decimal(0)).quantize(COMPARE)


def _key(r: EntryResult) -> tuple[Decimal, Decimal, Decimal, int]:
    return (-_q(r.normalised), -_q(r.raw_mean), -_q(r.top_criterion_mean), r.reference_no)


def rank(results: list[EntryResult]) -> list[EntryResult]:
    """Rank per category with the documented tie-break; unscored entries come last, unranked."""
    ordered: list[EntryResult] = []
    categories = sorted({r.category_id for r in results})
    names = ("normalised", "raw_mean", "top_criterion", "reference")
    for category in categories:
        scored = sorted((r for r in results if r.category_id == category and r.totals), key=_key)
        previous: Optional[EntryResult] = None
        for position, result in enumerate(scored, start=1):
            result.rank = position
            if previous is not None:
                a, b = _key(previous), _key(result)
                result.tie_broken_by = next((names[i] for i in range(4) if a[i] != b[i]), None)
                if result.tie_broken_by == "normalised":
                    result.tie_broken_by = None  # not a tie at all
            previous = result
        ordered.extend(scored)
        ordered.extend(sorted((r for r in results if r.category_id == category and not r.totals),
                              key=lambda r: r.reference_no))
    return ordered
