"""GET /api/method/crm_module.api.dashboard.get (seed: GET /api/crm/dashboard)."""

import frappe

from crm_module.api.params import acting_user
from crm_module.services.dashboard import get_crm_dashboard_data
from crm_module.services.payload import iso_date


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(userId: str | None = None, fromDate: str | None = None, toDate: str | None = None) -> dict:
	"""Dashboard figures of the acting user (a manager may pass a rep's ``userId``); the optional
	``fromDate``/``toDate`` (ISO dates, inclusive) keep records created in that window. Every figure is
	defined in `crm_module.services.metrics`."""
	user = acting_user(userId)
	return get_crm_dashboard_data(user, iso_date(fromDate, "fromDate"), iso_date(toDate, "toDate"))
