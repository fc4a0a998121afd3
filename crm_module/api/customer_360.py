"""Desk endpoint of the customer form's 360 view: one read of everything about a customer.

The service checks the input and access (400 without a customer, 404 unknown customer, 403 outside the
caller's reach)."""

import frappe

from crm_module.services.reporting import customer_360


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(customer: str | None = None, days: int = customer_360.HISTORY_DAYS) -> dict:
	"""Health trend and score, open opportunities, contacts, pinned notes, timeline and follow-ups."""
	return customer_360.get_customer_360(customer, days)
