# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document


class CRMCustomerSegment(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_segment_member.crm_segment_member import CRMSegmentMember

		criteria: DF.JSON | None
		description: DF.SmallText | None
		last_evaluated_on: DF.Datetime | None
		member_count: DF.Int
		members: DF.Table[CRMSegmentMember]
		segment_name: DF.Data
		segment_type: DF.Literal["Static", "Dynamic"]
	# end: auto-generated types

	pass
