# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Active customers with their latest health score, risk, trend and recommendations."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.bulk import latest_rows

RISK_ORDER = {"Red": 0, "Yellow": 1, "Green": 2, "": 3, None: 3}


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	conditions = {"status": "Active"}
	for key in ("risk_level", "account_owner", "lifecycle_stage", "segment"):
		if filters.get(key):
			conditions[key] = filters[key]
	# get_list applies the row-level isolation rules: a rep sees only their customers
	customers = frappe.get_list(
		constants.CUSTOMER,
		filters=conditions,
		fields=[
			"name",
			"company_name",
			"account_owner",
			"lifecycle_stage",
			"segment",
			"health_score",
			"risk_level",
			"health_updated_on",
			"last_interaction_on",
		],
		order_by="health_score asc",
		limit_page_length=0,
	)
	latest = latest_rows(constants.HEALTH_SCORE, "customer", "score_date", [row.name for row in customers])
	data = []
	for row in customers:
		score = latest.get(row.name, {})
		data.append(
			{
				**row,
				"delta_7d": score.get("delta_7d"),
				"delta_30d": score.get("delta_30d"),
				"recommendations": score.get("recommendations"),
			}
		)
	data.sort(key=lambda r: (RISK_ORDER.get(r.get("risk_level"), 3), r.get("health_score") or 0))
	return columns(), data, None, chart(data)


def columns() -> list[dict]:
	return [
		{
			"label": _("Customer"),
			"fieldname": "name",
			"fieldtype": "Link",
			"options": constants.CUSTOMER,
			"width": 130,
		},
		{"label": _("Company"), "fieldname": "company_name", "fieldtype": "Data", "width": 180},
		{
			"label": _("Account Owner"),
			"fieldname": "account_owner",
			"fieldtype": "Link",
			"options": "User",
			"width": 160,
		},
		{"label": _("Lifecycle"), "fieldname": "lifecycle_stage", "fieldtype": "Data", "width": 100},
		{"label": _("Segment"), "fieldname": "segment", "fieldtype": "Data", "width": 100},
		{"label": _("Health"), "fieldname": "health_score", "fieldtype": "Int", "width": 80},
		{"label": _("Risk"), "fieldname": "risk_level", "fieldtype": "Data", "width": 80},
		{"label": _("vs 7 Days"), "fieldname": "delta_7d", "fieldtype": "Int", "width": 90},
		{"label": _("vs 30 Days"), "fieldname": "delta_30d", "fieldtype": "Int", "width": 90},
		{"label": _("Scored On"), "fieldname": "health_updated_on", "fieldtype": "Date", "width": 100},
		{
			"label": _("Last Interaction"),
			"fieldname": "last_interaction_on",
			"fieldtype": "Datetime",
			"width": 150,
		},
		{
			"label": _("Recommendations"),
			"fieldname": "recommendations",
			"fieldtype": "Small Text",
			"width": 300,
		},
	]


def chart(data: list[dict]) -> dict:
	counts = {"Green": 0, "Yellow": 0, "Red": 0}
	for row in data:
		if row.get("risk_level") in counts:
			counts[row["risk_level"]] += 1
	return {
		"data": {
			"labels": [_(k) for k in counts],
			"datasets": [{"name": _("Customers"), "values": list(counts.values())}],
		},
		"type": "pie",
		"colors": ["#29CD42", "#ECAD4B", "#E24C4C"],
	}
