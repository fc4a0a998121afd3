# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document

from crm_module.access.child_rows import ChildRowAccess


class CRMPhoneNumber(ChildRowAccess, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		country_code: DF.Data | None
		is_primary: DF.Check
		is_verified: DF.Check
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		phone: DF.Data
		phone_type: DF.Literal["Mobile", "Office", "Home", "Other"]
		verified_on: DF.Datetime | None
	# end: auto-generated types

	pass
