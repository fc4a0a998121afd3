# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""One move of an opportunity between stages, written only by the CRM Opportunity controller."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import now_datetime

from crm_module.utils import throw_input


class CRMDealStage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		days_in_previous_stage: DF.Int
		from_stage: DF.Link | None
		is_reopen: DF.Check
		moved_by: DF.Link | None
		moved_on: DF.Datetime
		notes: DF.SmallText | None
		opportunity: DF.Link
		to_stage: DF.Link
	# end: auto-generated types

	def validate(self):
		if not self.is_new():
			throw_input(
				_("Deal stage history cannot be edited; move the opportunity to another stage instead")
			)
		if (self.days_in_previous_stage or 0) < 0:
			throw_input(_("Days in Previous Stage (days_in_previous_stage) cannot be negative"))
		self.moved_on = self.moved_on or now_datetime()
		self.moved_by = self.moved_by or frappe.session.user
