"""Desk endpoint for automation rules (the rule form's Run Now button)."""

import frappe

from crm_module.services.automation import runs as automation


@frappe.whitelist(methods=["POST"])
def run_rule_now(rule: str) -> dict:
	"""Managers only: run one automation rule in the background now."""
	return automation.run_rule_now(rule)
