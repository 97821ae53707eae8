"""Exact cost allocation of a joint contract, in integer yen.

The vendor's quote gives, per item, volume tiers (from ``min_quantity`` on, ``unit_price_yen`` per
unit; prices never rise with volume) and an optional one-off set-up fee. The pooled quantity of an
item selects its tier; every participant pays that unit price for its own quantity (an exact
integer) plus a share of the item's set-up fee in proportion to its quantity.

Rounding rule (largest remainder, Hamilton): each participant first gets the floor of its exact
share ``fee * q_i / Q``; the yen left over (fewer than the number of participants) go one each to
the largest remainders, ties broken by the larger quantity, then by the smaller tenant code. The
shares therefore always add up exactly to the contract total, and no share exceeds the whole fee.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kernel.i18n import N_


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    unit_price_yen: int


@dataclass(frozen=True)
class ItemPricing:
    """One item of a quote: its tiers (any order) and its set-up fee."""

    tiers: tuple[Tier, ...]
    setup_fee_yen: int = 0


def validate_tiers(tiers: Sequence[Tier]) -> list[str]:
    """Problems of a tier table (empty list when valid); messages are shown to the organiser."""
    problems = []
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    if not ordered:
        return [N_("Enter at least one price tier.")]
    if ordered[0].min_quantity != 1:
        problems.append(N_("The first tier must start at quantity 1."))
    if len({t.min_quantity for t in ordered}) != len(ordered):
        problems.append(N_("Two tiers start at the same quantity."))
    if any(t.unit_price_yen < 0 for t in ordered):
        problems.append(N_("Enter unit prices as whole numbers of yen from 0."))
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher.unit_price_yen > lower.unit_price_yen:
            problems.append(N_("A unit price may not rise as the quantity grows."))
            break
    return problems


def unit_price(tiers: Sequence[Tier], quantity: int) -> int:
    """The unit price of the tier reached by ``quantity`` (the highest breakpoint not above it)."""
    reached = [t for t in tiers if t.min_quantity <= max(quantity, 1)]
    if not reached:
        raise ValueError("no tier applies")
    return max(reached, key=lambda t: t.min_quantity).unit_price_yen


def largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``total`` yen over ``weights`` exactly (see the module's rounding rule)."""
    keys = sorted(weights)
    if not keys:
        return {}
    weight_sum = sum(weights.values())
    if weight_sum <= 0:  # nobody has a weight: split equally
        weights = {k: 1 for k in keys}
        weight_sum = len(keys)
    shares = {k: total * weights[k] // weight_sum for k in keys}
    remainders = {k: total * weights[k] % weight_sum for k in keys}
    left = total - sum(shares.values())
    for key in sorted(keys, key=lambda k: (-remainders[k], -weights[k], k))[:left]:
        shares[key] += 1
    return shares


@dataclass
class ParticipantCost:
    tenant_id: str
    lines: dict[str, dict[str, int]] = field(default_factory=dict)  # item → quantity, unit price, amounts
    total_yen: int = 0
    standalone_yen: int = 0

    @property
    def savings_yen(self) -> int:
        return self.standalone_yen - self.total_yen


@dataclass
class Allocation:
    participants: dict[str, ParticipantCost]
    contract_total_yen: int
    standalone_total_yen: int
    pooled: dict[str, dict[str, int]]  # item → quantity, unit price


def standalone_cost(pricing: Mapping[str, ItemPricing], quantities: Mapping[str, int]) -> int:
    """What one municipality would pay buying its own quantities alone from the same tiers."""
    total = 0
    for item, quantity in quantities.items():
        if quantity > 0:
            total += unit_price(pricing[item].tiers, quantity) * quantity + pricing[item].setup_fee_yen
    return total


def allocate_cost(pricing: Mapping[str, ItemPricing], demand: Mapping[str, Mapping[str, int]]) -> Allocation:
    """Allocate the contract among participants. ``demand`` maps tenant → item → quantity."""
    participants = {tenant: ParticipantCost(tenant) for tenant in sorted(demand)}
    pooled: dict[str, dict[str, int]] = {}
    contract_total = 0
    for item in sorted(pricing):
        quantities = {t: int(q.get(item, 0)) for t, q in demand.items() if int(q.get(item, 0)) > 0}
        pooled_quantity = sum(quantities.values())
        if pooled_quantity == 0:
            continue
        price = unit_price(pricing[item].tiers, pooled_quantity)
        fee = pricing[item].setup_fee_yen
        fee_shares = largest_remainder(fee, quantities)
        pooled[item] = {"quantity": pooled_quantity, "unit_price_yen": price}
        contract_total += price * pooled_quantity + fee
        for tenant, quantity in quantities.items():
            cost = participants[tenant]
            amount = price * quantity
            cost.lines[item] = {"quantity": quantity, "unit_price_yen": price, "amount_yen": amount,
                                "setup_share_yen": fee_shares[tenant]}
            cost.total_yen += amount + fee_shares[tenant]
    for tenant, cost in participants.items():
        cost.standalone_yen = standalone_cost(pricing, demand[tenant])
    return Allocation(participants, contract_total, sum(c.standalone_yen for c in participants.values()), pooled)
