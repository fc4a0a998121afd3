"""The learned revenue forecast on this site (`crm_module.domain.forecast_model`): deal histories read from the
database, the model trained nightly with its measured error, and each user's forecast from it.

* Histories: every opportunity with its stage changes (CRM Deal Stage rows: the probability of ``to_stage`` from
  ``moved_on``; before the first change, ``from_stage`` since creation), its expected close date changes (the
  opportunity's Version rows: CRM Opportunity tracks changes) and the days of its interactions. A fixed number
  of queries whatever the size.
* Training: the nightly run (step ``learned_forecast``) backtests the last `BACKTEST_MONTHS` months walk-forward
  (their errors calibrate the interval; their MAPE, beside the stage-weighted forecast's, is the measured error
  shown to users), trains on the last `TRAIN_MONTHS` months and gives every open deal its chances for this month
  and the next two. All of it is cached (`crm_module.caching`) for two days; a missing one is queued for training.
* A user's forecast: the open deals the user reaches (the row rules) with their chances, summed per month with
  the interval (`forecast_model.month_total`); the stage-weighted figure beside it is the same deals'; this month
  also counts what the user has already won in it.

Money is summed as stored, in each deal's currency, like the other forecast figures.
"""

import json
from collections import defaultdict
from datetime import date

import frappe
from frappe.query_builder import DocType
from frappe.query_builder.functions import Count, Sum
from frappe.utils import add_days, getdate, nowdate
from frappe.utils.dateutils import parse_date, user_to_str
from pypika.functions import Date

from crm_module import caching, constants
from crm_module.domain import forecast_backtest as backtests
from crm_module.domain import forecast_model as fm
from crm_module.permissions import get_query_conditions
from crm_module.services.pipeline import get_all_stages
from crm_module.services.reporting.metrics import RowCondition, require_read

MODEL_KEY = "crm_module:learned_forecast"
MODEL_TTL = 2 * 24 * 3600
BACKTEST_MONTHS = 12
TRAIN_MONTHS = 18
MONTHS_AHEAD = 3
MIN_CLOSED = 30  # closed deals needed before a model is worth training


# ------------------------------------------------------------------ histories


def load_deals() -> list[fm.Deal]:
	"""The history of every opportunity of the site."""
	opp = DocType(constants.OPPORTUNITY)
	query = frappe.qb.from_(opp).select(
		opp.name,
		opp.opportunity_owner,
		opp.value,
		opp.creation,
		opp.modified,
		opp.status,
		opp.actual_close_date,
		opp.expected_close_date,
		opp.stage,
	)
	rows = query.run(as_dict=True)
	if not rows:
		return []
	names = [row.name for row in rows]
	probability = {stage["name"]: float(stage["probability"] or 0) for stage in get_all_stages()}
	moves = stage_moves(names)
	closes = close_date_changes(names)
	activity = activity_days(names)
	deals = []
	for row in rows:
		created = getdate(row.creation)
		closed = None
		if row.status in ("Won", "Lost"):
			closed = getdate(row.actual_close_date or row.modified)
		history = moves.get(row.name, [])
		stages = []
		if not history or history[0][1]:  # the stage it was created in, when no move records it
			stages.append((created, probability.get(history[0][1] if history else row.stage, 0.0)))
		stages += [(day, probability.get(stage, 0.0)) for day, _from, stage in history if stage]
		expected = closes.get(row.name)
		if expected is None:
			expected = [(created, getdate(row.expected_close_date))] if row.expected_close_date else []
		deals.append(
			fm.Deal(
				row.name,
				row.opportunity_owner or "",
				float(row.value or 0),
				created,
				closed,
				row.status == "Won",
				stages,
				expected,
				activity.get(row.name, []),
			)
		)
	return deals


def _chunks(names: list[str], size: int = 5000):
	for start in range(0, len(names), size):
		yield names[start : start + size]


def stage_moves(names: list[str]) -> dict[str, list[tuple[date, str, str]]]:
	"""{opportunity: [(day, from_stage, to_stage)]} in the order they happened."""
	moves: dict[str, list] = defaultdict(list)
	for chunk in _chunks(names):
		for row in frappe.get_all(
			constants.DEAL_STAGE,
			filters={"opportunity": ("in", chunk)},
			fields=["opportunity", "from_stage", "to_stage", "moved_on"],
			order_by="moved_on asc, creation asc",
		):
			moves[row.opportunity].append((getdate(row.moved_on), row.from_stage, row.to_stage))
	return moves


def close_date_changes(names: list[str]) -> dict[str, list[tuple[date, date]]]:
	"""{opportunity: [(day, expected close)]} from the Version rows that changed the expected close date."""
	changes: dict[str, list] = {}
	for chunk in _chunks(names):
		for row in frappe.get_all(
			"Version",
			filters={
				"ref_doctype": constants.OPPORTUNITY,
				"docname": ("in", chunk),
				"data": ("like", "%expected_close_date%"),
			},
			fields=["docname", "creation", "data"],
			order_by="creation asc",
		):
			for field, old, new in json.loads(row.data or "{}").get("changed") or []:
				if field != "expected_close_date" or not new:
					continue
				history = changes.setdefault(row.docname, [])
				if not history and old:
					history.append((date.min, version_date(old)))
				history.append((getdate(row.creation), version_date(new)))
	return changes


def version_date(value: str) -> date:
	"""A date as a Version row stores it: formatted in the system's date format when it was saved."""
	try:
		return getdate(user_to_str(value, frappe.db.get_default("date_format") or "dd-mm-yyyy"))
	except ValueError:
		return getdate(parse_date(value))  # the format changed since: the most likely reading


def activity_days(names: list[str]) -> dict[str, list[date]]:
	"""{opportunity: sorted days with interactions}, one grouped query per chunk."""
	interaction = DocType(constants.INTERACTION)
	days: dict[str, list[date]] = defaultdict(list)
	day = Date(interaction.interaction_date)
	for chunk in _chunks(names):
		for name, on, count in (
			frappe.qb.from_(interaction)
			.select(interaction.opportunity, day, Count("*"))
			.where(interaction.opportunity.isin(chunk))
			.groupby(interaction.opportunity, day)
			.orderby(day)
		).run():
			days[name].extend([getdate(on)] * int(count))
	return days


# ------------------------------------------------------------------ model


def train_model(deals: list[fm.Deal] | None = None, today: date | None = None) -> dict:
	"""Backtest the last months, train on the history and cache both (the nightly step)."""
	deals = load_deals() if deals is None else deals
	month = fm.month_start(today or getdate(nowdate()))
	closed = sum(1 for deal in deals if deal.closed is not None)
	if closed < MIN_CLOSED:
		result = {"status": "not_enough_history", "closed": closed}
		caching.store(MODEL_KEY, result, ttl=MODEL_TTL)
		return result
	first = max(fm.month_start(min(deal.created for deal in deals)), fm.add_months(month, -TRAIN_MONTHS))
	tested = backtests.backtest(deals, first, fm.add_months(month, -1), warmup=0, months=BACKTEST_MONTHS)
	residuals = [row.residual for row in tested["rows"] if row.residual is not None]
	model = fm.train(deals, first, month, residuals)
	day = today or getdate(nowdate())
	for deal in deals:  # the pipeline of today includes the deals created today
		deal.created = min(deal.created, add_days(day, -1))
	result = {
		"status": "trained",
		"model": model,
		"chances": fm.chances(model, deals, day, MONTHS_AHEAD),
		"trained_on": str(month),
		"months": tested["months"],
		"mape_model": tested.get("mape_model"),
		"mape_weighted": tested.get("mape_weighted"),
		"coverage": tested.get("coverage"),
	}
	caching.store(MODEL_KEY, result, ttl=MODEL_TTL)
	return result


def get_model() -> dict:
	"""The trained model with each open deal's chances; when none is cached (a new site, an expired cache) the
	training is queued (it takes about a minute at 100,000 deals) and the answer says so."""
	found = caching.cached(MODEL_KEY, lambda: None)  # read only: a miss is trained below, not here
	if found is not None:
		return found
	if frappe.flags.in_test:
		return train_model()
	frappe.enqueue(
		"crm_module.services.sales.learned_forecast.train_model",
		queue="long",
		job_id="crm_learned_forecast_training",
		deduplicate=True,
		enqueue_after_commit=True,
	)
	return {"status": "training"}


def site_backtest() -> dict:
	"""The walk-forward backtest over this site's whole history (the benchmark's "site" line)."""
	deals = load_deals()
	if sum(1 for deal in deals if deal.closed is not None) < MIN_CLOSED:
		return {"status": "not enough closed deals to backtest"}
	first = fm.month_start(min(deal.created for deal in deals))
	last = fm.add_months(fm.month_start(getdate(nowdate())), -1)
	return backtests.backtest(deals, first, last)


# ------------------------------------------------------------------ a user's forecast


def won_this_month(condition: str | None, month: date) -> float:
	opp = DocType(constants.OPPORTUNITY)
	query = (
		frappe.qb.from_(opp)
		.select(Sum(opp.value))
		.where(opp.status == "Won")
		.where(opp.actual_close_date >= month)
		.where(opp.actual_close_date < fm.add_months(month, 1))
	)
	if condition:
		query = query.where(RowCondition(condition))
	return float(query.run()[0][0] or 0)


def get_learned_forecast(user: str) -> dict:
	"""The model's forecast of the deals `user` reaches: ``{"status", "months": [{month, expected, low, high,
	weighted}], "mape_model", "mape_weighted", "coverage", "backtest_months"}``. Each open deal counts with the
	chances the nightly run gave it; a deal opened since counts at its probability in its expected close month
	(as the stage-weighted forecast counts it) until the next run. Two queries, whatever the history."""
	require_read(constants.OPPORTUNITY, user)
	trained = get_model()
	if trained.get("status") != "trained":
		return {"status": trained.get("status"), "months": []}
	condition = get_query_conditions(constants.OPPORTUNITY, user, sets_only=True) or None
	opp = DocType(constants.OPPORTUNITY)
	query = (
		frappe.qb.from_(opp)
		.select(opp.name, opp.value, opp.probability_percent, opp.expected_close_date)
		.where(opp.status == "Open")
	)
	if condition:
		query = query.where(RowCondition(condition))
	deals = query.run(as_dict=True)
	today = getdate(nowdate())
	this_month = fm.month_start(today)
	won = won_this_month(condition, this_month)
	chances = trained.get("chances") or {}
	months = []
	for k in range(MONTHS_AHEAD):
		month = fm.add_months(this_month, k)
		pairs, weighted = [], 0.0
		for deal in deals:
			value = float(deal.value or 0)
			stage_chance = float(deal.probability_percent or 0) / 100
			in_month = (
				bool(deal.expected_close_date) and fm.month_start(getdate(deal.expected_close_date)) == month
			)
			weighted += value * stage_chance if in_month else 0.0
			chance = chances[deal.name][k] if deal.name in chances else (stage_chance if in_month else 0.0)
			pairs.append((value, chance))
		expected, low, high, _spread = fm.month_total(trained["model"], pairs)
		extra = won if k == 0 else 0.0
		months.append(
			{
				"month": month.strftime("%Y-%m"),
				"expected": round(expected + extra, 2),
				"low": round(low + extra, 2),
				"high": round(high + extra, 2),
				"weighted": round(weighted + extra, 2),
			}
		)
	return {
		"status": "trained",
		"months": months,
		"mape_model": trained["mape_model"],
		"mape_weighted": trained["mape_weighted"],
		"coverage": trained["coverage"],
		"backtest_months": trained["months"],
	}
