# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Conversion metrics (lead to customer, win rate, deal size, sales cycle, velocity, retention) and
active leads by source: the dashboard's figures, from the same metrics module.

One "Value" column holds figures of several kinds, so every row names its own `fieldtype` (the report's
formatter, crm_conversion_metrics.js, formats each cell by it) and money rows their `currency`: the
opportunities' own when they share one, else the site's default currency."""

import frappe
from frappe import _
from frappe.utils import add_days, nowdate

from crm_module import constants
from crm_module.services.common import acting_user
from crm_module.services.reporting import metrics
from crm_module.utils import default_currency

ROWS = (
	# key in conversion_metrics, label, fieldtype of the value
	("lead_to_customer_rate", "Lead to Customer (%)", "Percent"),
	("win_rate", "Win Rate (%)", "Percent"),
	("average_won_deal_size", "Average Deal Size (won)", "Currency"),
	("average_sales_cycle_days", "Average Sales Cycle (days)", "Float"),
	("pipeline_velocity", "Pipeline Velocity (per day)", "Currency"),
	("customer_retention_rate", "Customer Retention (%)", "Percent"),
)


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	user = acting_user(filters.get("sales_rep"))
	from_date = filters.get("from_date") or add_days(nowdate(), -metrics.RETENTION_DAYS)
	to_date = filters.get("to_date") or nowdate()
	conversion = metrics.get_conversion_metrics(user, from_date, to_date)
	sources = metrics.get_leads_by_source(user, from_date, to_date)
	currency = report_currency(user, from_date, to_date)
	data = [
		{
			"metric": _(label),
			"value": conversion.get(key),
			"fieldtype": fieldtype,
			"currency": currency if fieldtype == "Currency" else None,
		}
		for key, label, fieldtype in ROWS
	]
	data += [
		{
			"metric": _("Active leads from {0}").format(source.replace("_", " ").title()),
			"value": count,
			"fieldtype": "Int",
		}
		for source, count in sorted(sources.items(), key=lambda item: -item[1])
	]
	return columns(), data, None, chart(sources), summary(conversion)


def report_currency(user: str, from_date, to_date) -> str:
	"""The currency of the money figures: the opportunities' own when they share one, else the site's
	(1 query, over the opportunities the figures are computed from)."""
	opp = frappe.qb.DocType(constants.OPPORTUNITY)
	query = frappe.qb.from_(opp).select(opp.currency).distinct()
	rows = metrics.scoped(query, opp, constants.OPPORTUNITY, user, from_date, to_date).run(pluck=True)
	found = metrics.currencies(rows)
	return found[0] if len(found) == 1 else default_currency()


def columns() -> list[dict]:
	return [
		{"label": _("Metric"), "fieldname": "metric", "fieldtype": "Data", "width": 280},
		{"label": _("Value"), "fieldname": "value", "fieldtype": "Float", "width": 180},
	]


def chart(sources: dict[str, int]) -> dict:
	return {
		"data": {
			"labels": [key.replace("_", " ").title() for key in sources],
			"datasets": [{"name": _("Active Leads"), "values": list(sources.values())}],
		},
		# a bar chart: Frappe's donut throws "removeChild" when the report draws it twice on load
		"type": "bar",
		"colors": ["#5e64ff"],
		"horizontal": 1,  # ten source names: bars across (public/js/crm_charts.js), names never cut
	}


def summary(conversion: dict) -> list[dict]:
	return [
		{
			"label": _("Lead to Customer"),
			"value": f"{conversion['lead_to_customer_rate']}%",
			"indicator": "Blue",
		},
		{"label": _("Win Rate"), "value": f"{conversion['win_rate']}%", "indicator": "Green"},
		{
			"label": _("Average Sales Cycle"),
			"value": _("{0} days").format(conversion["average_sales_cycle_days"]),
		},
	]
