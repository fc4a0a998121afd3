# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""CRM Record Access: one row per (user, record) a CRM User reaches, kept by `crm_module.access.index`."""

import frappe
from frappe.model.document import Document

from crm_module import constants


class CRMRecordAccess(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		record_name: DF.Data
		record_type: DF.Data
		user: DF.Data
	# end: auto-generated types

	pass


def on_doctype_update():
	# the row rule: `name in (select record_name ... where user = X and record_type = D)`
	frappe.db.add_unique(
		constants.RECORD_ACCESS, ["user", "record_type", "record_name"], "user_record_unique"
	)
	# who reaches one record, and the row rule's semi-join driven from the records (a team lead's deals):
	# from the index alone (patch v0_9 replaced `record_index`, its prefix)
	frappe.db.add_index(constants.RECORD_ACCESS, ["record_type", "record_name", "user"], "record_user_index")
