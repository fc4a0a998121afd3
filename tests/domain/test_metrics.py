import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.metrics import (
	average_deal_size,
	average_open_deal_size,
	average_sales_cycle_days,
	build_dashboard,
	conversion_rate,
	pipeline_value,
	pipeline_velocity,
	retention_rate,
	win_rate,
)


def test_conversion_rate():
	assert conversion_rate(25, 200) == 12.5
	assert conversion_rate(1, 3) == 33.33
	assert conversion_rate(0, 0) == 0.0
	with pytest.raises(ValueError, match="converted_leads"):
		conversion_rate(5, 4)
	with pytest.raises(ValueError, match="total_leads"):
		conversion_rate(0, -1)


def test_win_rate():
	assert win_rate(10, 5) == 66.67  # 10 / 15 = 66.666...
	assert win_rate(0, 0) == 0.0
	assert win_rate(3, 0) == 100.0
	with pytest.raises(ValueError, match="lost"):
		win_rate(1, -1)


def test_average_deal_sizes():
	assert average_open_deal_size(2500000, 23) == Decimal("108695.65")  # 108695.652...
	assert average_deal_size(2500000, 23) == Decimal("108695.65")
	assert average_deal_size(0, 0) == Decimal("0.00")
	assert average_deal_size(100, 3) == Decimal("33.33")
	assert average_deal_size(200, 3) == Decimal("66.67")
	assert average_deal_size("0.05", 2) == Decimal("0.03")  # 0.025 half up
	with pytest.raises(ValueError, match="won_value_total"):
		average_deal_size(-1, 1)
	with pytest.raises(ValueError, match="won_count"):
		average_deal_size(1, -1)
	with pytest.raises(ValueError, match="open_count"):
		average_open_deal_size(1, 1.5)


def test_pipeline_value():
	assert pipeline_value([100.10, "200.205", None, 0]) == Decimal("300.31")  # 100.10 + 200.21
	assert pipeline_value([]) == Decimal("0.00")
	with pytest.raises(ValueError, match="value"):
		pipeline_value([-1])


def test_average_sales_cycle_days():
	assert average_sales_cycle_days(450, 15) == 30.0
	assert average_sales_cycle_days(100, 3) == 33.3
	assert average_sales_cycle_days(101, 6) == 16.8  # 16.833
	assert average_sales_cycle_days(1, 4) == 0.3  # 0.25 half up
	assert average_sales_cycle_days(0, 0) == 0.0
	with pytest.raises(ValueError, match="closed_count"):
		average_sales_cycle_days(10, -1)
	with pytest.raises(ValueError, match="total_days"):
		average_sales_cycle_days(-10, 1)


def test_pipeline_velocity():
	# 23 x 0.6667 x 100000 / 30 = 51113.666... -> 51113.67 per day
	assert pipeline_velocity(23, 66.67, 100000, 30.0) == Decimal("51113.67")
	assert pipeline_velocity(10, 50, 1000, 0) == Decimal("0.00")
	assert pipeline_velocity(0, 50, 1000, 10) == Decimal("0.00")
	with pytest.raises(ValueError, match="win_rate_percent"):
		pipeline_velocity(1, 101, 1, 1)
	with pytest.raises(ValueError, match="average_cycle_days"):
		pipeline_velocity(1, 50, 1, -1)
	with pytest.raises(ValueError, match="open_count"):
		pipeline_velocity(-1, 50, 1, 1)


def test_retention_rate():
	assert retention_rate(100, 110, 20) == 90.0  # (110 - 20) / 100
	assert retention_rate(100, 130, 10) == 100.0  # 120 clamps to 100
	assert retention_rate(100, 10, 20) == 0.0  # -10 clamps to 0
	assert retention_rate(0, 10, 10) == 0.0
	assert retention_rate(3, 3, 1) == 66.67
	with pytest.raises(ValueError, match="new_customers"):
		retention_rate(1, 1, -1)


AGGREGATES = {
	"total_customers": 150,
	"total_leads": 200,
	"active_leads": 45,
	"converted_leads": 25,
	"open_opportunities": 23,
	"pipeline_value": Decimal("2500000"),
	"won_count": 10,
	"won_value": 1000000,
	"lost_count": 5,
	"closed_cycle_days_total": 450,
	"closed_count": 15,
	"recent_interactions": [{"name": "INT-1", "interaction_date": date(2024, 5, 1), "subject": "Call"}],
	"top_opportunities": [{"name": "OPP-1", "opportunity_value": Decimal("500000.005")}],
	"stage_pipeline": {"Proposal": Decimal("1500000"), "Negotiation": 1000000},
	"leads_by_source": {"Website": 20, "Referral": 25},
}


def test_build_dashboard():
	d = build_dashboard(AGGREGATES)
	assert d == {
		"total_customers": 150,
		"active_leads": 45,
		"open_opportunities": 23,
		"pipeline_value": 2500000.0,
		"conversion_rate": 12.5,  # 25 / 200
		"average_open_deal_size": 108695.65,  # 2500000 / 23
		"recent_interactions": [{"name": "INT-1", "interaction_date": date(2024, 5, 1), "subject": "Call"}],
		"top_opportunities": [{"name": "OPP-1", "opportunity_value": 500000.01}],
		"stage_pipeline": {"Proposal": 1500000.0, "Negotiation": 1000000.0},
		"leads_by_source": {"Website": 20, "Referral": 25},
		"conversion_metrics": {
			"lead_to_customer_rate": 12.5,
			"win_rate": 66.67,  # 10 / 15
			"average_sales_cycle_days": 30.0,  # 450 / 15
			"average_won_deal_size": 100000.0,  # 1000000 / 10 won
			"pipeline_velocity": 51113.67,  # 23 x 0.6667 x 100000 / 30
		},
	}


def test_build_dashboard_empty_is_json_friendly():
	d = build_dashboard({})
	assert (
		d["active_leads"] == 0
		and d["average_open_deal_size"] == 0.0
		and d["conversion_metrics"]["pipeline_velocity"] == 0.0
	)
	assert d["recent_interactions"] == [] and d["stage_pipeline"] == {}
	json.dumps(d)


@pytest.mark.parametrize(
	"key,value",
	[
		("open_opportunities", -1),
		("pipeline_value", -5),
		("won_count", "3"),
		("total_customers", -1),
		("leads_by_source", {"Web": -1}),
		("stage_pipeline", {"X": -1}),
	],
)
def test_build_dashboard_errors_name_the_aggregate(key, value):
	with pytest.raises(ValueError, match=key):
		build_dashboard({**AGGREGATES, key: value})


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_rates_within_bounds(a, b):
	assert 0 <= win_rate(a, b) <= 100
	lo, hi = sorted((a, b))
	assert 0 <= conversion_rate(lo, hi) <= 100


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_retention_within_bounds(start, end, new):
	assert 0 <= retention_rate(start, end, new) <= 100
