"""Columns, charts and summary cards the reports share, so they read, link and format money the same
everywhere.

Money columns name their currency: every row carries `currency` and a money column points at it
(`"options": "currency"`), so the desk never falls back to whatever currency it loaded first."""

from frappe import _

from crm_module import constants
from crm_module.utils import default_currency


def customer_columns() -> list[dict]:
	"""Customer (link), company and account owner."""
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
	]


def column(
	label: str, fieldname: str, fieldtype: str = "Data", width: int = 100, options: str | None = None
) -> dict:
	"""One report column (`options`: the linked doctype of a Link column)."""
	col = {"label": label, "fieldname": fieldname, "fieldtype": fieldtype}
	if options:
		col["options"] = options
	col["width"] = width
	return col


def money_column(label: str, fieldname: str, width: int = 130) -> dict:
	"""A Currency column in the row's own `currency`."""
	return {
		"label": label,
		"fieldname": fieldname,
		"fieldtype": "Currency",
		"options": "currency",
		"width": width,
	}


def currency_column(width: int = 80) -> dict:
	# Data, not a Link to Currency: Frappe filters report rows by the user's read access to every
	# linked doctype, and CRM roles cannot read Currency
	return {"label": _("Currency"), "fieldname": "currency", "fieldtype": "Data", "width": width}


def one_currency(found: list[str]) -> str:
	"""The one currency of the deals counted, else the site's default currency (as on the dashboard)."""
	return found[0] if len(found) == 1 else default_currency()


def currency_chart(labels: list, datasets: list[dict], currency: str, **options) -> dict:
	"""A bar chart of money in `currency` (`options`: e.g. ``barOptions``; ``horizontal=1`` for long names,
	which public/js/crm_charts.js draws as horizontal bars whose labels wrap; ``axisOptions``, e.g.
	``{"xIsSeries": 1}`` for months, which that script keeps although the desk replaces them).
	The desk's money axis then reads "€800K" and tooltips the full amount in `currency`."""
	return {
		"data": {"labels": labels, "datasets": datasets},
		"type": "bar",
		**options,
		"fieldtype": "Currency",
		# the desk formats tooltips with {"options": "currency"} against this chart object
		"options": "currency",
		"currency": currency,
	}


def money_card(label: str, value, currency: str, indicator: str) -> dict:
	"""A report summary card showing `value` in `currency`."""
	return {
		"label": label,
		"value": value,
		"datatype": "Currency",
		"currency": currency,
		"indicator": indicator,
	}


def mixed_currencies_note(found: list[str]) -> str:
	"""A sentence telling that deals of several currencies are summed as stored ("" for one currency)."""
	if len(found) <= 1:
		return ""
	return _("Deals in several currencies ({0}) are summed as stored.").format(", ".join(found))
