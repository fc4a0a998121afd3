# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Open pipeline per stage: count, value and probability-weighted forecast (the dashboard's numbers)."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services import metrics
from crm_module.services.common import acting_user


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	user = acting_user(filters.get("sales_rep"))
	result = metrics.get_stage_pipeline(
		user, filters.get("pipeline"), filters.get("from_date"), filters.get("to_date")
	)
	data = [
		{
			"pipeline": row.pipeline,
			"stage": row.stage,
			"stage_name": row.stage_name,
			"probability": row.probability,
			"count": row["count"],
			"value": row.value,
			"forecast": row.forecast,
		}
		for row in result["stages"]
	]
	return columns(), data, message(result), chart(data), summary(result)


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
		{"label": _("Value"), "fieldname": "value", "fieldtype": "Currency", "width": 150},
		{"label": _("Forecast"), "fieldname": "forecast", "fieldtype": "Currency", "width": 150},
	]


def chart(data: list[dict]) -> dict:
	return {
		"data": {
			"labels": [row["stage_name"] for row in data],
			"datasets": [
				{"name": _("Value"), "values": [row["value"] for row in data]},
				{"name": _("Forecast"), "values": [row["forecast"] for row in data]},
			],
		},
		"type": "bar",
		"fieldtype": "Currency",
	}


def summary(result: dict) -> list[dict]:
	return [
		{
			"label": _("Pipeline Value"),
			"value": result["total_value"],
			"datatype": "Currency",
			"indicator": "Blue",
		},
		{
			"label": _("Weighted Forecast"),
			"value": result["total_forecast"],
			"datatype": "Currency",
			"indicator": "Green",
		},
	]


def message(result: dict) -> str | None:
	if result["mixed_currencies"]:
		return _("Opportunities in several currencies ({0}) are summed as stored.").format(
			", ".join(result["currencies"])
		)
	return None
