"""Churn prediction on the site's own history (`crm_module.domain.churn` holds the model).

Nightly (a step of `services/daily.py`, after health): gather every customer's facts set-based, train on
all customers (an even sample of at most 5,000; churned = status Inactive or lifecycle stage Churned), store the model in CRM Module
Settings, and write the churn probability, its reasons and the date on every *active* customer with one
bulk update. Without enough history the customers say so instead of showing a number.

The facts are the customers' facts today, so a churned customer's long silence is partly a consequence of
churning; the model still ranks active customers by how much they look like the ones that left, which is
what the "at risk" list is for (`evaluate_site` prints how well it separates them on held-out customers).
"""

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count, Date
from frappe.utils import add_days, getdate, now_datetime, today

from crm_module import constants
from crm_module.domain import churn as domain
from crm_module.services import bulk
from crm_module.services.bulk import count_if, run_chunked
from crm_module.services.insights import customer_stats

# Newton steps cost rows x features^2: a few thousand customers fit the model as well as 100,000 do
TRAINING_SAMPLE = 5000


def closed_stats(names: list[str] | None, day: date) -> dict[str, dict]:
	"""{customer: opportunities won and lost within 365 days of `day`} (one grouped query)."""
	opp = frappe.qb.DocType(constants.OPPORTUNITY)
	closed_on = Coalesce(opp.actual_close_date, Date(opp.modified))

	def query(chunk):
		q = (
			frappe.qb.from_(opp)
			.select(
				opp.customer.as_("customer"),
				count_if(opp.status == "Won").as_("won_365d"),
				count_if(opp.status == "Lost").as_("lost_365d"),
				Count("*").as_("closed"),
			)
			.where(opp.status.isin(["Won", "Lost"]) & (closed_on >= add_days(day, -365)))
			.groupby(opp.customer)
		)
		return q.where(opp.customer.isin(chunk)) if chunk is not None else q

	return {row.customer: row for row in run_chunked(query, names)}


def is_churned(profile) -> bool:
	return profile.get("status") == "Inactive" or profile.get("lifecycle_stage") == "Churned"


def gather_facts(names: list[str] | None, day: date) -> tuple[list[dict], dict[str, dict]]:
	"""Profiles and their churn facts (`domain.churn.FEATURES`), six set-based queries in all."""
	profiles = customer_stats.profiles(names)
	keys = [profile.name for profile in profiles]
	interactions = customer_stats.interaction_stats(names, day)
	opportunities = customer_stats.opportunity_stats(names)
	closed = closed_stats(names, day)
	feedback = customer_stats.feedback(names, day)
	month_ago = bulk.latest_rows(
		constants.HEALTH_SCORE, "customer", "score_date", keys, before=add_days(day, -29)
	)
	facts = {}
	for profile in profiles:
		stats = interactions.get(profile.name) or {}
		sentiments = sum(int(stats.get(k) or 0) for k in ("positive_90d", "neutral_90d", "negative_90d"))
		ratings = (feedback.get(profile.name) or {}).get("ratings", [])
		if profile.satisfaction_rating not in (None, ""):
			ratings = [*ratings, int(profile.satisfaction_rating)]
		scored = bool(profile.health_updated_on)
		past = (month_ago.get(profile.name) or {}).get("health_score")
		facts[profile.name] = {
			"days_since_last_interaction": customer_stats.days_since(stats.get("last_interaction"), day),
			"interactions_90d": int(stats.get("interactions_90d") or 0),
			"health_score": profile.health_score if scored else None,
			"health_change_30d": (profile.health_score - past) if scored and past is not None else 0,
			"open_opportunities": int((opportunities.get(profile.name) or {}).get("open_opportunities") or 0),
			"won_365d": int((closed.get(profile.name) or {}).get("won_365d") or 0),
			"lost_365d": int((closed.get(profile.name) or {}).get("lost_365d") or 0),
			"satisfaction": sum(ratings) / len(ratings) if ratings else None,
			"negative_share_90d": int(stats.get("negative_90d") or 0) / sentiments if sentiments else 0,
			"tenure_days": customer_stats.days_since(profile.creation, day) or 0,
		}
	return profiles, facts


def sample(rows: list[dict], size: int = TRAINING_SAMPLE) -> list[dict]:
	"""At most `size` rows, evenly spread (every k-th), so the churn rate stays the site's."""
	if len(rows) <= size:
		return rows
	stride = len(rows) / size
	return [rows[int(i * stride)] for i in range(size)]


def predict_churn(day: str | None = None) -> dict:
	"""Nightly: train on every customer and store the probability on the active ones."""
	day = getdate(day or today())
	profiles, facts = gather_facts(None, day)
	history = [{**facts[profile.name], "churned": is_churned(profile)} for profile in profiles]
	model = domain.train(sample(history))
	churned = sum(1 for row in history if row["churned"])
	for field, value in (
		("churn_model", frappe.as_json(model.to_dict(), indent=None) if model else None),
		("churn_trained_on", now_datetime()),
		("churn_history_size", len(history)),
	):
		frappe.db.set_single_value(constants.SETTINGS, field, value)
	active = [profile for profile in profiles if not is_churned(profile)]
	if model is None:
		reason = _(
			"Not enough history yet: {0} customers, {1} of them churned (needs {2}, and {3} of each)"
		).format(len(history), churned, domain.MIN_HISTORY, domain.MIN_CLASS_ROWS)
		values = {
			p.name: {"churn_probability": 0, "churn_reasons": reason, "churn_updated_on": day} for p in active
		}
	else:
		values = {}
		for profile in active:
			prediction = domain.predict(model, facts[profile.name])
			values[profile.name] = {
				"churn_probability": prediction.probability,
				"churn_reasons": ", ".join(_(reason) for reason in prediction.reasons),
				"churn_updated_on": day,
			}
	bulk.update_values(constants.CUSTOMER, values)
	return {
		"status": "trained" if model else "not_enough_history",
		"history": len(history),
		"churned": churned,
		"predicted": len(values),
	}


def evaluate_site(test_share: float = 0.3) -> dict:
	"""Hold out the last `test_share` of the site's customers (by name) and print the model's AUC on them
	next to the health score's."""
	profiles, facts = gather_facts(None, getdate(today()))
	rows = [{**facts[p.name], "churned": is_churned(p)} for p in sorted(profiles, key=lambda p: p.name)]
	try:
		result = domain.evaluate(rows, test_share)
	except ValueError as error:  # a held-out part with one class only
		result = {"status": "not_enough_history", "reason": str(error)}
	print(f"churn model on {frappe.local.site}'s {len(rows)} customers: {result}")
	return result
