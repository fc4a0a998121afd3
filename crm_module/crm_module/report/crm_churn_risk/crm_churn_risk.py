# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Active customers most likely to churn (the nightly prediction of `crm_module.services.insights.churn`), highest
first, with the reasons, health and last interaction, so a manager can act on them. A rep sees only the
customers they reach (`frappe.get_list`)."""

import frappe
from frappe import _
from frappe.utils import flt

from crm_module import constants
from crm_module.services.reporting.columns import customer_columns
from crm_module.services.sales.teams import territory_filter

LIMIT = 500


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	conditions = {"status": "Active", "churn_probability": (">=", flt(filters.get("min_probability", 50)))}
	for key in ("account_owner", "segment"):
		if filters.get(key):
			conditions[key] = filters[key]
	if filters.get("territory"):
		conditions["territory"] = territory_filter(filters.territory)
	rows = frappe.get_list(
		constants.CUSTOMER,
		filters=conditions,
		fields=[
			"name",
			"company_name",
			"account_owner",
			"churn_probability",
			"churn_reasons",
			"health_score",
			"risk_level",
			"last_interaction_on",
			"churn_updated_on",
		],
		order_by="churn_probability desc",
		limit_page_length=LIMIT,
	)
	trained_on = frappe.db.get_single_value(constants.SETTINGS, "churn_trained_on")
	message = None if trained_on else _("The churn model has not run yet: it trains with the nightly job.")
	return columns(), rows, message


def columns() -> list[dict]:
	return [
		*customer_columns(),
		{
			"label": _("Churn Probability"),
			"fieldname": "churn_probability",
			"fieldtype": "Percent",
			"width": 130,
		},
		{"label": _("Why"), "fieldname": "churn_reasons", "fieldtype": "Small Text", "width": 300},
		{"label": _("Health"), "fieldname": "health_score", "fieldtype": "Int", "width": 80},
		{"label": _("Risk"), "fieldname": "risk_level", "fieldtype": "Data", "width": 80},
		{
			"label": _("Last Interaction"),
			"fieldname": "last_interaction_on",
			"fieldtype": "Datetime",
			"width": 150,
		},
		{"label": _("Predicted On"), "fieldname": "churn_updated_on", "fieldtype": "Date", "width": 110},
	]
