# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CRMCustomerHealthScore(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		activity_score: DF.Int
		customer: DF.Link
		delta_30d: DF.Int
		delta_7d: DF.Int
		engagement_score: DF.Int
		factors: DF.JSON | None
		health_score: DF.Int
		recommendations: DF.SmallText | None
		risk_level: DF.Literal["Green", "Yellow", "Red"]
		satisfaction_score: DF.Int
		score_date: DF.Date
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_unique(
		"CRM Customer Health Score", ["customer", "score_date"], "unique_customer_score_date"
	)
