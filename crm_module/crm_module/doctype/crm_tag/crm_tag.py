# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document


class CRMTag(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		category: DF.Data | None
		color: DF.Color | None
		description: DF.SmallText | None
		tag_name: DF.Data
		usage_count: DF.Int
	# end: auto-generated types

	pass
