"""A revenue forecast that learns from the site's own deal history, with an interval and a measured error.

Definitions:

- A deal's history (`Deal`): value, owner, the day it was created, the day it closed and how (won / lost), its
  stage changes ``(day, stage probability %)``, its expected close date changes ``(day, expected close)`` and the
  days it had activity (interactions).
- The *snapshot* of a deal on day ``t`` (the first day of a month): the deal is open when it was created before
  ``t`` and had not closed before ``t``. Its facts (`FEATURES`): the stage probability on ``t``, ln(1 + days in that
  stage), ln(1 + activities in the 30 days before ``t``), ln(1 + value), the owner's win rate among their deals
  closed before ``t`` (``(won + 1) / (closed + 2)``), how often the expected close date had moved later, the months
  from ``t``'s month to the expected close month (clipped to -3..6) and whether that is ``t``'s month.
- The model: two logistic regressions (`logistic.fit`) over (deal, month) examples of the history before ``t``:
  won in that month, and lost in that month. A deal's chance to be won in month ``k`` after ``t`` (0 = ``t``'s own
  month) is the chance it stays open through the months before (``1 - won - lost`` each) times its chance to be
  won in month ``k``, its facts aged by ``k`` months (30 more days in stage, the close month ``k`` nearer).
- New business: deals created and won within one month are no snapshot's; the forecast adds the mean of that
  revenue over the last ``RUN_RATE_MONTHS`` months.
- The expected revenue of a month is the sum of value x chance, plus new business. Its spread is
  ``sqrt(sum value^2 p (1 - p) + variance of new business)``. The interval (P10-P90) is the expected revenue plus
  the 10th and 90th percentiles of the model's own past standardised errors ``(actual - expected) / spread`` times
  the spread (calibrated on the months already backtested; with fewer than ``MIN_RESIDUALS`` of them, +-1.2816
  spreads, the normal 80 % interval), never below 0.
- The stage-weighted forecast of a month (what CRMs show): value x stage probability of the deals open on ``t``
  whose expected close date, as known on ``t``, falls in that month.

The backtest and a generated history with known dynamics are in `forecast_backtest`.
"""

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from crm_module.domain import logistic

FEATURES = (
	"stage_probability",
	"days_in_stage",
	"activity_30d",
	"value",
	"owner_win_rate",
	"slips",
	"months_to_close",
	"closes_this_month",
)
MAX_EXAMPLES = 4000  # training rows at most (an even sample per month), so a fit stays fast in plain Python
RUN_RATE_MONTHS = 6
PRIOR_MONTHS = 6
MIN_EXAMPLES = 50
Z80 = 1.2816


@dataclass
class Deal:
	name: str
	owner: str
	value: float
	created: date
	closed: date | None = None
	won: bool = False
	stages: list[tuple[date, float]] = field(default_factory=list)  # (day, probability %), by day
	expected_closes: list[tuple[date, date]] = field(default_factory=list)  # (day, expected close), by day
	activity: list[date] = field(default_factory=list)  # sorted

	def open_on(self, day: date) -> bool:
		return self.created < day and (self.closed is None or self.closed >= day)


@dataclass
class MonthForecast:
	month: date
	expected: float
	low: float
	high: float
	spread: float
	weighted: float  # the stage-weighted forecast of the same month


@dataclass
class Model:
	won: logistic.Fit | None
	lost: logistic.Fit | None
	run_rate: float
	run_rate_variance: float
	residuals: list[float]


def month_start(day: date) -> date:
	return day.replace(day=1)


def add_months(day: date, months: int) -> date:
	index = day.year * 12 + day.month - 1 + months
	return date(index // 12, index % 12 + 1, 1)


def months_between(a: date, b: date) -> int:
	"""Whole months from ``a``'s month to ``b``'s month."""
	return (b.year - a.year) * 12 + b.month - a.month


def _last_before(pairs: Sequence[tuple[date, object]], day: date):
	"""The value of the last pair dated on or before ``day`` (None when there is none)."""
	index = bisect.bisect_right([d for d, _ in pairs], day)
	return pairs[index - 1] if index else None


def owner_rates(deals: Iterable[Deal], day: date) -> dict[str, float]:
	"""Each owner's smoothed win rate among their deals closed before ``day``."""
	won: dict[str, int] = {}
	closed: dict[str, int] = {}
	for deal in deals:
		if deal.closed is not None and deal.closed < day:
			closed[deal.owner] = closed.get(deal.owner, 0) + 1
			won[deal.owner] = won.get(deal.owner, 0) + (1 if deal.won else 0)
	return {owner: (won[owner] + 1) / (closed[owner] + 2) for owner in closed}


def facts(deal: Deal, day: date, rates: dict[str, float], ahead: int = 0) -> list[float]:
	"""The model's inputs for an open deal on ``day`` (see the module docstring), aged by ``ahead`` months."""
	stage = _last_before(deal.stages, day)
	probability, since = (stage[1], stage[0]) if stage else (0.0, deal.created)
	expected = _last_before(deal.expected_closes, day)
	close = expected[1] if expected else None
	slips = 0
	previous = None
	for changed, value in deal.expected_closes:
		if changed > day:
			break
		if previous is not None and value > previous:
			slips += 1
		previous = value
	start = bisect.bisect_left(deal.activity, day - timedelta(days=30))
	recent = bisect.bisect_left(deal.activity, day) - start
	months_to_close = months_between(day, close) - ahead if close else 6
	months_to_close = max(-3, min(6, months_to_close))
	return [
		float(probability),
		math.log1p(max(0, (day - since).days) + 30 * ahead),
		math.log1p(recent),
		math.log1p(max(0.0, deal.value)),
		rates.get(deal.owner, 0.5),
		float(slips),
		float(months_to_close),
		1.0 if months_to_close == 0 else 0.0,
	]


def _month_outcome(deal: Deal, start: date, end: date) -> tuple[bool, bool]:
	"""(won in [start, end), lost in [start, end))."""
	if deal.closed is None or not (start <= deal.closed < end):
		return False, False
	return deal.won, not deal.won


def examples(
	deals: Sequence[Deal], first: date, until: date
) -> tuple[list[list[float]], list[bool], list[bool]]:
	"""Training rows: the deals open on the first day of each month from ``first`` to the month before ``until``,
	with whether each was won / lost in that month. At most ``MAX_EXAMPLES`` rows in all: a month with more open
	deals than its share gives an even sample of them (every n-th), so a fit costs the same at any size."""
	months = max(1, months_between(first, until))
	per_month = max(1, MAX_EXAMPLES // months)
	rows: list[list[float]] = []
	won: list[bool] = []
	lost: list[bool] = []
	month = first
	while month < until:
		end = add_months(month, 1)
		rates = owner_rates(deals, month)
		open_deals = [deal for deal in deals if deal.open_on(month)]
		stride = max(1, math.ceil(len(open_deals) / per_month))
		for deal in open_deals[::stride]:
			rows.append(facts(deal, month, rates))
			w, lo = _month_outcome(deal, month, end)
			won.append(w)
			lost.append(lo)
		month = end
	return rows, won, lost


def new_business(deals: Iterable[Deal], month: date) -> float:
	"""Revenue of the deals created and won within ``month``."""
	end = add_months(month, 1)
	return sum(
		d.value
		for d in deals
		if d.won and d.closed is not None and month <= d.created < end and d.closed < end
	)


def _fit(rows, labels, start):
	if len(rows) < MIN_EXAMPLES or sum(labels) < 3 or len(labels) - sum(labels) < 3:
		return None
	return logistic.fit(rows, labels, l2=1.0, max_steps=25, start=start)


def train(
	deals: Sequence[Deal],
	first: date,
	until: date,
	residuals: Sequence[float] = (),
	previous: Model | None = None,
) -> Model:
	"""The model for forecasting from ``until`` on, learned from the months ``first`` .. ``until`` - 1."""
	rows, won, lost = examples(deals, first, until)
	recent = [new_business(deals, add_months(until, -k)) for k in range(1, RUN_RATE_MONTHS + 1)]
	recent = [
		r
		for r, k in zip(recent, range(1, RUN_RATE_MONTHS + 1), strict=True)
		if add_months(until, -k) >= first
	]
	mean = sum(recent) / len(recent) if recent else 0.0
	variance = sum((r - mean) ** 2 for r in recent) / (len(recent) - 1) if len(recent) > 1 else 0.0
	return Model(
		_fit(rows, won, previous.won if previous else None),
		_fit(rows, lost, previous.lost if previous else None),
		mean,
		variance,
		list(residuals),
	)


def interval_scale(residuals: Sequence[float]) -> float:
	"""How much wider than the spread the model's own past errors say the interval must be: the root mean square
	of the standardised residuals, shrunk towards 1 as if ``PRIOR_MONTHS`` months had erred by exactly one spread."""
	return math.sqrt((PRIOR_MONTHS + sum(r * r for r in residuals)) / (PRIOR_MONTHS + len(residuals)))


def weighted_forecast(deals: Iterable[Deal], day: date, month: date) -> float:
	"""The stage-weighted forecast of ``month`` from the pipeline on ``day``."""
	total = 0.0
	for deal in deals:
		if not deal.open_on(day):
			continue
		expected = _last_before(deal.expected_closes, day)
		stage = _last_before(deal.stages, day)
		if expected and month_start(expected[1]) == month and stage:
			total += deal.value * stage[1] / 100
	return total


def chances(
	model: Model, deals: Sequence[Deal], day: date, months: int = 3, rates: dict[str, float] | None = None
) -> dict[str, list[float]]:
	"""{deal: its chance to be won in each of ``months`` months from ``day``'s month} for the deals open on
	``day``. ``rates``: the owners' win rates, when ``deals`` are not the whole history."""
	rates = owner_rates(deals, day) if rates is None else rates
	result = {}
	for deal in deals:
		if not deal.open_on(day):
			continue
		survival, row = 1.0, []
		for k in range(months):
			x = facts(deal, day, rates, ahead=k)
			p_won = model.won.probability(x) if model.won else 0.0
			p_lost = model.lost.probability(x) if model.lost else 0.0
			row.append(survival * p_won)
			survival *= max(0.0, 1 - p_won - p_lost)
		result[deal.name] = row
	return result


def month_total(
	model: Model, values_and_chances: Iterable[tuple[float, float]]
) -> tuple[float, float, float, float]:
	"""(expected, low, high, spread) of one month from (value, chance) pairs and the model's new business."""
	expected = model.run_rate
	variance = model.run_rate_variance
	for value, p in values_and_chances:
		expected += value * p
		variance += value**2 * p * (1 - p)
	spread = math.sqrt(variance)
	half = Z80 * spread * interval_scale(model.residuals)
	return (
		round(expected, 2),
		round(max(0.0, expected - half), 2),
		round(max(0.0, expected + half), 2),
		round(spread, 2),
	)


def forecast(
	model: Model, deals: Sequence[Deal], day: date, months: int = 3, rates: dict[str, float] | None = None
) -> list[MonthForecast]:
	"""Expected revenue per month for ``months`` months from ``day``'s month, with P10-P90 and the stage-weighted
	figure beside it."""
	by_deal = chances(model, deals, day, months, rates)
	open_deals = [deal for deal in deals if deal.name in by_deal]
	result = []
	for k in range(months):
		month = add_months(month_start(day), k)
		expected, low, high, spread = month_total(model, ((d.value, by_deal[d.name][k]) for d in open_deals))
		result.append(
			MonthForecast(
				month, expected, low, high, spread, round(weighted_forecast(open_deals, day, month), 2)
			)
		)
	return result
