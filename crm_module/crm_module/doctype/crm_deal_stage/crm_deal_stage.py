# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document


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

	pass
