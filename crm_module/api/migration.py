"""Desk endpoints for the migrations from ERPNext's CRM and Frappe CRM (issue 12). Managers only (the
services check)."""

import frappe

from crm_module.services.migration import runs as migration


@frappe.whitelist(methods=["POST"])
def enqueue_migration(source: str, dry_run: bool = False) -> dict:
	"""Queue a migration ('erpnext' or 'frappe-crm') as a background job; returns the CRM Migration Run
	that will hold its report."""
	return migration.enqueue_migration(source, frappe.utils.cint(dry_run))


@frappe.whitelist()
@frappe.read_only()
def available_sources() -> dict:
	"""{'erpnext': bool, 'frappe-crm': bool}: which source apps are installed on this site."""
	return migration.available_sources()
