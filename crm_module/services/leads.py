"""Leads (spec: createLead, updateLead, getLeads; scoreLead is `crm_module.services.insights.scoring.score_lead`)."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import as_dict, get_record, insert, new_doc
from crm_module.services.payload import to_fields
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
MAX_LEADS = 500


def create_lead(data: dict, user: str | None = None) -> dict:
	"""A new lead owned by the acting user (``name``/``leadName`` required)."""
	values = to_fields(constants.LEAD, data, ALIASES)
	if not values.get("lead_name"):
		throw_input(_("name (lead_name) is required"))
	return as_dict(insert(new_doc(constants.LEAD, values, user), user))


def update_lead(lead: str, data: dict, user: str | None = None) -> dict:
	"""Change `lead` (write access needed)."""
	doc = get_record(constants.LEAD, lead, "leadId", user, "write")
	values = to_fields(constants.LEAD, data, ALIASES)
	doc.update(values)
	doc.save()
	return as_dict(doc)


def get_leads(status: str | None = None, user: str | None = None, limit: int = MAX_LEADS) -> list[dict]:
	"""Leads the acting user can reach, newest first, optionally with one `status` (any case)."""
	filters = {}
	if status:
		filters["status"] = to_fields(constants.LEAD, {"status": status}, param="status")["status"]
	return frappe.get_list(
		constants.LEAD,
		filters=filters,
		fields=LIST_FIELDS,
		order_by="creation desc",
		limit_page_length=limit,
		user=user or frappe.session.user,
	)
