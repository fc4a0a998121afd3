# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document


class CRMAutomationCondition(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		field: DF.Data
		operator: DF.Literal["=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "is set", "is not set"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		value: DF.Data | None
	# end: auto-generated types

	pass
