# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A customer's (or lead's) activity log; rows come from `crm_module.services.timeline`."""

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.utils import throw_input


class CRMActivityTimeline(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		activity_date: DF.Datetime
		activity_type: DF.Literal[
			"Interaction",
			"Opportunity Created",
			"Stage Change",
			"Opportunity Won",
			"Opportunity Lost",
			"Opportunity Reopened",
			"Lead Converted",
			"Note Added",
			"Health Risk Change",
			"Other",
		]
		customer: DF.Link | None
		description: DF.SmallText | None
		is_important: DF.Check
		lead: DF.Link | None
		metadata: DF.JSON | None
		performed_by: DF.Link | None
		reference_doctype: DF.Link | None
		reference_name: DF.DynamicLink | None
		title: DF.Data
	# end: auto-generated types

	def validate(self):
		if not self.customer and not self.lead:
			throw_input(_("Customer (customer) or Lead (lead) is required for a timeline entry"))
		if self.metadata and not isinstance(frappe.parse_json(self.metadata), dict):
			throw_input(_("Metadata (metadata) must be a JSON object"))
		self.performed_by = self.performed_by or frappe.session.user


def on_doctype_update():
	frappe.db.add_index(constants.TIMELINE, ["customer", "activity_date"], "customer_activity_date_index")
	# the entries of one record (an import's follow-up skips interactions that have one; deletes)
	frappe.db.add_index(constants.TIMELINE, ["reference_doctype", "reference_name"], "reference_index")
