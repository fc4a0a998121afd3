"""Desk endpoints for lead scoring, conversion prediction, customer health and segments.

Each endpoint calls one service; the services check who may do what."""

import frappe

from crm_module.services.insights import health, prediction, scoring, segments


@frappe.whitelist(methods=["POST"])
def score_lead(lead: str, scores: dict | str | None = None, scoring_date: str | None = None) -> dict:
	"""Score a lead now (computed, or explicit component scores validated against the settings)."""
	return scoring.score_lead(lead, scores, scoring_date)


@frappe.whitelist()
@frappe.read_only()
def get_score_history(lead: str, limit: int = 90) -> list[dict]:
	"""The lead's score rows, oldest first (for the score-history chart)."""
	return scoring.get_score_history(lead, limit)


@frappe.whitelist(methods=["POST"])
def enqueue_bulk_scoring(leads: list | str | None = None) -> dict:
	"""Score the given leads (default: all active leads) in the background with a progress bar."""
	return scoring.enqueue_bulk_scoring(leads)


@frappe.whitelist(methods=["POST"])
def train_prediction_model() -> dict:
	"""Retrain the conversion model from converted vs lost leads and refresh active leads' predictions."""
	return prediction.retrain()


@frappe.whitelist()
@frappe.read_only()
def get_latest_health_score(customer: str) -> dict | None:
	return health.get_latest_health_score(customer)


@frappe.whitelist(methods=["POST"])
def evaluate_segment(segment: str) -> dict:
	"""Re-evaluate a dynamic segment now."""
	return segments.refresh_segment(segment)


@frappe.whitelist()
@frappe.read_only()
def get_segment_members(segment: str, start: int = 0, limit: int = 100) -> dict:
	return segments.get_segment_members(segment, start, limit)
