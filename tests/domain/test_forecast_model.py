"""The learned revenue forecast (crm_module/domain/forecast_model.py): facts, the month arithmetic, the interval
and the backtest, with hand-computed figures."""

import math
from datetime import date

import pytest

from crm_module.domain import forecast_backtest as bt
from crm_module.domain import forecast_model as fm
from crm_module.domain.logistic import Fit


def deal(**kw):
	base = {
		"name": "D1",
		"owner": "a@x",
		"value": 1000.0,
		"created": date(2026, 1, 10),
		"stages": [(date(2026, 1, 10), 10.0), (date(2026, 2, 20), 50.0)],
		"expected_closes": [(date(2026, 1, 10), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 4, 15))],
		"activity": [date(2026, 2, 1), date(2026, 2, 27), date(2026, 3, 5)],
	}
	base.update(kw)
	return fm.Deal(**base)


def test_month_arithmetic():
	assert fm.add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
	assert fm.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
	assert fm.months_between(date(2026, 3, 1), date(2026, 4, 15)) == 1
	assert fm.months_between(date(2026, 3, 1), date(2025, 12, 31)) == -3


def test_facts_of_a_deal_on_the_first_of_a_month():
	x = fm.facts(deal(), date(2026, 3, 1), {"a@x": 0.6})
	assert x == [
		50.0,  # stage on 1 March
		pytest.approx(math.log1p(9)),  # 20 Feb -> 1 March
		pytest.approx(math.log1p(2)),  # 1 and 27 February are within the 30 days before 1 March
		pytest.approx(math.log1p(1000)),
		0.6,
		1.0,  # pushed from 28 February to 15 April on 1 March
		1.0,  # April is one month after March
		0.0,
	]
	aged = fm.facts(deal(), date(2026, 3, 1), {}, ahead=1)
	assert aged[1] == pytest.approx(math.log1p(39)) and aged[4] == 0.5 and aged[6:] == [0.0, 1.0]


def test_open_and_owner_rates():
	won = deal(name="W", closed=date(2026, 2, 10), won=True)
	lost = deal(name="L", closed=date(2026, 2, 12))
	assert not won.open_on(date(2026, 3, 1)) and won.open_on(date(2026, 2, 1))
	assert fm.owner_rates([won, lost, deal()], date(2026, 3, 1)) == {"a@x": 0.5}  # (1 + 1) / (2 + 2)
	assert fm.owner_rates([won], date(2026, 3, 1)) == {"a@x": pytest.approx(2 / 3)}


def test_weighted_forecast_counts_deals_expected_in_the_month():
	deals = [
		deal(name="A", value=1000.0),  # April, 50 % -> 500
		deal(name="B", value=333.33, stages=[(date(2026, 1, 10), 75.0)]),  # April, 75 % -> 249.9975
		deal(name="C", expected_closes=[(date(2026, 1, 10), date(2026, 5, 2))]),  # May
		deal(name="D", closed=date(2026, 2, 1)),  # closed
	]
	assert fm.weighted_forecast(deals, date(2026, 4, 1), date(2026, 4, 1)) == pytest.approx(749.9975)


def test_interval_scale_shrinks_towards_one():
	assert fm.interval_scale([]) == 1.0
	assert fm.interval_scale([2.0] * 6) == pytest.approx(math.sqrt(30 / 12))
	assert fm.interval_scale([0.0] * 6) == pytest.approx(math.sqrt(0.5))


def constant(p: float) -> Fit:
	return Fit(
		[0.0] * len(fm.FEATURES), math.log(p / (1 - p)), [0.0] * len(fm.FEATURES), [1.0] * len(fm.FEATURES)
	)


def test_forecast_sums_survival_times_chance_plus_new_business():
	model = fm.Model(constant(0.2), constant(0.1), run_rate=100.0, run_rate_variance=400.0, residuals=[])
	deals = [deal(name="A", value=1000.0), deal(name="B", value=500.0)]
	march, april = fm.forecast(model, deals, date(2026, 3, 1), months=2)
	assert march.expected == pytest.approx(100 + 0.2 * 1500)  # 400.00
	spread = math.sqrt(400 + (1000**2 + 500**2) * 0.2 * 0.8)
	assert march.spread == pytest.approx(round(spread, 2))
	assert march.low == 0.0  # 400 - 1.2816 x 573.2 is below zero
	assert march.high == pytest.approx(round(400 + 1.2816 * spread, 2))
	assert april.expected == pytest.approx(100 + 0.7 * 0.2 * 1500)  # open through March: 1 - 0.2 - 0.1
	assert march.weighted == 0.0 and april.weighted == pytest.approx(750.0)


def test_the_interval_never_goes_below_zero():
	model = fm.Model(constant(0.5), constant(0.1), 0.0, 0.0, [])
	(month,) = fm.forecast(model, [deal()], date(2026, 3, 1), months=1)
	assert month.expected == 500.0 and month.low == 0.0 and month.high == pytest.approx(500 + 1.2816 * 500)


def test_new_business_and_won_in():
	quick = deal(name="Q", created=date(2026, 3, 3), closed=date(2026, 3, 20), won=True, value=250.0)
	late = deal(name="L", created=date(2026, 2, 3), closed=date(2026, 3, 20), won=True, value=100.0)
	assert fm.new_business([quick, late], date(2026, 3, 1)) == 250.0
	assert bt.won_in([quick, late], date(2026, 3, 1)) == 350.0


def test_summary_of_backtested_months():
	rows = [
		bt.BacktestMonth(date(2026, 1, 1), 100.0, 110.0, 90.0, 130.0, 150.0),
		bt.BacktestMonth(date(2026, 2, 1), 200.0, 180.0, 185.0, 195.0, 100.0),
		bt.BacktestMonth(date(2026, 3, 1), 0.0, 50.0, 0.0, 80.0, 10.0),
	]
	result = bt.summary(rows)
	assert result["scored"] == 2
	assert result["mape_model"] == 10.0  # (10 % + 10 %) / 2
	assert result["mape_weighted"] == 50.0  # (50 % + 50 %) / 2
	assert result["coverage"] == pytest.approx(66.7)  # January and March inside


def test_on_generated_history_the_model_halves_the_weighted_error():
	deals, first, last = bt.synthetic_history(months=24, seed=3)
	result = bt.backtest(deals, first, last)
	assert result["months"] == 18
	assert result["mape_model"] * 2 <= result["mape_weighted"], result
	assert 60 <= result["coverage"] <= 95, result
