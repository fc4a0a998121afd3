# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document


class CRMInternalNote(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_note_mention.crm_note_mention import CRMNoteMention

		content: DF.TextEditor
		customer: DF.Link | None
		is_pinned: DF.Check
		mentions: DF.TableMultiSelect[CRMNoteMention]
		note_type: DF.Literal["General", "Call", "Meeting", "Follow-up", "Important"]
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		title: DF.Data | None
	# end: auto-generated types

	pass
