from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.forecasting import (
	days_between,
	days_in_pipeline,
	forecast_amount,
	forecast_by_month,
	month_key,
	weighted_pipeline,
)


def test_forecast_amount():
	assert forecast_amount(1000, 35) == Decimal("350.00")  # 1000 x 0.35
	assert forecast_amount(999.99, 33.3) == Decimal("333.00")  # 999.99 x 0.333 = 332.99667
	assert forecast_amount("0.05", 50) == Decimal("0.03")  # 0.025 -> half up
	assert forecast_amount(100, 0) == Decimal("0.00")
	assert forecast_amount(100, 100) == Decimal("100.00")
	assert forecast_amount(None, 50) == Decimal("0.00")


@pytest.mark.parametrize(
	"value,p,field",
	[
		(-1, 50, "value"),
		(100, 101, "probability_percent"),
		(100, -0.01, "probability_percent"),
		(100, "abc", "probability_percent"),
		("abc", 10, "value"),
	],
)
def test_forecast_amount_errors(value, p, field):
	with pytest.raises(ValueError, match=field):
		forecast_amount(value, p)


def test_days_between():
	assert days_between(date(2024, 1, 1), date(2024, 3, 1)) == 60  # 31 + 29 (leap year)
	assert days_between(date(2024, 1, 1), datetime(2024, 1, 2, 23, 59)) == 1  # time is dropped
	assert days_between(date(2024, 1, 10), date(2024, 1, 1)) == 0  # negative span -> 0
	assert days_between("2024-01-01", "2024-01-31 10:00:00") == 30


def test_days_between_bad_date_names_field():
	with pytest.raises(ValueError, match="start"):
		days_between("yesterday", date(2024, 1, 1))
	with pytest.raises(ValueError, match="end"):
		days_between(date(2024, 1, 1), 5)


def test_days_in_pipeline():
	assert days_in_pipeline(date(2024, 1, 1), None, date(2024, 1, 31)) == 30
	assert days_in_pipeline(date(2024, 1, 1), date(2024, 1, 11), date(2024, 1, 31)) == 10


def test_weighted_pipeline():
	rows = [
		{"stage": "Qualification", "value": 1000, "probability_percent": 10},  # 100.00
		{"stage": "Qualification", "value": 500.5, "probability_percent": 20},  # 100.10
		{"stage": "Proposal", "value": 2000, "probability_percent": 60, "status": "Open"},  # 1200.00
		{"stage": "Closed Won", "value": 9999, "probability_percent": 100, "status": "Won"},  # skipped
		{"value": 10, "probability_percent": 50},  # 5.00 under ""
	]
	assert weighted_pipeline(rows) == {
		"Qualification": Decimal("200.10"),
		"Proposal": Decimal("1200.00"),
		"": Decimal("5.00"),
	}


def test_weighted_pipeline_validates_rows():
	with pytest.raises(ValueError, match="probability_percent"):
		weighted_pipeline([{"stage": "A", "value": 1, "probability_percent": 200}])


def test_forecast_by_month():
	rows = [
		{"expected_close_date": date(2024, 1, 15), "value": 1000, "probability_percent": 50},
		{"expected_close_date": "2024-01-31", "value": "250.25", "probability_percent": 20},
		{"expected_close_date": datetime(2024, 3, 1, 9), "value": 400, "probability_percent": 25},
		{"expected_close_date": None, "value": 400, "probability_percent": 25},  # undated: skipped
		{"expected_close_date": "2024-02-10", "value": 5, "probability_percent": 100, "status": "Lost"},
	]
	# January: value 1000 + 250.25 = 1250.25; weighted 500.00 + 50.05 = 550.05; March: 400 / 100.00
	assert forecast_by_month(rows) == {
		"2024-01": {"value": Decimal("1250.25"), "weighted": Decimal("550.05")},
		"2024-03": {"value": Decimal("400.00"), "weighted": Decimal("100.00")},
	}
	assert list(forecast_by_month(rows, start=date(2024, 2, 1))) == ["2024-03"]
	assert list(forecast_by_month(rows, end="2024-02-28")) == ["2024-01"]
	filled = forecast_by_month(rows, start=date(2023, 12, 5), end=date(2024, 3, 1), fill_empty=True)
	assert list(filled) == ["2023-12", "2024-01", "2024-02", "2024-03"]
	assert filled["2024-02"] == {"value": Decimal("0.00"), "weighted": Decimal("0.00")}


def test_forecast_by_month_errors():
	with pytest.raises(ValueError, match="start"):
		forecast_by_month([], start=date(2024, 3, 1), end=date(2024, 1, 1))
	with pytest.raises(ValueError, match="value"):
		forecast_by_month([{"expected_close_date": "2024-01-01", "value": -5, "probability_percent": 1}])


def test_month_key():
	assert month_key(date(2024, 7, 4)) == "2024-07"


cent_values = st.lists(st.integers(min_value=0, max_value=10**9), max_size=30)


@given(cent_values)
def test_forecast_of_cent_values_at_100_percent_sums_exactly(values):
	amounts = [Decimal(v) / 100 for v in values]
	rows = [{"stage": "S", "value": a, "probability_percent": 100} for a in amounts]
	total = weighted_pipeline(rows).get("S", Decimal("0.00"))
	assert total == sum(amounts, Decimal("0"))


@given(cent_values, st.integers(min_value=0, max_value=100))
def test_weighted_total_is_exact_sum_of_row_forecasts(values, p):
	amounts = [Decimal(v) / 100 for v in values]
	rows = [{"stage": "S", "value": str(a), "probability_percent": p} for a in amounts]
	expected = sum((forecast_amount(a, p) for a in amounts), Decimal("0"))
	assert weighted_pipeline(rows).get("S", Decimal("0")) == expected
	for a in amounts:
		f = forecast_amount(a, p)
		assert f.as_tuple().exponent == -2
		assert Decimal(0) <= f <= a


@given(st.dates(), st.dates())
def test_days_between_non_negative(a, b):
	d = days_between(a, b)
	assert d >= 0
	assert d == max(0, (b - a).days)
