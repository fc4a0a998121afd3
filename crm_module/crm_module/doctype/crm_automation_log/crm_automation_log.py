# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""One row per (rule, record, occurrence) an automation rule fired on: the unique key is what makes a
rule fire exactly once per occurrence, however often the job runs."""

import frappe
from frappe.model.document import Document

from crm_module import constants


class CRMAutomationLog(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		actions_done: DF.SmallText | None
		error: DF.SmallText | None
		event_key: DF.Data | None
		fired_on: DF.Datetime | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		rule: DF.Link | None
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_unique(
		constants.AUTOMATION_LOG,
		["rule", "reference_doctype", "reference_name", "event_key"],
		"unique_rule_reference_event",
	)
