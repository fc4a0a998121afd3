"""GET /api/method/crm_module.api.my_day.get: the ranked actions of a rep's day (issue 22)."""

import frappe

from crm_module.api.params import camelize
from crm_module.services.common import acting_user
from crm_module.services.sales import my_day


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(userId: str | None = None) -> dict:
	"""The acting user's day: ``{date, user, total, items: [{kind, kinds, doctype, name, route, title,
	score, value, urgency, reasons, action, actions, due, ...}]}``, the top 50 by
	`crm_module.domain.my_day.rank`, over the records the user reaches. A CRM Manager, or the lead of the
	user's team, may pass ``userId``; anybody else naming another user gets 403."""
	return camelize(my_day.get_my_day(acting_user(userId)))
