from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.targets import (
	add_figures,
	attainment,
	check_period_start,
	depth,
	figures_in_period,
	gap,
	months_of,
	period_bounds,
	period_label,
	period_start,
	rollup,
	subtree,
	sum_over,
	target_row,
)


@pytest.mark.parametrize(
	"period_type,day,bounds",
	[
		("Month", "2026-02-14", (date(2026, 2, 1), date(2026, 2, 28))),
		("Month", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),
		("Month", datetime(2026, 12, 31, 23, 59), (date(2026, 12, 1), date(2026, 12, 31))),
		("Quarter", "2026-01-01", (date(2026, 1, 1), date(2026, 3, 31))),
		("Quarter", "2026-05-20", (date(2026, 4, 1), date(2026, 6, 30))),
		("Quarter", "2026-09-30", (date(2026, 7, 1), date(2026, 9, 30))),
		("Quarter", "2026-11-02", (date(2026, 10, 1), date(2026, 12, 31))),
	],
)
def test_period_bounds(period_type, day, bounds):
	assert period_bounds(period_type, day) == bounds
	assert period_start(period_type, day) == bounds[0]


@given(
	st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)), st.sampled_from(["Month", "Quarter"])
)
def test_periods_tile_the_calendar(d, period_type):
	start, end = period_bounds(period_type, d)
	assert start <= d <= end
	assert (
		period_bounds(period_type, end.fromordinal(end.toordinal() + 1))[0].toordinal() == end.toordinal() + 1
	)
	assert len(months_of(period_type, d)) == (1 if period_type == "Month" else 3)


def test_period_start_is_checked_with_a_suggestion():
	assert check_period_start("Quarter", "2026-04-01") == date(2026, 4, 1)
	with pytest.raises(
		ValueError, match=r"period_start must be the first day of a quarter \(did you mean 2026-04-01\?\)"
	):
		check_period_start("Quarter", "2026-05-01")
	with pytest.raises(ValueError, match="first day of a month"):
		check_period_start("Month", "2026-05-02")
	with pytest.raises(ValueError, match="period_type"):
		period_bounds("Week", "2026-05-02")
	with pytest.raises(ValueError, match="period_start must be a date"):
		check_period_start("Month", "soon")


def test_labels_and_months():
	assert period_label("Month", "2026-04-01") == "2026-04"
	assert period_label("Quarter", "2026-11-01") == "2026-Q4"
	assert months_of("Quarter", "2026-11-15") == ["2026-10", "2026-11", "2026-12"]


def test_attainment_and_gap_are_exact():
	assert attainment(Decimal("4333.43"), Decimal("10000.00")) == 43.33
	assert attainment(5, 0) is None
	assert attainment(0, None) is None
	assert attainment(15000, 10000) == 150.0
	assert gap(10000, Decimal("4333.43")) == Decimal("5666.57")
	assert gap(10000, 10500.5) == Decimal("-500.50")  # signed: above target


def test_target_row_figures_by_hand():
	row = target_row(
		"10000.00",
		{"won": "4333.43", "won_count": 2, "forecast": "1200.05", "pipeline": 5000, "open_count": 3},
		4,
	)
	assert row["target"] == Decimal("10000.00")
	assert row["won"] == Decimal("4333.43") and row["won_count"] == 2
	assert row["attainment"] == 43.33
	assert row["gap"] == Decimal("5666.57")
	assert row["projected"] == Decimal("5533.48")
	assert row["projected_attainment"] == 55.33
	assert row["projected_gap"] == Decimal("4466.52")
	assert row["deal_attainment"] == 50.0
	assert target_row(0, {})["attainment"] is None
	with pytest.raises(ValueError, match="target_amount"):
		target_row(-1, {})


def test_figures_in_period_adds_the_quarters_months():
	monthly = {
		"2026-03": {"won": "1.00", "won_count": 1},
		"2026-04": {"won": "10.10", "won_count": 1},
		"2026-06": {"won": "0.20", "won_count": 2, "forecast": "3"},
		"2026-07": {"won": "100"},
	}
	q2 = figures_in_period(monthly, "Quarter", "2026-04-01")
	assert q2["won"] == Decimal("10.30") and q2["won_count"] == 3 and q2["forecast"] == Decimal("3.00")
	assert figures_in_period(monthly, "Month", "2026-05-01") == add_figures()


PARENTS = {
	"World": None,
	"EMEA": "World",
	"France": "EMEA",
	"Paris": "France",
	"Americas": "World",
	"Lone": None,
}


def test_subtree_and_depth():
	assert subtree("EMEA", PARENTS) == ["EMEA", "France", "Paris"]
	assert set(subtree("World", PARENTS)) == {"World", "EMEA", "France", "Paris", "Americas"}
	assert depth("Paris", PARENTS) == 3 and depth("World", PARENTS) == 0
	assert subtree("a", {"a": "b", "b": "a"}) == ["a", "b"]  # a cycle is cut


def test_rollup_parent_is_own_plus_children():
	own = {
		"World": {"won": "1.00"},
		"France": {"won": "10.00", "won_count": 1},
		"Paris": {"won": "100.01", "won_count": 2},
		"Americas": {"won": "1000.00"},
	}
	rolled = rollup(own, PARENTS)
	assert rolled["Paris"]["won"] == Decimal("100.01")
	assert rolled["France"]["won"] == Decimal("110.01") and rolled["France"]["won_count"] == 3
	assert rolled["EMEA"]["won"] == Decimal("110.01")
	assert rolled["World"]["won"] == Decimal("1111.01")
	assert rolled["Lone"]["won"] == Decimal("0.00")


@given(st.dictionaries(st.sampled_from(sorted(PARENTS)), st.decimals(min_value=0, max_value=10**6, places=2)))
def test_rollup_root_equals_the_sum_of_its_tree(values):
	own = {node: {"won": v} for node, v in values.items()}
	rolled = rollup(own, PARENTS)
	tree = {"World", "EMEA", "France", "Paris", "Americas"}
	assert rolled["World"]["won"] == sum((v for n, v in values.items() if n in tree), Decimal("0.00"))


def test_sum_over_counts_each_key_once():
	by_user = {"a": {"won": "1.10", "won_count": 1}, "b": {"won": "2.20", "won_count": 1}}
	assert sum_over(["a", "b", "a", "nobody"], by_user)["won"] == Decimal("3.30")
	assert sum_over([], by_user)["won_count"] == 0


def test_subject_of_names_the_field():
	from crm_module.domain.targets import subject_of

	assert subject_of("Rep", {"user": "a@x.com"}) == "a@x.com"
	assert subject_of("Territory", {"territory": "EMEA", "user": ""}) == "EMEA"
	with pytest.raises(ValueError, match="sales_team is required for a Team target"):
		subject_of("Team", {"user": None})
	with pytest.raises(ValueError, match="user must be empty for a Team target"):
		subject_of("Team", {"user": "a@x.com", "sales_team": "North"})
	with pytest.raises(ValueError, match="target_for"):
		subject_of("Company", {})


def test_rollup_of_monthly_figures():
	from crm_module.domain.targets import add_monthly

	own = {
		"France": {"2026-04": {"won": "1.01"}},
		"Paris": {"2026-04": {"won": "2.02"}, "2026-05": {"won": "3"}},
	}
	rolled = rollup(own, PARENTS, add_monthly)
	assert rolled["EMEA"]["2026-04"]["won"] == Decimal("3.03")
	assert rolled["World"]["2026-05"]["won"] == Decimal("3.00")
	assert rolled["Americas"] == {}
