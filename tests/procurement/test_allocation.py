"""Cost allocation: exact yen, largest remainder, and the three promised properties (hypothesis)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from procurement.allocation import (
    ItemPricing,
    Tier,
    allocate_cost,
    largest_remainder,
    standalone_cost,
    unit_price,
    validate_tiers,
)

TIERS = (Tier(1, 1000), Tier(100, 800), Tier(250, 700))


def test_unit_price_follows_the_breakpoints() -> None:
    assert [unit_price(TIERS, q) for q in (1, 99, 100, 249, 250, 10_000)] == [1000, 1000, 800, 800, 700, 700]


def test_tier_validation_messages() -> None:
    # message ids (English); the service shows them translated (test_services: test_quote_validation)
    assert validate_tiers(TIERS) == []
    assert validate_tiers([]) == ["Enter at least one price tier."]
    assert "The first tier must start at quantity 1." in validate_tiers([Tier(10, 5)])
    assert "A unit price may not rise as the quantity grows." in validate_tiers([Tier(1, 5), Tier(10, 6)])
    assert "Two tiers start at the same quantity." in validate_tiers([Tier(1, 5), Tier(1, 4)])


def test_largest_remainder_exact_example() -> None:
    # 100,000 yen over 1:1:1 → 33,333 each and the one yen left goes to the smallest code (tie).
    assert largest_remainder(100_000, {"131083": 1, "131016": 1, "132055": 1}) == {
        "131016": 33_334, "131083": 33_333, "132055": 33_333}
    # Remainders decide before codes: 10 yen over 1:2 → 3.33 / 6.67 → 3 and 7.
    assert largest_remainder(10, {"a": 1, "b": 2}) == {"a": 3, "b": 7}
    assert largest_remainder(0, {"a": 1}) == {"a": 0}
    assert largest_remainder(5, {"a": 0, "b": 0}) == {"a": 3, "b": 2}


def test_three_municipalities_exact_yen() -> None:
    """青梅 40 + 江東 120 + 千代田 60 = 220 licences → tier 100+ at 800円; set-up fee 100,000円 by quantity."""
    pricing = {"1": ItemPricing(TIERS, 100_000)}
    result = allocate_cost(pricing, {"132055": {"1": 40}, "131083": {"1": 120}, "131016": {"1": 60}})
    assert result.pooled == {"1": {"quantity": 220, "unit_price_yen": 800}}
    assert result.contract_total_yen == 220 * 800 + 100_000 == 276_000
    shares = {t: c.total_yen for t, c in result.participants.items()}
    # fee shares: 40/220 → 18,181.8; 120/220 → 54,545.4; 60/220 → 27,272.7
    # → floors add to 99,998; the 2 yen left go to 青梅 (.8) and 千代田 (.7)
    assert shares == {"132055": 32_000 + 18_182, "131083": 96_000 + 54_545, "131016": 48_000 + 27_273}
    assert sum(shares.values()) == 276_000
    standalone = {t: c.standalone_yen for t, c in result.participants.items()}
    assert standalone == {"132055": 40 * 1000 + 100_000, "131083": 120 * 800 + 100_000, "131016": 60 * 1000 + 100_000}
    assert result.standalone_total_yen == 140_000 + 196_000 + 160_000


def test_standalone_cost_ignores_zero_quantities() -> None:
    pricing = {"1": ItemPricing(TIERS, 5), "2": ItemPricing(TIERS, 7)}
    assert standalone_cost(pricing, {"1": 3, "2": 0}) == 3005


tiers_strategy = st.lists(st.tuples(st.integers(2, 500), st.integers(0, 5000)), max_size=4).map(
    lambda extra: tuple(sorted({Tier(1, 10_000), *(Tier(q, p) for q, p in extra)}, key=lambda t: t.min_quantity)))


@st.composite
def pricing_strategy(draw):  # type: ignore[no-untyped-def]
    items = draw(st.integers(1, 3))
    pricing = {}
    for item in range(items):
        raw = draw(tiers_strategy)
        # make the prices non-increasing with volume (the only tiers the service accepts)
        prices, tiers, seen = 10_000, [], set()
        for tier in raw:
            if tier.min_quantity in seen:
                continue
            seen.add(tier.min_quantity)
            prices = min(prices, tier.unit_price_yen) if tier.min_quantity > 1 else tier.unit_price_yen
            tiers.append(Tier(tier.min_quantity, prices))
        pricing[str(item)] = ItemPricing(tuple(tiers), draw(st.integers(0, 2_000_000)))
    return pricing


@st.composite
def demand_strategy(draw, pricing):  # type: ignore[no-untyped-def]
    tenants = draw(st.lists(st.from_regex(r"13[0-9]{4}", fullmatch=True), min_size=1, max_size=8, unique=True))
    demand = {}
    for tenant in tenants:
        quantities = {item: draw(st.integers(0, 400)) for item in pricing}
        if not any(quantities.values()):
            quantities[next(iter(pricing))] = 1
        demand[tenant] = quantities
    return demand


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_shares_always_sum_to_the_contract_total(data) -> None:  # type: ignore[no-untyped-def]
    pricing = data.draw(pricing_strategy())
    demand = data.draw(demand_strategy(pricing))
    result = allocate_cost(pricing, demand)
    assert sum(c.total_yen for c in result.participants.values()) == result.contract_total_yen
    for item, pooled in result.pooled.items():
        assert sum(c.lines[item]["amount_yen"] + c.lines[item]["setup_share_yen"]
                   for c in result.participants.values() if item in c.lines) \
            == pooled["quantity"] * pooled["unit_price_yen"] + pricing[item].setup_fee_yen


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_nobody_pays_more_than_buying_alone(data) -> None:  # type: ignore[no-untyped-def]
    pricing = data.draw(pricing_strategy())
    demand = data.draw(demand_strategy(pricing))
    result = allocate_cost(pricing, demand)
    for tenant, cost in result.participants.items():
        assert cost.total_yen <= cost.standalone_yen == standalone_cost(pricing, demand[tenant])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_adding_a_participant_never_raises_a_unit_price(data) -> None:  # type: ignore[no-untyped-def]
    pricing = data.draw(pricing_strategy())
    demand = data.draw(demand_strategy(pricing))
    newcomer = {item: data.draw(st.integers(0, 400)) for item in pricing}
    before = allocate_cost(pricing, demand)
    after = allocate_cost(pricing, {**demand, "999999": newcomer})
    for tenant, cost in before.participants.items():
        for item, line in cost.lines.items():
            assert after.participants[tenant].lines[item]["unit_price_yen"] <= line["unit_price_yen"]
            # and the variable part of the bill never rises either
            assert after.participants[tenant].lines[item]["amount_yen"] <= line["amount_yen"]
