"""Per-customer aggregates for health scores and segments, each kind from ONE grouped query for all
customers asked for (chunked IN lists when names are given).

Windows: "within N days" of `day` means dated from `day - N` (00:00) up to the end of `day`; later-dated
records (scheduled meetings) are ignored.
"""

from datetime import date

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Max, Sum
from frappe.utils import add_days, add_years, getdate

from crm_module import constants
from crm_module.services.bulk import count_if, run_chunked

PROFILE_FIELDS = (
	"name",
	"creation",
	"status",
	"company_name",
	"account_owner",
	"lifecycle_stage",
	"segment",
	"industry",
	"company_size",
	"engagement_level",
	"health_score",
	"risk_level",
	"health_updated_on",
	"satisfaction_rating",
	"nps_score",
)


def profiles(names: list[str] | None) -> list[dict]:
	cust = frappe.qb.DocType(constants.CUSTOMER)

	def query(chunk):
		q = frappe.qb.from_(cust).select(*(cust[f] for f in PROFILE_FIELDS))
		return q.where(cust.name.isin(chunk)) if chunk is not None else q

	return run_chunked(query, names)


def interaction_stats(names: list[str] | None, day: date) -> dict[str, dict]:
	"""{customer: counts within 30/90 days, distinct types and sentiments within 90 days, last date}."""
	inter = frappe.qb.DocType(constants.INTERACTION)
	since90, since30, until = add_days(day, -90), add_days(day, -30), add_days(day, 1)
	in90 = inter.interaction_date >= since90

	def query(chunk):
		q = (
			frappe.qb.from_(inter)
			.select(
				inter.customer.as_("customer"),
				count_if(in90).as_("interactions_90d"),
				count_if(inter.interaction_date >= since30).as_("interactions_30d"),
				Count(Case().when(in90, inter.interaction_type)).distinct().as_("types_90d"),
				count_if(in90 & (inter.sentiment == "Positive")).as_("positive_90d"),
				count_if(in90 & (inter.sentiment == "Neutral")).as_("neutral_90d"),
				count_if(in90 & (inter.sentiment == "Negative")).as_("negative_90d"),
				Max(inter.interaction_date).as_("last_interaction"),
			)
			.where(inter.customer.isnotnull() & (inter.interaction_date < until))
			.groupby(inter.customer)
		)
		return q.where(inter.customer.isin(chunk)) if chunk is not None else q

	return {row.customer: row for row in run_chunked(query, names)}


def last_other_activity(names: list[str] | None, day: date) -> dict[str, object]:
	"""{customer: latest timeline entry made by people, not an interaction (stage changes, notes...)}."""
	timeline = frappe.qb.DocType(constants.TIMELINE)

	def query(chunk):
		q = (
			frappe.qb.from_(timeline)
			.select(timeline.customer.as_("customer"), Max(timeline.activity_date).as_("last"))
			.where(
				timeline.customer.isnotnull()
				& timeline.activity_type.notin(["Interaction", "Health Risk Change"])
				& (timeline.activity_date < add_days(day, 1))
			)
			.groupby(timeline.customer)
		)
		return q.where(timeline.customer.isin(chunk)) if chunk is not None else q

	return {row.customer: row["last"] for row in run_chunked(query, names)}


def opportunity_stats(names: list[str] | None) -> dict[str, dict]:
	"""{customer: open opportunities and their total value (pipeline_value)}."""
	opp = frappe.qb.DocType(constants.OPPORTUNITY)

	def query(chunk):
		q = (
			frappe.qb.from_(opp)
			.select(
				opp.customer.as_("customer"),
				Count("*").as_("open_opportunities"),
				Sum(opp.value).as_("pipeline_value"),
			)
			.where(opp.status == "Open")
			.groupby(opp.customer)
		)
		return q.where(opp.customer.isin(chunk)) if chunk is not None else q

	return {row.customer: row for row in run_chunked(query, names)}


def feedback(names: list[str] | None, day: date) -> dict[str, dict]:
	"""{customer: {"ratings": [...], "nps": [...]}} recorded on interactions within a year."""
	inter = frappe.qb.DocType(constants.INTERACTION)

	def query(chunk):
		q = (
			frappe.qb.from_(inter)
			.select(inter.customer, inter.satisfaction_rating, inter.nps_score)
			.where(
				inter.customer.isnotnull()
				& (inter.interaction_date >= add_years(day, -1))
				& (inter.interaction_date < add_days(day, 1))
				& ((inter.satisfaction_rating != "") | (inter.nps_score != ""))
			)
		)
		return q.where(inter.customer.isin(chunk)) if chunk is not None else q

	out: dict[str, dict] = {}
	for row in run_chunked(query, names):
		entry = out.setdefault(row.customer, {"ratings": [], "nps": []})
		if row.satisfaction_rating not in (None, ""):
			entry["ratings"].append(int(row.satisfaction_rating))
		if row.nps_score not in (None, ""):
			entry["nps"].append(int(row.nps_score))
	return out


def days_since(value, day: date) -> int | None:
	return None if not value else max(0, (day - getdate(value)).days)
