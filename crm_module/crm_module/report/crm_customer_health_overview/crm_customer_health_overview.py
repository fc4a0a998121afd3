# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Active customers most at risk first: latest health score, risk, trend and recommendations.

The list holds the `limit` customers (default 500, at most 5,000) with the lowest health, scored ones
before never-scored ones; the chart and the summary count every matching customer by risk level, so a
book of 100,000 accounts answers in one page. Both go through `frappe.get_list`: a rep sees only the
customers they reach.
"""

import frappe
from frappe import _
from frappe.utils import cint

from crm_module import constants
from crm_module.services.bulk import latest_rows
from crm_module.services.reporting.columns import customer_columns
from crm_module.services.sales.teams import territory_filter

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
RISKS = ("Red", "Yellow", "Green")
FIELDS = [
	"name",
	"company_name",
	"account_owner",
	"lifecycle_stage",
	"segment",
	"health_score",
	"risk_level",
	"health_updated_on",
	"last_interaction_on",
]


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	conditions = {"status": "Active"}
	for key in ("risk_level", "account_owner", "lifecycle_stage", "segment"):
		if filters.get(key):
			conditions[key] = filters[key]
	if filters.get("territory"):
		conditions["territory"] = territory_filter(filters.territory)
	limit = min(max(cint(filters.get("limit")) or DEFAULT_LIMIT, 1), MAX_LIMIT)
	customers = most_at_risk(conditions, limit)
	latest = latest_rows(constants.HEALTH_SCORE, "customer", "score_date", [row.name for row in customers])
	data = [
		{
			**row,
			"delta_7d": (latest.get(row.name) or {}).get("delta_7d"),
			"delta_30d": (latest.get(row.name) or {}).get("delta_30d"),
			"recommendations": (latest.get(row.name) or {}).get("recommendations"),
		}
		for row in customers
	]
	counts = risk_counts(conditions)
	message = None
	if sum(counts.values()) > len(data):
		message = _("The {0} customers most at risk of {1}; filter or raise the limit to see more.").format(
			len(data), sum(counts.values())
		)
	return columns(), data, message, chart(counts), summary(counts)


def most_at_risk(conditions: dict, limit: int) -> list[dict]:
	"""Scored customers by health, lowest first (Red, then Yellow, then Green), then unscored ones."""
	scored = frappe.get_list(
		constants.CUSTOMER,
		filters={**conditions, "risk_level": conditions.get("risk_level") or ("is", "set")},
		fields=FIELDS,
		order_by="health_score asc",
		limit_page_length=limit,
	)
	if len(scored) < limit and not conditions.get("risk_level"):
		scored += frappe.get_list(
			constants.CUSTOMER,
			filters={**conditions, "risk_level": ("is", "not set")},
			fields=FIELDS,
			order_by="modified desc",
			limit_page_length=limit - len(scored),
		)
	return scored


def risk_counts(conditions: dict) -> dict[str, int]:
	"""Every matching customer counted by risk level ("" for never scored), in one grouped query."""
	rows = frappe.get_list(
		constants.CUSTOMER,
		filters=conditions,
		fields=["risk_level", "count(*) as customers"],
		group_by="risk_level",
		order_by=None,
	)
	counts = {risk: 0 for risk in (*RISKS, "")}
	for row in rows:
		counts[row.risk_level if row.risk_level in RISKS else ""] += row.customers
	return counts


def summary(counts: dict[str, int]) -> list[dict]:
	indicators = {"Red": "Red", "Yellow": "Orange", "Green": "Green"}
	return [
		{"label": _(risk), "value": counts[risk], "indicator": indicators[risk], "datatype": "Int"}
		for risk in RISKS
	] + [{"label": _("Not Scored"), "value": counts[""], "datatype": "Int"}]


def columns() -> list[dict]:
	return [
		*customer_columns(),
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


def chart(counts: dict[str, int]) -> dict:
	return {
		"data": {
			"labels": [_(risk) for risk in ("Green", "Yellow", "Red")],
			"datasets": [
				{"name": _("Customers"), "values": [counts[risk] for risk in ("Green", "Yellow", "Red")]}
			],
		},
		"type": "bar",
		"colors": ["#5e64ff"],
	}
