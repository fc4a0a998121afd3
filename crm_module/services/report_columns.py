"""Columns the customer reports share, so they read and link the same everywhere."""

from frappe import _

from crm_module import constants


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
