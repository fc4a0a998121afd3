# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Targets against closed won deals and the open forecast, per target and period
(`crm_module.services.sales.targets` defines every figure). A CRM User sees their own targets, a team lead
their team's too (`crm_module.access.targets`); managers see all. Team rows count the deals of their
sub-teams' people, territory rows those of their sub-territories."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import acting_user
from crm_module.services.reporting.columns import (
	column,
	currency_chart,
	currency_column,
	mixed_currencies_note,
	money_column,
)
from crm_module.services.sales import targets
from crm_module.utils import default_currency

FILTERS = ("period_type", "from_date", "to_date", "target_for", "sales_team", "territory")


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	user = acting_user(None)
	result = targets.get_attainment(user, {key: filters.get(key) for key in FILTERS})
	found = result["currencies"]
	names = rep_names(result["rows"])
	data = [
		{
			**row,
			"target": row["name"],
			"subject": names.get(row["subject"], row["subject"])
			if row["target_for"] == "Rep"
			else row["subject"],
			"currency": row.get("currency") or default_currency(),
		}
		for row in result["rows"]
	]
	return columns(), data, message(found), chart(data), summary(data)


def rep_names(rows: list[dict]) -> dict[str, str]:
	"""A rep target's subject (the user id) shown as the rep's full name."""
	users = list({row["subject"] for row in rows if row["target_for"] == "Rep" and row["subject"]})
	if not users:
		return {}
	return dict(
		frappe.get_all("User", filters={"name": ("in", users)}, fields=["name", "full_name"], as_list=True)
	)


def columns() -> list[dict]:
	return [
		column(_("Target"), "target", "Link", 120, options=constants.SALES_TARGET),
		column(_("For"), "target_for", width=80),
		# Data, not Links: the desk drops report rows whose linked records the viewer cannot read
		column(_("Rep / Team / Territory"), "subject", width=180),
		column(_("Part Of"), "parent", width=120),
		column(_("Period"), "period_label", width=90),
		money_column(_("Target Amount"), "target_amount"),
		money_column(_("Closed Won"), "won"),
		column(_("Won Deals"), "won_count", "Int", 90),
		column(_("Attainment (%)"), "attainment", "Percent", 110),
		money_column(_("Gap"), "gap"),
		money_column(_("Weighted Forecast"), "forecast", 140),
		money_column(_("Open Pipeline"), "pipeline"),
		column(_("Open Deals"), "open_count", "Int", 90),
		money_column(_("Projected (Won + Forecast)"), "projected", 170),
		column(_("Projected (%)"), "projected_attainment", "Percent", 110),
		column(_("Target Deals"), "target_deals", "Int", 100),
		currency_column(),
	]


def chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	return currency_chart(
		[f"{row['subject']} {row['period_label']}" for row in data],
		[
			{"name": _("Target"), "values": [row["target_amount"] for row in data]},
			{"name": _("Closed Won"), "values": [row["won"] for row in data]},
			{"name": _("Projected"), "values": [row["projected"] for row in data]},
		],
		data[0]["currency"],
		horizontal=1,  # "<rep or team> <period>": bars across, names never cut
	)


def summary(data: list[dict]) -> list[dict]:
	reached = sum(1 for row in data if row["attainment"] is not None and row["attainment"] >= 100)
	return [
		{"label": _("Targets"), "value": len(data), "datatype": "Int", "indicator": "Blue"},
		{"label": _("Reached"), "value": reached, "datatype": "Int", "indicator": "Green"},
	]


def message(found: list[str]) -> str | None:
	text = _("Gap = target - closed won: negative means above target. Team rows include their sub-teams.")
	if note := mixed_currencies_note(found):
		text += " " + note
	return text
