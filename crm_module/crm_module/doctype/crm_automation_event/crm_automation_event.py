# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A change captured for the automation rules listening to it (written set-based by
`crm_module.services.automation.runs.capture_event`, read by every rule run, pruned after a few weeks)."""

import frappe
from frappe.model.document import Document

from crm_module import constants


class CRMAutomationEvent(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		event: DF.Data | None
		from_value: DF.Data | None
		happened_on: DF.Datetime | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		to_value: DF.Data | None
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_index(constants.AUTOMATION_EVENT, ["event", "happened_on"], "event_happened_on_index")
