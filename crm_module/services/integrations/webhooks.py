"""Frappe Webhooks on CRM documents (issue 21): what the app adds to Frappe's own Webhook doctype.

Frappe runs a site's Webhooks from document events (`run_method` -> `run_webhooks`), so a lead created
(`after_insert`) and an opportunity won (`on_update`, condition `doc.status == "Won"`) need nothing from
the app. A customer turning Red does: the health run writes `risk_level` onto profiles in bulk (or with
`db.set_value`), never by saving them, so no event would fire. `fell_red` raises the profile's `on_update`
webhooks for each customer the run moved into Red, with the document's state before the run (its earlier
`risk_level`), so the condition `doc.risk_level == "Red" and doc.has_value_changed("risk_level")` holds
then, and not on later saves of a customer that stays Red.

Frappe sends after the commit, in a background job, with the document's fields whatever the row rules
(a webhook is configured by a System Manager and reads as the system).
"""

import frappe

from crm_module import constants


def fell_red(profiles: list[dict]) -> None:
	"""`on_update` webhooks of the profiles that fell into Red (`prior_risk_level`: their level before).
	Nothing is loaded when no enabled webhook watches CRM Customer Profile."""
	from frappe.integrations.doctype.webhook import run_webhooks

	if not profiles or not frappe.db.exists("Webhook", {"enabled": 1, "webhook_doctype": constants.CUSTOMER}):
		return
	for profile in profiles:
		doc = frappe.get_doc(constants.CUSTOMER, profile["name"])
		before = frappe.get_doc(doc.as_dict())
		before.risk_level = profile.get("prior_risk_level")
		doc._doc_before_save = before
		run_webhooks(doc, "on_update")
