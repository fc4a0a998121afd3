"""Interactions (spec: recordInteraction, getInteractionHistory)."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import as_dict, check_links, get_record, insert, new_doc
from crm_module.services.payload import to_fields
from crm_module.utils import throw_input

ALIASES = {
	"customer_id": "customer",
	"contact_id": "contact",
	"lead_id": "lead",
	"opportunity_id": "opportunity",
	"type": "interaction_type",
	"date": "interaction_date",
	"duration": "duration_minutes",
	"next_steps": "next_step",
}
LINKS = {
	"customer": (constants.CUSTOMER, "customerId"),
	"contact": (constants.CONTACT, "contactId"),
	"lead": (constants.LEAD, "leadId"),
	"opportunity": (constants.OPPORTUNITY, "opportunityId"),
}
MAX_LIMIT = 500
HISTORY_FIELDS = [
	"name",
	"interaction_type",
	"subject",
	"interaction_date",
	"duration_minutes",
	"customer",
	"contact",
	"lead",
	"opportunity",
	"conducted_by",
	"outcome",
	"sentiment",
	"next_step",
	"next_step_date",
	"description",
	"owner",
]


def record_interaction(data: dict, user: str | None = None) -> dict:
	"""Log a touchpoint on a customer or lead the acting user can reach (``customerId`` or ``leadId``)."""
	values = to_fields(constants.INTERACTION, data, ALIASES)
	if not values.get("customer") and not values.get("lead"):
		throw_input(_("customerId (customer) or leadId (lead) is required for an interaction"))
	check_links(values, LINKS, user)
	return as_dict(insert(new_doc(constants.INTERACTION, values, user), user))


def get_interaction_history(customer: str, limit: int = 20, user: str | None = None) -> list[dict]:
	"""The `limit` (1-500) most recent interactions with `customer`, newest first."""
	if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
		throw_input(_("limit must be a whole number between 1 and {0}, got {1!r}").format(MAX_LIMIT, limit))
	get_record(constants.CUSTOMER, customer, "customerId", user)
	return frappe.get_all(
		constants.INTERACTION,
		filters={"customer": customer},
		fields=HISTORY_FIELDS,
		order_by="interaction_date desc, creation desc",
		limit=limit,
	)
