"""Desk endpoints for lead scoring, conversion prediction, customer health and segments."""

import frappe
from frappe import _

from crm_module import constants as c
from crm_module.permissions import check_access, is_unrestricted
from crm_module.services import health, prediction, scoring, segments
from crm_module.utils import throw_input


def _only_managers() -> None:
	if not is_unrestricted(frappe.session.user):
		frappe.throw(_("Only CRM Managers can do this"), frappe.PermissionError)


@frappe.whitelist(methods=["POST"])
def score_lead(lead: str, scores: dict | str | None = None, scoring_date: str | None = None) -> dict:
	"""Score a lead now (computed, or explicit component scores validated against the settings)."""
	check_access(c.LEAD, lead, "write")
	if isinstance(scores, str) and scores.strip():
		try:
			scores = frappe.parse_json(scores)
		except ValueError:
			throw_input(_("Scores (scores) must be a JSON object"))
	return scoring.score_lead(lead, scores or None, scoring_date)


@frappe.whitelist()
def get_score_history(lead: str, limit: int = 90) -> list[dict]:
	"""The lead's score rows, oldest first (for the score-history chart)."""
	check_access(c.LEAD, lead, "read")
	rows = frappe.get_all(
		c.LEAD_SCORE,
		filters={"lead": lead},
		fields=["scoring_date", "total_score", "grade", "engagement_score", "fit_score", "activity_score"],
		order_by="scoring_date desc",
		limit=min(int(limit), 366),
	)
	return rows[::-1]


@frappe.whitelist(methods=["POST"])
def enqueue_bulk_scoring(leads: list | str | None = None) -> dict:
	"""Score the given leads (default: all open leads) in the background with a progress bar."""
	_only_managers()
	names = frappe.parse_json(leads) if isinstance(leads, str) and leads else leads
	if names is not None and not isinstance(names, list):
		throw_input(_("Leads (leads) must be a list of lead names"))
	return scoring.enqueue_bulk_scoring(names or None)


@frappe.whitelist(methods=["POST"])
def train_prediction_model() -> dict:
	"""Retrain the conversion model from converted vs lost leads and refresh open leads' predictions."""
	_only_managers()
	summary = prediction.train_model()
	summary["predicted"] = prediction.predict_leads()
	return summary


@frappe.whitelist(methods=["POST"])
def recompute_health(customer: str) -> dict:
	"""Recompute today's health score of a customer."""
	check_access(c.CUSTOMER, customer, "read")
	return health.record_health_score(customer)


@frappe.whitelist()
def get_latest_health_score(customer: str) -> dict | None:
	check_access(c.CUSTOMER, customer, "read")
	return health.get_latest_health_score(customer)


@frappe.whitelist(methods=["POST"])
def evaluate_segment(segment: str) -> dict:
	"""Re-evaluate a dynamic segment now."""
	if not frappe.has_permission(c.SEGMENT, "write", segment):
		frappe.throw(_("Not permitted to evaluate segment {0}").format(segment), frappe.PermissionError)
	return segments.evaluate_segment(segment)


@frappe.whitelist()
def get_segment_members(segment: str, start: int = 0, limit: int = 100) -> dict:
	if not frappe.has_permission(c.SEGMENT, "read", segment):
		frappe.throw(_("Not permitted to read segment {0}").format(segment), frappe.PermissionError)
	return segments.get_segment_members(segment, int(start), min(int(limit), 1000))
