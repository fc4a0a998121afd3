# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document

from crm_module.access.child_rows import ChildRowAccess


class CRMFitRule(ChildRowAccess, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		field: DF.Literal[
			"source",
			"industry",
			"company_size",
			"email_id",
			"email_domain",
			"phone",
			"job_title",
			"country",
			"website",
			"quality",
		]
		operator: DF.Literal["=", "!=", "in", "not in", "contains", "ends with", "is set", "is not set"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		points: DF.Int
		value: DF.Data | None
	# end: auto-generated types

	pass
