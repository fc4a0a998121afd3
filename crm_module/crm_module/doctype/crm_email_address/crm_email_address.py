# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document

from crm_module.access.child_rows import ChildRowAccess


class CRMEmailAddress(ChildRowAccess, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		email_id: DF.Data
		email_type: DF.Literal["Work", "Personal", "Other"]
		is_primary: DF.Check
		is_verified: DF.Check
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		verified_on: DF.Datetime | None
	# end: auto-generated types

	pass
