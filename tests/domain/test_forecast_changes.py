from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.forecasting import (
	CHANGE_KINDS,
	change_kind,
	classify_changes,
	deal_category,
	default_stage_category,
)

START, END = date(2026, 4, 1), date(2026, 6, 30)


@pytest.mark.parametrize(
	"probability,is_final,outcome,category",
	[
		(0, 0, None, "Pipeline"),
		(49.99, 0, None, "Pipeline"),
		(50, 0, None, "Best Case"),
		(89, 0, None, "Best Case"),
		(90, 0, None, "Commit"),
		(100, 0, None, "Commit"),
		(100, 1, "Won", "Closed"),
		(0, 1, "Lost", ""),
	],
)
def test_default_stage_category(probability, is_final, outcome, category):
	assert default_stage_category(probability, is_final, outcome) == category


def test_deal_category_override_and_status():
	assert deal_category("Open", "Pipeline") == "Pipeline"
	assert deal_category("Open", "Pipeline", "Commit") == "Commit"
	assert deal_category("Open", None) == "Pipeline"
	assert deal_category("Open", "Best Case", "Closed") == "Best Case"  # an open deal is never Closed
	assert deal_category("Won", "Pipeline", "Commit") == "Closed"
	assert deal_category("Lost", "Commit", "Commit") == ""  # lost deals are never counted
	with pytest.raises(ValueError, match="override"):
		deal_category("Open", "Pipeline", "Maybe")


def row(name, close, value="100.00", forecast="50.00", status="Open"):
	return {
		"opportunity": name,
		"status": status,
		"expected_close_date": close,
		"value": value,
		"forecast_amount": forecast,
	}


def test_every_kind_by_hand():
	previous = [
		row("won", "2026-05-01"),
		row("lost", "2026-05-01"),
		row("slipped", "2026-06-30"),
		row("pulled", "2026-04-15"),
		row("undated", "2026-04-15"),
		row("gone", "2026-04-15"),
		row("grew", "2026-04-15", "100.00", "10.00"),
		row("same", "2026-04-15"),
		row("moved_in", "2026-07-01"),
		row("reopened", "2026-05-01", status="Lost"),
		row("elsewhere", "2026-09-01"),
	]
	current = [
		row("won", "2026-05-01", "120.00", "120.00", "Won"),
		row("lost", "2026-05-01", status="Lost"),
		row("slipped", "2026-07-01"),
		row("pulled", "2026-03-31"),
		row("undated", None),
		row("grew", "2026-06-01", "333.33", "99.99"),
		row("same", "2026-04-15"),
		row("moved_in", "2026-06-30", "70.00", "7.00"),
		row("reopened", "2026-05-01"),
		row("elsewhere", "2026-10-01"),
		row("brand_new", "2026-04-01", "1000.10", "500.05"),
	]
	result = classify_changes(previous, current, START, END)
	kinds = {c["opportunity"]: c["kind"] for c in result["changes"]}
	assert kinds == {
		"won": "won",
		"lost": "lost",
		"slipped": "slipped",
		"pulled": "moved_out",
		"undated": "moved_out",
		"gone": "removed",
		"grew": "value_changed",
		"same": "unchanged",
		"moved_in": "moved_in",
		"reopened": "moved_in",
		"brand_new": "new",
	}
	t = result["totals"]
	assert t["new"] == {"count": 1, "value_delta": Decimal("1000.10"), "forecast_delta": Decimal("500.05")}
	assert t["won"]["forecast_delta"] == Decimal("-50.00")  # won deals leave the open forecast
	assert t["value_changed"]["forecast_delta"] == Decimal("89.99")
	assert t["moved_in"]["count"] == 2 and t["moved_in"]["value_delta"] == Decimal("170.00")
	assert t["moved_out"]["count"] == 2
	assert result["previous"] == {"value": Decimal("800.00"), "forecast": Decimal("360.00")}
	# same 100/50 + grew 333.33/99.99 + moved_in 70/7 + reopened 100/50 + new 1000.10/500.05
	assert result["current"] == {"value": Decimal("1603.43"), "forecast": Decimal("707.04")}
	assert result["changes"][0]["kind"] == "new"


def test_changes_are_in_kind_order_and_validated():
	with pytest.raises(ValueError, match="start must not be after end"):
		classify_changes([], [], END, START)
	assert change_kind(None, row("x", "2027-01-01"), START, END) is None


dates = st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
rows = st.builds(
	lambda close, value, status: {
		"expected_close_date": close,
		"value": value,
		"forecast_amount": value / 2,
		"status": status,
	},
	dates,
	st.decimals(min_value=0, max_value=10**6, places=2),
	st.sampled_from(["Open", "Open", "Won", "Lost"]),
)


@given(st.dictionaries(st.integers(0, 20), rows), st.dictionaries(st.integers(0, 20), rows))
def test_deltas_add_up_to_the_change_of_the_period(before, after):
	previous = [{**r, "opportunity": k} for k, r in before.items()]
	current = [{**r, "opportunity": k} for k, r in after.items()]
	result = classify_changes(previous, current, START, END)
	for figure in ("value", "forecast"):
		total = sum((t[f"{figure}_delta"] for t in result["totals"].values()), Decimal(0))
		assert total == result["current"][figure] - result["previous"][figure]
	assert {c["kind"] for c in result["changes"]} <= set(CHANGE_KINDS)
