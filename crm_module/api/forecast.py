"""GET /api/method/crm_module.api.forecast.learned: the learned revenue forecast of the acting user."""

import frappe

from crm_module.api.params import camelize
from crm_module.services.common import acting_user
from crm_module.services.sales import learned_forecast


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def learned(userId: str | None = None) -> dict:
	"""This month and the next two for the deals the acting user reaches (a manager or team lead may pass a
	rep's ``userId``): ``{"status", "months": [{month, expected, low, high, weighted}], "mapeModel",
	"mapeWeighted", "coverage", "backtestMonths"}`` (`crm_module.services.sales.learned_forecast`)."""
	return camelize(learned_forecast.get_learned_forecast(acting_user(userId)))
