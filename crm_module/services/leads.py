"""Leads (spec: createLead, updateLead, getLeads, scoreLead)."""

import frappe
from frappe import _

from crm_module import constants as c
from crm_module.services import scoring
from crm_module.services.common import as_dict, get_record, insert, new_doc
from crm_module.services.payload import require_object, snake, to_fields
from crm_module.utils import throw_input

ALIASES = {
	"name": "lead_name",
	"email": "email_id",
	"company": "company_name",
	"owner_id": "lead_owner",
	"assigned_to": "lead_owner",
	"lead_source": "source",
	"lead_status": "status",
}
LIST_FIELDS = [
	"name",
	"lead_name",
	"company_name",
	"email_id",
	"phone",
	"status",
	"source",
	"quality",
	"lead_owner",
	"follow_up_date",
	"latest_score",
	"latest_grade",
	"scored_on",
	"conversion_probability",
	"converted_customer",
	"creation",
]
SCORE_KEYS = frozenset(
	{"engagement_score", "fit_score", "activity_score", "total_score", "grade", "scoring_date"}
)
MAX_LEADS = 500


def create_lead(data: dict, user: str | None = None) -> dict:
	"""A new lead owned by the acting user (``name``/``leadName`` required)."""
	values = to_fields(c.LEAD, data, ALIASES)
	if not values.get("lead_name"):
		throw_input(_("name (lead_name) is required"))
	return as_dict(insert(new_doc(c.LEAD, values, user), user))


def update_lead(lead: str, data: dict, user: str | None = None) -> dict:
	"""Change `lead` (write access needed)."""
	doc = get_record(c.LEAD, lead, "leadId", user, "write")
	values = to_fields(c.LEAD, data, ALIASES)
	doc.update(values)
	doc.save()
	return as_dict(doc)


def get_leads(status: str | None = None, user: str | None = None, limit: int = MAX_LEADS) -> list[dict]:
	"""Leads the acting user can reach, newest first, optionally with one `status` (any case)."""
	filters = {}
	if status:
		filters["status"] = to_fields(c.LEAD, {"status": status}, param="status")["status"]
	return frappe.get_list(
		c.LEAD,
		filters=filters,
		fields=LIST_FIELDS,
		order_by="creation desc",
		limit_page_length=limit,
		user=user or frappe.session.user,
	)


def score_lead(lead: str, scores: dict | None = None, user: str | None = None) -> dict:
	"""Store a score for `lead`: explicit `scores` (``engagementScore``, ``fitScore``, ``activityScore`` 0-100,
	optional ``totalScore``/``grade`` which must match, ``scoringDate``), or computed ones when empty."""
	get_record(c.LEAD, lead, "leadId", user, "write")
	values = {}
	for key, value in (require_object(scores, "scores") if scores is not None else {}).items():
		if snake(key) not in SCORE_KEYS:
			throw_input(_("scores.{0}: unknown score field").format(key))
		values[snake(key)] = value
	scoring_date = values.pop("scoring_date", None)
	if scoring_date is not None:
		scoring_date = to_fields(c.LEAD_SCORE, {"scoring_date": scoring_date}, param="scores")["scoring_date"]
	return scoring.score_lead(lead, values or None, scoring_date)
