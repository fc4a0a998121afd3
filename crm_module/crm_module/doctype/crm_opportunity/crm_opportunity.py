# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CRMOpportunity(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		actual_close_date: DF.Date | None
		competitors: DF.SmallText | None
		contact: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		days_in_pipeline: DF.Int
		description: DF.TextEditor | None
		expected_close_date: DF.Date | None
		forecast_amount: DF.Currency
		lead: DF.Link | None
		opportunity_name: DF.Data
		opportunity_owner: DF.Link | None
		opportunity_type: DF.Literal["", "New Business", "Upsell", "Cross-sell", "Renewal", "Other"]
		pipeline: DF.Link | None
		probability_is_manual: DF.Check
		probability_percent: DF.Percent
		source: DF.Literal[
			"", "Inbound", "Outbound", "Referral", "Website", "Partner", "Event", "Campaign", "Other"
		]
		stage: DF.Link
		stage_changed_on: DF.Datetime | None
		status: DF.Literal["Open", "Won", "Lost"]
		value: DF.Currency
		win_loss_reason: DF.SmallText | None
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_index("CRM Opportunity", ["opportunity_owner", "stage"], "owner_stage_index")
	frappe.db.add_index("CRM Opportunity", ["status", "stage"], "status_stage_index")
