# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""One row of the web-to-lead form: a lead field, its label on the form, whether it is required."""

from frappe.model.document import Document


class CRMWebLeadField(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		fieldname: DF.Literal[
			"lead_name",
			"email_id",
			"company_name",
			"phone",
			"job_title",
			"industry",
			"company_size",
			"website",
			"country",
			"territory",
			"notes",
		]
		label: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		required: DF.Check
	# end: auto-generated types

	pass
