# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Open pipeline per stage: count, value and probability-weighted forecast (the dashboard's numbers).

Money columns name their currency: every row carries `currency` (the one currency of the opportunities
counted, else the site's default currency, as on the Sales Dashboard) and the Value and Forecast columns
point at it (`"options": "currency"`), so the desk never falls back to whatever currency it loaded first."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import acting_user
from crm_module.services.reporting import metrics
from crm_module.services.reporting.columns import (
	currency_chart,
	currency_column,
	money_card,
	money_column,
	one_currency,
)


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	user = acting_user(filters.get("sales_rep"))
	result = metrics.get_stage_pipeline(
		user, filters.get("pipeline"), filters.get("from_date"), filters.get("to_date")
	)
	currency = one_currency(result["currencies"])
	data = [
		{
			"pipeline": row.pipeline,
			"stage": row.stage,
			"stage_name": row.stage_name,
			"probability": row.probability,
			"count": row["count"],
			"value": row.value,
			"forecast": row.forecast,
			"currency": currency,
		}
		for row in result["stages"]
	]
	return columns(), data, message(result), chart(data, currency), summary(result, currency)


def columns() -> list[dict]:
	return [
		{
			"label": _("Pipeline"),
			"fieldname": "pipeline",
			"fieldtype": "Link",
			"options": constants.PIPELINE,
			"width": 120,
		},
		{
			"label": _("Stage"),
			"fieldname": "stage",
			"fieldtype": "Link",
			"options": constants.PIPELINE_STAGE,
			"width": 200,
		},
		{"label": _("Probability (%)"), "fieldname": "probability", "fieldtype": "Percent", "width": 120},
		{"label": _("Open Opportunities"), "fieldname": "count", "fieldtype": "Int", "width": 140},
		money_column(_("Value"), "value", 150),
		money_column(_("Forecast"), "forecast", 150),
		currency_column(90),
	]


def chart(data: list[dict], currency: str) -> dict:
	return currency_chart(
		[row["stage_name"] for row in data],
		[
			{"name": _("Value"), "values": [row["value"] for row in data]},
			{"name": _("Forecast"), "values": [row["forecast"] for row in data]},
		],
		currency,
		horizontal=1,  # stage names: bars across, names never cut
	)


def summary(result: dict, currency: str) -> list[dict]:
	return [
		money_card(_("Pipeline Value"), result["total_value"], currency, "Blue"),
		money_card(_("Weighted Forecast"), result["total_forecast"], currency, "Green"),
	]


def message(result: dict) -> str | None:
	if result["mixed_currencies"]:
		return _("Opportunities in several currencies ({0}) are summed as stored.").format(
			", ".join(result["currencies"])
		)
	return None
