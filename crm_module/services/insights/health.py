"""Customer health: gather inputs set-based (`customer_stats`), compute with `crm_module.domain.health`,
store one CRM Customer Health Score per customer per day (re-running a day replaces its rows), keep the
profile on the latest row, and notify the account owner once when a customer falls into Red."""

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime, today

from crm_module import constants
from crm_module.domain import health
from crm_module.exceptions import CRMNotFoundError
from crm_module.services import bulk
from crm_module.services.common import get_record
from crm_module.services.insights import customer_stats
from crm_module.services.integrations import webhooks
from crm_module.services.settings import get_health_weights
from crm_module.services.timeline import record_system_entries

ROW_FIELDS = (
	"health_score",
	"risk_level",
	"engagement_score",
	"activity_score",
	"satisfaction_score",
	"delta_7d",
	"delta_30d",
	"recommendations",
	"factors",
)


def _profile_feedback(profile: dict) -> tuple[list[float], list[int]]:
	rating = profile.get("satisfaction_rating")
	nps = profile.get("nps_score")
	return (
		[float(rating)] if rating and 1 <= float(rating) <= 5 else [],
		[int(nps)] if nps not in (None, "") else [],
	)


def gather_inputs(names: list[str] | None, day: date) -> tuple[list[dict], dict[str, health.HealthInputs]]:
	"""Profiles and their `HealthInputs` (five set-based queries whatever the number of customers)."""
	profiles = customer_stats.profiles(names)
	interactions = customer_stats.interaction_stats(names, day)
	other = customer_stats.last_other_activity(names, day)
	opportunities = customer_stats.opportunity_stats(names)
	feedback = customer_stats.feedback(names, day)
	inputs = {}
	for profile in profiles:
		interaction = interactions.get(profile.name) or {}
		last = max(filter(None, (interaction.get("last_interaction"), other.get(profile.name))), default=None)
		ratings, nps = _profile_feedback(profile)
		fb = feedback.get(profile.name, {})
		inputs[profile.name] = health.HealthInputs(
			interactions_30d=int(interaction.get("interactions_30d") or 0),
			interactions_90d=int(interaction.get("interactions_90d") or 0),
			days_since_last_activity=customer_stats.days_since(last, day),
			interaction_types_90d=int(interaction.get("types_90d") or 0),
			positive_90d=int(interaction.get("positive_90d") or 0),
			neutral_90d=int(interaction.get("neutral_90d") or 0),
			negative_90d=int(interaction.get("negative_90d") or 0),
			open_opportunities=int((opportunities.get(profile.name) or {}).get("open_opportunities") or 0),
			satisfaction_ratings=fb.get("ratings", []) + ratings,
			nps_scores=fb.get("nps", []) + nps,
		)
	return profiles, inputs


def stored_scores(names: list[str], days: list[date]) -> dict[tuple[str, date], dict]:
	"""{(customer, score_date): row} for the given days (one query per chunk of customers)."""
	table = frappe.qb.DocType(constants.HEALTH_SCORE)
	out = {}
	for chunk in bulk.chunks(names):
		rows = (
			frappe.qb.from_(table)
			.select(table.customer, table.score_date, table.health_score, table.risk_level)
			.where(table.customer.isin(list(chunk)) & table.score_date.isin(days))
			.run(as_dict=True)
		)
		out.update({(r.customer, getdate(r.score_date)): r for r in rows})
	return out


def compute_rows(names: list[str] | None, day: date) -> tuple[list[dict], list[dict], list[dict]]:
	"""Health rows for `day`, the profiles that fall into Red with it (not already Red that day) and all
	profiles."""
	weights = get_health_weights()
	profiles, inputs = gather_inputs(names, day)
	keys = [profile.name for profile in profiles]
	d7, d30 = getdate(add_days(day, -7)), getdate(add_days(day, -30))
	stored = stored_scores(keys, [day, d7, d30])
	previous = bulk.latest_rows(constants.HEALTH_SCORE, "customer", "score_date", keys, before=day)
	rows, fell_red = [], []
	results: dict[tuple, health.HealthResult] = {}  # customers with the same facts share one result
	for profile in profiles:
		facts = inputs[profile.name]
		result = results.get(facts.key())
		if result is None:
			result = results[facts.key()] = health.compute_health(facts, weights)
		past = [(stored.get((profile.name, d)) or {}).get("health_score") for d in (d7, d30)]
		trend = health.trend(result.score, *past)
		rows.append(health_row(profile.name, day, result, trend))
		already_red = (stored.get((profile.name, day)) or {}).get("risk_level") == "Red"
		prior = (previous.get(profile.name) or {}).get("risk_level")
		if health.crossed_into_red(prior, result.risk_level) and not already_red:
			fell_red.append(
				{
					**profile,
					"health_score": result.score,
					"recommendations": result.recommendations,
					"prior_risk_level": prior,
				}
			)
	return rows, fell_red, profiles


def health_row(
	customer: str, day: date, result: health.HealthResult, trend: dict, recommendations=None
) -> dict:
	"""The CRM Customer Health Score values of one customer's result for `day` (recommendations default to
	the result's own)."""
	return {
		"customer": customer,
		"score_date": day,
		"health_score": result.score,
		"risk_level": result.risk_level,
		"engagement_score": result.engagement,
		"activity_score": result.activity,
		"satisfaction_score": result.satisfaction,
		# Int columns are NOT NULL: no earlier row stores 0 here and null in factors["trend"]
		"delta_7d": trend["delta_7d"] or 0,
		"delta_30d": trend["delta_30d"] or 0,
		"recommendations": "\n".join(result.recommendations if recommendations is None else recommendations),
		"factors": frappe.as_json({**result.factors, "trend": trend}, indent=None),
	}


def notify_red(profiles: list[dict]) -> None:
	"""Customers that fell into Red: a timeline entry each (one query for all), and one Notification Log
	per account owner (one query for all owners): the customer itself when it is the owner's only one,
	else a digest naming them. A first run after an import turns thousands Red at once; that must not
	write thousands of documents one by one. Frappe Webhooks on the profile hear of it too (`webhooks`)."""
	webhooks.fell_red(profiles)
	record_system_entries(
		[
			{
				"customer": p["name"],
				"activity_type": "Health Risk Change",
				"title": _("Health fell to Red ({0})").format(p["health_score"]),
				"description": "\n".join(p["recommendations"]),
				"metadata": {"health_score": p["health_score"], "risk_level": "Red"},
				"is_important": True,
			}
			for p in profiles
		]
	)
	by_owner: dict[str, list[dict]] = {}
	for p in profiles:
		if p.get("account_owner"):
			by_owner.setdefault(p["account_owner"], []).append(p)
	if not by_owner:
		return
	now, sender = now_datetime(), frappe.session.user
	fields = ["name", "creation", "modified", "owner", "modified_by", "for_user", "type", "from_user"]
	fields += ["document_type", "document_name", "subject", "email_content", "read"]
	rows = []
	for owner, fell in by_owner.items():
		subject, content = red_digest(fell)
		document_name = fell[0]["name"] if len(fell) == 1 else None
		name = frappe.generate_hash(length=10)
		rows.append(
			[
				name,
				now,
				now,
				sender,
				sender,
				owner,
				"Alert",
				sender,
				constants.CUSTOMER,
				document_name,
				subject,
				content,
				0,
			]
		)
	bulk.insert_rows("Notification Log", fields, rows)


DIGEST_NAMES = 10


def red_digest(fell: list[dict]) -> tuple[str, str]:
	"""(subject, body) of the alert telling an owner which of their customers fell into Red."""
	if len(fell) == 1:
		p = fell[0]
		subject = _("{0} is at risk: health score {1} (Red)").format(p["company_name"], p["health_score"])
		return subject, "<br>".join(p["recommendations"])
	worst = sorted(fell, key=lambda p: p["health_score"])
	names = ", ".join(p["company_name"] for p in worst[:DIGEST_NAMES])
	more = len(fell) - DIGEST_NAMES
	subject = _("{0} of your customers fell into Red: {1}").format(len(fell), names)
	if more > 0:
		subject += " " + _("and {0} more").format(more)
	body = "<br>".join(f"{p['company_name']}: {p['health_score']}" for p in worst)
	return subject[:140], body


def compute_all_health_scores(score_date: str | None = None, names: list[str] | None = None) -> dict:
	"""Daily job: score every customer (or `names`) for the day, replacing that day's rows."""
	day = getdate(score_date or today())
	rows, fell_red, profiles = compute_rows(names, day)
	for chunk in bulk.chunks(rows, 5000):
		bulk.replace_day_rows(constants.HEALTH_SCORE, "customer", "score_date", day, list(chunk), "CRM-HS-")
	# the profile follows its latest row: skip customers already scored for a later day
	current = {p.name for p in profiles if not p.health_updated_on or getdate(p.health_updated_on) <= day}
	profile_values = {
		r["customer"]: {
			"health_score": r["health_score"],
			"risk_level": r["risk_level"],
			"health_updated_on": day,
		}
		for r in rows
		if r["customer"] in current
	}
	bulk.update_values(constants.CUSTOMER, profile_values)
	notify_red(fell_red)
	return {"scored": len(rows), "score_date": str(day), "fell_red": len(fell_red)}


def record_health_score(customer: str, score_date: str | None = None) -> dict:
	"""Compute and store one customer's health score for the day (through the document) and return it."""
	if not frappe.db.exists(constants.CUSTOMER, customer):
		frappe.throw(_("{0} {1} not found").format(_(constants.CUSTOMER), customer), CRMNotFoundError)
	day = getdate(score_date or today())
	(row,), fell_red, _profiles = compute_rows([customer], day)
	name = frappe.db.get_value(constants.HEALTH_SCORE, {"customer": customer, "score_date": day})
	doc = frappe.get_doc(constants.HEALTH_SCORE, name) if name else frappe.new_doc(constants.HEALTH_SCORE)
	doc.update(row)
	doc.save(ignore_permissions=True)
	notify_red(fell_red)
	return as_result(doc.as_dict())


def get_latest_health_score(customer: str) -> dict | None:
	"""The latest health row of a customer the session user may read, or None when it was never scored."""
	get_record(constants.CUSTOMER, customer, "customer")
	rows = frappe.get_all(
		constants.HEALTH_SCORE,
		filters={"customer": customer},
		fields=["name", "customer", "score_date", *ROW_FIELDS],
		order_by="score_date desc",
		limit=1,
	)
	return as_result(rows[0]) if rows else None


def as_result(row: dict) -> dict:
	return {
		"name": row["name"],
		"customer": row["customer"],
		"score_date": str(row["score_date"]),
		**{f: row.get(f) for f in ROW_FIELDS},
		"factors": frappe.parse_json(row.get("factors") or "{}"),
		"recommendations": [r for r in (row.get("recommendations") or "").split("\n") if r],
	}
