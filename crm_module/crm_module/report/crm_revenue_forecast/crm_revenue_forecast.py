# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""The revenue forecast by close month and forecast category (Pipeline, Best Case, Commit, Closed), and
what changed since the pipeline snapshot of a week ago ("Show": Forecast / Changes). Every figure is
defined in `crm_module.services.sales.forecast` and counts only the deals the viewer reaches (a manager may
look as a rep sees it with "Sales Rep"). Lost deals are never counted."""

import frappe
from frappe import _
from frappe.utils import add_days, add_months, getdate, nowdate

from crm_module import constants
from crm_module.services.common import acting_user
from crm_module.services.reporting.columns import (
	column,
	currency_chart,
	currency_column,
	mixed_currencies_note,
	money_card,
	money_column,
	one_currency,
)
from crm_module.services.sales import forecast, learned_forecast
from crm_module.utils import default_currency

# translated where shown
KIND_LABELS = {
	"new": "New",
	"moved_in": "Moved In",
	"won": "Won",
	"lost": "Lost",
	"slipped": "Slipped",
	"moved_out": "Moved Out",
	"removed": "Removed",
	"value_changed": "Value Changed",
	"unchanged": "Unchanged",
}


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	user = acting_user(filters.get("sales_rep"))
	start = getdate(filters.get("from_date") or nowdate()).replace(day=1)
	end = getdate(filters.get("to_date")) if filters.get("to_date") else add_days(add_months(start, 6), -1)
	if filters.get("show") == "Changes":
		return changes(user, start, end, filters.get("compare_to"))
	return forecast_view(user, start, end)


def forecast_view(user: str, start, end):
	result = forecast.get_forecast(user, start, end)
	currency = one_currency(result["currencies"])
	data = [{**row, "currency": currency} for row in result["rows"]]
	columns = [
		column(_("Close Month"), "month"),
		column(_("Forecast Category"), "forecast_category", width=140),
		column(_("Deals"), "count", "Int", 80),
		money_column(_("Unweighted"), "value", 150),
		money_column(_("Weighted"), "weighted", 150),
		currency_column(),
	]
	months = sorted({row["month"] for row in data})
	datasets = [
		{
			"name": _(category),
			"values": [
				sum(r["weighted"] for r in data if r["month"] == m and r["forecast_category"] == category)
				for m in months
			],
		}
		for category in result["totals"]
	]
	chart = currency_chart(
		months, datasets, currency, barOptions={"stacked": 1}, axisOptions={"xIsSeries": 1}
	)
	summary = [
		money_card(
			_("{0} (weighted)").format(_(category)),
			totals["weighted"],
			currency,
			"Green" if category == "Closed" else "Blue",
		)
		for category, totals in result["totals"].items()
	]
	message = _(
		"Open deals by expected close month (weighted = value x probability), won deals by close month."
	)
	learned = learned_forecast.get_learned_forecast(user)
	if learned["months"]:
		summary += learned_cards(learned, currency)
		message += " " + learned_message(learned)
	if note := mixed_currencies_note(result["currencies"]):
		message += " " + note
	return columns, data, message, chart if data else None, summary


def month_label(month: str) -> str:
	return getdate(f"{month}-01").strftime("%b %Y")


def learned_cards(learned: dict, currency: str) -> list[dict]:
	"""The learned forecast of this month and the next two, beside the weighted cards."""
	return [
		money_card(
			_("Learned forecast, {0}").format(month_label(row["month"])), row["expected"], currency, "Purple"
		)
		for row in learned["months"]
	]


def learned_message(learned: dict) -> str:
	ranges = "; ".join(
		_("{0}: {1} to {2}").format(
			month_label(row["month"]),
			frappe.format(row["low"], {"fieldtype": "Currency"}),
			frappe.format(row["high"], {"fieldtype": "Currency"}),
		)
		for row in learned["months"]
	)
	return _(
		"Learned forecast, 80 % range (P10-P90): {0}. Measured over the last {1} months, it erred by {2} % on "
		"average against {3} % for the stage-weighted forecast, and its range held the actual revenue in {4} % "
		"of months."
	).format(
		ranges,
		learned["backtest_months"],
		learned["mape_model"],
		learned["mape_weighted"],
		learned["coverage"],
	)


def changes(user: str, start, end, compare_to=None):
	result = forecast.get_changes(user, start, end, compare_to)
	currency = default_currency()
	data = [
		{**row, "kind_label": _(KIND_LABELS[row["kind"]]), "currency": currency}
		for row in result["changes"]
		if row["kind"] != "unchanged"
	]
	columns = [
		column(_("Change"), "kind_label", width=110),
		column(_("Opportunity"), "opportunity", "Link", 140, options=constants.OPPORTUNITY),
		column(_("Name"), "opportunity_name", width=180),
		column(_("Owner"), "opportunity_owner", width=160),
		column(_("Close Date Before"), "close_date_before", "Date", 120),
		column(_("Close Date Now"), "close_date_after", "Date", 120),
		column(_("Category Before"), "category_before", width=110),
		column(_("Category Now"), "category_after", width=110),
		money_column(_("Value Change"), "value_delta"),
		money_column(_("Forecast Before"), "forecast_before"),
		money_column(_("Forecast Now"), "forecast_after"),
		money_column(_("Forecast Change"), "forecast_delta"),
		currency_column(),
	]
	if not result["snapshot_date"]:
		return (
			columns,
			[],
			_("No pipeline snapshot from a week ago yet: the daily run takes one every night."),
		)
	summary = [
		money_card(
			_("Weighted Forecast on {0}").format(frappe.format(result["snapshot_date"], "Date")),
			result["previous"]["forecast"],
			currency,
			"Grey",
		),
		money_card(_("Weighted Forecast Now"), result["current"]["forecast"], currency, "Blue"),
	] + [
		money_card(
			_("{0} ({1})").format(_(KIND_LABELS[kind]), totals["count"]),
			totals["forecast_delta"],
			currency,
			"Green" if totals["forecast_delta"] > 0 else "Red",
		)
		for kind, totals in result["totals"].items()
		if totals["count"] and kind != "unchanged"
	]
	message = _("Changes in the forecast of {0} to {1} since the snapshot of {2}.").format(
		frappe.format(start, "Date"),
		frappe.format(end, "Date"),
		frappe.format(result["snapshot_date"], "Date"),
	)
	return columns, data, message, None, summary
