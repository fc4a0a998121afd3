# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CRMLeadScore(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		activity_score: DF.Int
		engagement_score: DF.Int
		factors: DF.JSON | None
		fit_score: DF.Int
		grade: DF.Literal["A", "B", "C", "D"]
		lead: DF.Link
		scoring_date: DF.Date
		total_score: DF.Int
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_unique("CRM Lead Score", ["lead", "scoring_date"], "unique_lead_scoring_date")
