# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""An automation rule: When (event) / If (conditions) / Then (one action). Managers only.

Saving checks the rule against the target doctype's meta (`services.automation_rules.validate_rule`) and drops
the cached set of listened events, so the change capture follows the enabled rules at once."""

import frappe
from frappe.model.document import Document

from crm_module import constants
from crm_module.services.automation import rules as automation_rules
from crm_module.services.automation import runs as automation


class CRMAutomationRule(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_automation_condition.crm_automation_condition import (
			CRMAutomationCondition,
		)
		from crm_module.crm_module.doctype.crm_automation_recipient.crm_automation_recipient import (
			CRMAutomationRecipient,
		)

		action: DF.Literal["Create ToDo", "Notify Users", "Set Field", "Add Tag", "Re-score"]
		conditions: DF.Table[CRMAutomationCondition]
		days: DF.Int
		description: DF.SmallText | None
		document_type: DF.Link | None
		enabled: DF.Check
		event: DF.Literal[
			"Lead Created",
			"Lead Status Changed",
			"Opportunity Stage Changed",
			"Opportunity Without Activity",
			"Opportunity Closing Date Passed",
			"Customer Health Turned Red",
			"Lead Grade Changed",
		]
		from_value: DF.Data | None
		last_run_on: DF.Datetime | None
		last_run_summary: DF.SmallText | None
		message: DF.SmallText | None
		notify_owner: DF.Check
		recipients: DF.TableMultiSelect[CRMAutomationRecipient]
		rule_name: DF.Data
		set_field: DF.Data | None
		set_value: DF.Data | None
		tag: DF.Link | None
		to_value: DF.Data | None
		todo_days: DF.Int
		todo_description: DF.SmallText | None
	# end: auto-generated types

	def validate(self):
		automation_rules.validate_rule(self)

	def on_change(self):
		automation.rules_changed()

	def on_trash(self):
		frappe.db.delete(constants.AUTOMATION_LOG, {"rule": self.name})

	def after_delete(self):
		automation.rules_changed()
