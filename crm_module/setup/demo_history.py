"""A year of daily customer health and weekly lead scores for the demo, computed as the nightly jobs would
have computed them on each of those days.

Pure Python over the plan (crm_module/setup/demo_plan.py): the inputs of each day are read from the
plan's interactions, timeline and opportunities with the windows of `services/insights/customer_stats.py` and
`services/insights/scoring.py`, and scored by the same domain functions (`domain.health.compute_health`,
`domain.lead_scoring.compute_lead_score`), so the rows the real jobs write for today continue these series
without a jump. Days strictly before `today` only: today's rows come from the jobs themselves.
"""

import json
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta

from crm_module.domain import health as health_rules
from crm_module.domain import lead_scoring
from crm_module.services.insights.health import health_row
from crm_module.setup.demo_plan import PREFIX, Plan

HISTORY_DAYS = 365
SCORE_EVERY = 7  # days between two lead scores in the history
# past 90 days without activity every recency part is 0: such days share one result (see `quiet_text`)
QUIET = 91
# results by (weights, inputs): the domain's exact arithmetic is the slow part, and a second demo in the
# same process (the test makes it twice) meets the same inputs again
RESULTS: dict[tuple, health_rules.HealthResult] = {}


def year_before(day: date) -> date:
	try:
		return day.replace(year=day.year - 1)
	except ValueError:  # 29 February
		return day.replace(year=day.year - 1, day=28)


class Facts:
	"""One record's dated facts, sorted, for window counts by bisection."""

	def __init__(self, rows: list[tuple]):
		rows.sort(key=lambda r: r[0])
		self.dates = [r[0] for r in rows]
		self.rows = rows

	def window(self, start: date, day: date) -> list[tuple]:
		return self.rows[bisect_left(self.dates, start) : bisect_right(self.dates, day)]

	def last(self, day: date) -> date | None:
		end = bisect_right(self.dates, day)
		return self.dates[end - 1] if end else None


def last_of(dates: list[date], day: date) -> date | None:
	end = bisect_right(dates, day)
	return dates[end - 1] if end else None


def health_rows(plan: Plan, today: date, weights: health_rules.HealthWeights) -> tuple[list[dict], dict]:
	"""Daily CRM Customer Health Score rows of every demo customer over the last year (before today), and
	{customer: its latest row}."""
	by_customer: dict[str, list[tuple]] = {}
	for i in plan.interactions:
		if i["customer"]:
			by_customer.setdefault(i["customer"], []).append(
				(
					i["interaction_date"].date(),
					i["interaction_type"],
					i["sentiment"],
					int(i["satisfaction_rating"]) if i["satisfaction_rating"] else None,
					int(i["nps_score"]) if i["nps_score"] else None,
				)
			)
	opportunities: dict[str, list[tuple]] = {}
	for o in plan.opportunities:
		opportunities.setdefault(o["customer"], []).append((o["creation"].date(), o["actual_close_date"]))
	rows, latest, counter = [], {}, 0
	for customer in plan.customers:
		name = customer["name"]
		facts = Facts(by_customer.get(name, []))
		others = sorted(d.date() for d in plan.customer_activity.get(name, []))
		deals = opportunities.get(name, [])
		first = max(customer["creation"].date(), today - timedelta(days=HISTORY_DAYS))
		series: dict[date, int] = {}
		day = first
		while day < today:
			in90 = facts.window(day - timedelta(days=90), day)
			since30 = day - timedelta(days=30)
			feedback = facts.window(year_before(day), day)
			last = max(filter(None, (facts.last(day), last_of(others, day))), default=None)
			quiet = None if last is None else (day - last).days
			key = (
				sum(1 for r in in90 if r[0] >= since30),
				len(in90),
				None if quiet is None else min(quiet, QUIET),
				len({r[1] for r in in90}),
				sum(1 for r in in90 if r[2] == "Positive"),
				sum(1 for r in in90 if r[2] == "Neutral"),
				sum(1 for r in in90 if r[2] == "Negative"),
				sum(1 for created, closed in deals if created <= day and (closed is None or closed > day)),
				tuple(sorted(r[3] for r in feedback if r[3] is not None)),  # averaged: order is moot
				tuple(sorted(r[4] for r in feedback if r[4] is not None)),
			)
			result = RESULTS.get((weights, key))
			if result is None:
				inputs = health_rules.HealthInputs(
					interactions_30d=key[0],
					interactions_90d=key[1],
					days_since_last_activity=key[2],
					interaction_types_90d=key[3],
					positive_90d=key[4],
					neutral_90d=key[5],
					negative_90d=key[6],
					open_opportunities=key[7],
					satisfaction_ratings=list(key[8]),
					nps_scores=list(key[9]),
				)
				result = RESULTS[(weights, key)] = health_rules.compute_health(inputs, weights)
			trend = health_rules.trend(
				result.score, series.get(day - timedelta(days=7)), series.get(day - timedelta(days=30))
			)
			series[day] = result.score
			counter += 1
			when = datetime.combine(day, datetime.min.time()).replace(hour=3)
			row = {
				"name": f"{PREFIX}HS-{counter:06d}",
				"creation": when,
				"modified": when,
				"owner": "Administrator",
				"modified_by": "Administrator",
				**health_row(
					name, day, result, trend, [quiet_text(r, quiet) for r in result.recommendations]
				),
			}
			rows.append(row)
			latest[name] = row
			day += timedelta(days=1)
	return rows, latest


def quiet_text(recommendation: str, quiet: int | None) -> str:
	"""A recommendation of a day computed with the days without activity capped at `QUIET`, with the
	real number of days."""
	if quiet is None or quiet <= QUIET:
		return recommendation
	return recommendation.replace(f"No interaction in {QUIET} days", f"No interaction in {quiet} days")


def lead_properties(lead: dict) -> dict:
	"""What scoring reads of a lead (`services/lead_inputs.lead_properties`)."""
	return {
		"name": lead["name"],
		"source": lead["source"],
		"industry": lead["industry"],
		"company_size": lead["company_size"],
		"email_id": lead["email_id"],
		"email": lead["email_id"],
		"phone": lead["phone"],
		"job_title": lead["job_title"],
		"country": lead["country"],
		"website": lead["website"],
		"quality": lead["quality"],
		"status": lead["status"],
	}


def score_rows(plan: Plan, today: date, config: lead_scoring.ScoringConfig) -> tuple[list[dict], dict]:
	"""Weekly CRM Lead Score rows of every demo lead from its creation until it was decided (or until
	before today), and {lead: its latest row}."""
	by_lead: dict[str, list[tuple]] = {}
	for i in plan.interactions:
		if i["lead"]:
			by_lead.setdefault(i["lead"], []).append(
				(i["interaction_date"].date(), i["interaction_type"], i["sentiment"])
			)
	rows, latest, counter = [], {}, 0
	for lead in plan.leads:
		facts = Facts(by_lead.get(lead["name"], []))
		others = sorted(d.date() for d in plan.lead_activity.get(lead["name"], []))
		properties = lead_properties(lead)
		decided = lead["_decided"].date() if lead["_decided"] else None
		days = []
		day = lead["creation"].date() + timedelta(days=1)
		end = min(decided, today - timedelta(days=1)) if decided else today - timedelta(days=1)
		while day <= end:
			days.append(day)
			day += timedelta(days=SCORE_EVERY)
		if decided and decided < today and (not days or days[-1] != decided):
			days.append(decided)  # the last score is the one of the day it was decided
		for day in days:
			in90 = facts.window(day - timedelta(days=90), day)
			since30 = day - timedelta(days=30)
			other90 = [d for d in others if day - timedelta(days=90) <= d <= day]
			last = max(filter(None, (facts.last(day), last_of(others, day))), default=None)
			stats = {
				"interactions_90d": len(in90),
				"meetings_90d": sum(1 for r in in90 if r[1] == "Meeting"),
				"positive": sum(1 for r in in90 if r[2] == "Positive"),
				"neutral": sum(1 for r in in90 if r[2] == "Neutral"),
				"negative": sum(1 for r in in90 if r[2] == "Negative"),
				"activities_30d": sum(1 for r in in90 if r[0] >= since30)
				+ sum(1 for d in other90 if d >= since30),
				"activities_90d": len(in90) + len(other90),
				"days_since_last_activity": None if last is None else (day - last).days,
			}
			result = lead_scoring.compute_lead_score(properties, stats, config)
			counter += 1
			when = datetime.combine(day, datetime.min.time()).replace(hour=3)
			row = {
				"name": f"{PREFIX}LS-{counter:06d}",
				"creation": when,
				"modified": when,
				"owner": "Administrator",
				"modified_by": "Administrator",
				"lead": lead["name"],
				"scoring_date": day,
				"grade": result.grade,
				"total_score": result.total,
				"engagement_score": result.engagement,
				"fit_score": result.fit,
				"activity_score": result.activity,
				"factors": json.dumps(result.factors),
			}
			rows.append(row)
			latest[lead["name"]] = row
	return rows, latest
