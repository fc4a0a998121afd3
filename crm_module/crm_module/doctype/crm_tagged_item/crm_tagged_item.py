# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CRMTaggedItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		tag: DF.Link
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_index("CRM Tagged Item", ["reference_doctype", "reference_name"], "reference_index")
	frappe.db.add_unique("CRM Tagged Item", ["tag", "reference_doctype", "reference_name"], "unique_tag_item")
