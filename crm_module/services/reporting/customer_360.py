"""Customer 360: what the customer form shows about one customer, gathered in one read.

Health trend (daily CRM Customer Health Score rows), the latest score with its factors and
recommendations, open opportunities with their place in the pipeline, primary contacts, pinned notes, the
activity timeline and the next follow-ups (open ToDos on the customer and its opportunities and contacts,
next steps of its interactions). Access is checked once on the customer (`get_record`: 404 / 403), and the
parts come from the services that already check it again for their own callers (health, timeline, notes,
opportunities, contacts); everything else read here hangs off the customer, so whoever reads the customer
reads it (`crm_module/access/rules.py`).
"""

import frappe
from frappe.utils import add_days, cint, getdate, strip_html, today

from crm_module import constants
from crm_module.services import contacts, notes, opportunities, timeline
from crm_module.services.common import get_record
from crm_module.services.insights import health
from crm_module.services.pipeline import get_pipeline_stages

HISTORY_DAYS = 365
MAX_HISTORY_DAYS = 730
TIMELINE_ROWS = 50
CONTACT_ROWS = 5
NOTE_ROWS = 5
FOLLOW_UP_ROWS = 10
NEXT_STEP_LOOKBACK_DAYS = 30  # next steps that fell due this long ago still show, as overdue
TEXT_LENGTH = 280


def get_customer_360(customer: str | None, days: int = HISTORY_DAYS) -> dict:
	"""Everything about `customer` the session user may read; 400 without one, 404 unknown, 403 outside
	their reach."""
	profile = get_record(constants.CUSTOMER, customer, "customer")
	days = min(max(cint(days) or HISTORY_DAYS, 1), MAX_HISTORY_DAYS)
	opportunity_rows = opportunities.get_opportunities_by_customer(profile.name)
	contact_rows = contacts.get_contacts(profile.name)
	return {
		"customer": profile.name,
		"company_name": profile.company_name,
		"health": {
			"latest": health.get_latest_health_score(profile.name),
			"history": health_history(profile.name, days),
			"days": days,
		},
		"opportunities": open_opportunities(opportunity_rows),
		"opportunity_counts": {
			status: sum(1 for row in opportunity_rows if row.status == status)
			for status in ("Open", "Won", "Lost")
		},
		"contacts": [contact_summary(row) for row in contact_rows[:CONTACT_ROWS]],
		"contact_count": len(contact_rows),
		"pinned_notes": pinned_notes(profile.name),
		"timeline": [
			timeline_row(row) for row in timeline.get_activity_timeline(profile.name, TIMELINE_ROWS, 0, True)
		],
		"follow_ups": follow_ups(profile.name, opportunity_rows, contact_rows),
	}


def health_history(customer: str, days: int) -> list[dict]:
	"""The customer's daily health scores of the last `days` days, oldest first."""
	return frappe.get_all(
		constants.HEALTH_SCORE,
		filters={"customer": customer, "score_date": (">=", add_days(today(), -days))},
		fields=["score_date", "health_score", "risk_level"],
		order_by="score_date asc",
	)


def open_opportunities(rows: list[dict]) -> list[dict]:
	"""Open opportunities (largest first) with their stage's place on the way to a win: the pipeline's
	open stages and its won stage are the steps, so the last open stage is one step short of done."""
	out = []
	for row in rows:
		if row.status != "Open":
			continue
		stages = get_pipeline_stages(row.pipeline) if row.pipeline else []
		steps = [s for s in stages if not s["is_final"]] + [s for s in stages if s["outcome"] == "Won"][:1]
		names = [s["name"] for s in steps]
		current = next((s for s in stages if s["name"] == row.stage), None)
		step = names.index(row.stage) + 1 if row.stage in names else 0
		out.append(
			{
				"name": row.name,
				"opportunity_name": row.opportunity_name,
				"stage": row.stage,
				"stage_name": current["stage_name"] if current else row.stage,
				"step": step,
				"steps": len(names),
				"progress": round(100 * step / len(names)) if names else 0,
				"probability_percent": row.probability_percent,
				"value": row.value,
				"currency": row.currency,
				"forecast_amount": row.forecast_amount,
				"expected_close_date": row.expected_close_date,
				"overdue": bool(
					row.expected_close_date and getdate(row.expected_close_date) < getdate(today())
				),
				"opportunity_owner": row.opportunity_owner,
			}
		)
	return out


def contact_summary(row: dict) -> dict:
	return {
		key: row.get(key)
		for key in ("name", "full_name", "job_title", "contact_role", "is_primary", "email_id", "phone")
	}


def pinned_notes(customer: str) -> list[dict]:
	"""The customer's pinned notes, newest first, as plain text."""
	rows = notes.get_notes(constants.CUSTOMER, customer, NOTE_ROWS * 4)
	return [
		{
			"name": row.name,
			"title": row.title,
			"note_type": row.note_type,
			"text": short_text(row.content),
			"owner": row.owner,
			"modified": row.modified,
		}
		for row in rows
		if row.is_pinned
	][:NOTE_ROWS]


def timeline_row(row: dict) -> dict:
	metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
	return {
		"name": row.name,
		"activity_type": row.activity_type,
		"interaction_type": metadata.get("interaction_type"),
		"sentiment": metadata.get("sentiment"),
		"title": row.title,
		"description": short_text(row.description),
		"activity_date": row.activity_date,
		"is_important": row.is_important,
		"reference_doctype": row.reference_doctype,
		"reference_name": row.reference_name,
		"performed_by": row.performed_by,
	}


def follow_ups(customer: str, opportunity_rows: list[dict], contact_rows: list[dict]) -> list[dict]:
	"""Open ToDos on the customer, its opportunities and contacts, and the next steps of its interactions
	(from a month back, flagged overdue), soonest first."""
	references = {
		constants.CUSTOMER: [customer],
		constants.OPPORTUNITY: [row.name for row in opportunity_rows],
		constants.CONTACT: [row["name"] for row in contact_rows],
	}
	todo_filter = [
		[["reference_type", "=", doctype], ["reference_name", "in", names]]
		for doctype, names in references.items()
		if names
	]
	todos = []
	for conditions in todo_filter:
		todos += frappe.get_all(
			"ToDo",
			filters=[["status", "=", "Open"], *conditions],
			fields=[
				"name",
				"description",
				"date",
				"allocated_to",
				"priority",
				"reference_type",
				"reference_name",
			],
			order_by="date asc",
			limit=FOLLOW_UP_ROWS,
		)
	steps = frappe.get_all(
		constants.INTERACTION,
		filters={
			"customer": customer,
			"next_step_date": (">=", add_days(today(), -NEXT_STEP_LOOKBACK_DAYS)),
			"next_step": ("is", "set"),
		},
		fields=["name", "next_step", "next_step_date", "interaction_type", "subject", "owner"],
		order_by="next_step_date asc",
		limit=FOLLOW_UP_ROWS,
	)
	titles = {
		(constants.CUSTOMER, customer): frappe.db.get_value(constants.CUSTOMER, customer, "company_name"),
		**{(constants.OPPORTUNITY, row.name): row.opportunity_name for row in opportunity_rows},
		**{(constants.CONTACT, row["name"]): row.get("full_name") for row in contact_rows},
	}
	now = getdate(today())
	items = [
		{
			"kind": "todo",
			"name": row.name,
			"title": short_text(row.description),
			"date": row.date,
			"user": row.allocated_to,
			"priority": row.priority,
			"reference_doctype": row.reference_type,
			"reference_name": row.reference_name,
			"reference_title": titles.get((row.reference_type, row.reference_name)),
		}
		for row in todos
	] + [
		{
			"kind": "next_step",
			"name": row.name,
			"title": row.next_step,
			"date": row.next_step_date,
			"user": row.owner,
			"interaction_type": row.interaction_type,
			"subject": row.subject,
			"reference_doctype": constants.INTERACTION,
			"reference_name": row.name,
		}
		for row in steps
	]
	for item in items:
		item["overdue"] = bool(item["date"] and getdate(item["date"]) < now)
	items.sort(key=lambda item: (item["date"] is None, str(item["date"] or "")))
	return items[:FOLLOW_UP_ROWS]


def short_text(html: str | None) -> str:
	text = " ".join(strip_html(html or "").split())
	return text if len(text) <= TEXT_LENGTH else text[: TEXT_LENGTH - 1].rstrip() + "…"
