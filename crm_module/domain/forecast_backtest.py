"""Backtest of the learned revenue forecast (`forecast_model`), and a generated deal history with known dynamics.

- Backtest (`backtest`): for each month from the ``warmup``-th on, the pipeline as it stood on the first day, the
  model trained on the months before, the forecast of that month against the revenue actually won in it (deals
  created in the month included). The error of a month is ``|forecast - actual| / actual`` (months with nothing
  won are left out); MAPE is its mean; coverage is the share of months whose actual lies within the interval.
"""

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from crm_module.domain import logistic
from crm_module.domain.forecast_model import (
	Deal,
	add_months,
	forecast,
	month_start,
	months_between,
	train,
)


def won_in(deals: Iterable[Deal], month: date) -> float:
	end = add_months(month, 1)
	return sum(d.value for d in deals if d.won and d.closed is not None and month <= d.closed < end)


@dataclass
class BacktestMonth:
	month: date
	actual: float
	expected: float
	low: float
	high: float
	weighted: float
	residual: float | None = None  # (actual - expected) / spread


def backtest(
	deals: Sequence[Deal], first: date, last: date, warmup: int = 6, months: int | None = None
) -> dict:
	"""Walk forward month by month to ``last``, from ``warmup`` months after ``first`` (or over the last ``months``
	months only), training each month on the months since ``first`` (see the module docstring)."""
	rows: list[BacktestMonth] = []
	residuals: list[float] = []
	model = None
	month = add_months(month_start(first), warmup)
	if months is not None:
		month = max(month, add_months(month_start(last), 1 - months))
	while month <= last:
		model = train(deals, month_start(first), month, residuals, model)
		(predicted,) = forecast(model, deals, month, months=1)
		actual = won_in(deals, month)
		residual = (actual - predicted.expected) / predicted.spread if predicted.spread > 0 else None
		rows.append(
			BacktestMonth(
				month, actual, predicted.expected, predicted.low, predicted.high, predicted.weighted, residual
			)
		)
		if residual is not None:
			residuals.append(residual)
		month = add_months(month, 1)
	return summary(rows)


def summary(months: Sequence[BacktestMonth]) -> dict:
	scored = [m for m in months if m.actual > 0]
	if not scored:
		return {"months": len(months), "scored": 0, "rows": months}

	def mape(values):
		return round(
			100
			* sum(abs(v - m.actual) / m.actual for v, m in zip(values, scored, strict=True))
			/ len(scored),
			1,
		)

	covered = sum(1 for m in months if m.low <= m.actual <= m.high)
	return {
		"months": len(months),
		"scored": len(scored),
		"mape_model": mape([m.expected for m in scored]),
		"mape_weighted": mape([m.weighted for m in scored]),
		"coverage": round(100 * covered / len(months), 1),
		"rows": months,
	}


# ------------------------------------------------------------------ generated history with known dynamics

STAGE_PROBABILITIES = (10.0, 25.0, 50.0, 75.0)


def _poisson(rng: random.Random, mean: float) -> int:
	limit, k, product = math.exp(-mean), 0, rng.random()
	while product > limit:
		k += 1
		product *= rng.random()
	return k


def synthetic_history(
	months: int = 36, deals_per_month: int = 90, reps: int = 8, seed: int = 7
) -> tuple[list[Deal], date, date]:
	"""Deals whose course follows known dynamics (for the backtest and tests): reps differ in skill; engaged deals
	have more activity, advance faster and win more; deals win mostly in the late stages and are lost more the
	older they get; reps set close dates optimistically (one to three months out) and push them two to eight
	weeks later each time one passes, and a deal pushed often wins less and is lost more (the pipeline's
	zombies, which keep their stage probability). Returns (deals, first month, last month)."""
	rng = random.Random(seed)
	first = date(2024, 1, 1)
	skills = {f"rep{i}@example.com": rng.uniform(-0.7, 0.7) for i in range(reps)}
	owners = list(skills)
	deals: list[Deal] = []
	state: list[dict] = []
	for index in range(months):
		month = add_months(first, index)
		end = add_months(month, 1)
		days = (end - month).days
		for n in range(_poisson(rng, deals_per_month)):
			created = month + timedelta(days=rng.randrange(days))
			deal = Deal(
				f"D{index:02d}-{n:03d}",
				rng.choice(owners),
				round(math.exp(rng.gauss(math.log(8000), 0.6)), 2),
				created,
				stages=[(created, STAGE_PROBABILITIES[0])],
				expected_closes=[(created, created + timedelta(days=rng.randint(30, 90)))],
			)
			deals.append(deal)
			state.append({"deal": deal, "stage": 0, "engagement": rng.gauss(0, 1), "since": created})
		for item in state:
			deal = item["deal"]
			if deal.closed is not None:
				continue
			start = max(month, deal.created)
			span = (end - start).days
			if span <= 0:
				continue
			share = span / days
			engagement = item["engagement"]
			for _ in range(_poisson(rng, share * max(0.3, 2.5 + 1.5 * engagement))):
				deal.activity.append(start + timedelta(days=rng.randrange(span)))
			deal.activity.sort()
			if item["stage"] < 3 and rng.random() < share * (0.6 + 0.15 * engagement):
				item["stage"] += 1
				item["since"] = start + timedelta(days=rng.randrange(span))
				deal.stages.append((item["since"], STAGE_PROBABILITIES[item["stage"]]))
			age = months_between(deal.created, month)
			slips = len(deal.expected_closes) - 1
			win = logistic.sigmoid(
				-5.0 + 1.5 * item["stage"] + 0.7 * engagement + skills[deal.owner] - 0.3 * slips
			)
			loss = logistic.sigmoid(-2.6 - 0.3 * item["stage"] - 0.4 * engagement + 0.1 * age + 0.3 * slips)
			draw = rng.random()
			if draw < share * win:
				deal.won = True
			if draw < share * (win + loss):
				deal.closed = max(start, item["since"]) + timedelta(
					days=rng.randrange(max(1, (end - max(start, item["since"])).days))
				)
				if deal.closed >= end:
					deal.closed = end - timedelta(days=1)
				continue
			expected = deal.expected_closes[-1][1]
			if expected < end:  # the close date passed: the rep pushes it out
				pushed = end + timedelta(days=rng.randint(14, 60))
				deal.expected_closes.append((end, pushed))
	return deals, first, add_months(first, months - 1)
