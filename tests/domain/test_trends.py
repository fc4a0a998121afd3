from datetime import date
from decimal import Decimal

import pytest

from crm_module.domain.trends import month_range, monthly_series


def test_month_range_spans_years_and_includes_both_ends():
	assert month_range(date(2025, 11, 30), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
	assert month_range(date(2026, 3, 5), date(2026, 3, 5)) == ["2026-03"]
	assert month_range(date(2026, 3, 5), date(2026, 2, 5)) == []


def test_monthly_series_fills_empty_months_and_rounds_to_cents():
	rows = [
		{"month": "2026-01", "status": "Won", "count": 2, "value": Decimal("1000.005")},
		{"month": "2026-01", "status": "Lost", "count": 1, "value": 250},
		{"month": "2026-03", "status": "New", "count": 3, "value": "750.10"},
		{"month": "2025-12", "status": "Won", "count": 9, "value": 9},  # outside the range: ignored
		{"month": "2026-01", "status": "Open", "count": 9, "value": 9},  # not a series: ignored
	]
	series = monthly_series(["2026-01", "2026-02", "2026-03"], rows)
	zero = {f"{k}_{p}": 0 for k in ("won", "lost", "new") for p in ("count", "value")}
	assert series == [
		{
			**zero,
			"month": "2026-01",
			"won_count": 2,
			"won_value": 1000.01,
			"lost_count": 1,
			"lost_value": 250.0,
		},
		{**zero, "month": "2026-02", "won_value": 0.0, "lost_value": 0.0, "new_value": 0.0},
		{**zero, "month": "2026-03", "new_count": 3, "new_value": 750.1, "won_value": 0.0, "lost_value": 0.0},
	]


def test_monthly_series_names_a_bad_figure():
	with pytest.raises(ValueError, match="won_count"):
		monthly_series(["2026-01"], [{"month": "2026-01", "status": "Won", "count": -1, "value": 0}])
