# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A record the ERPNext / Frappe Contact sync could not write (see services/integrations/erp_sync.py)."""

import frappe
from frappe.model.document import Document

from crm_module import constants


class CRMSyncIssue(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		attempts: DF.Int
		error: DF.SmallText | None
		error_log: DF.Link | None
		last_attempt_on: DF.Datetime | None
		other_doctype: DF.Data | None
		other_name: DF.Data | None
		record_doctype: DF.Data
		record_name: DF.Data
		status: DF.Literal["Open", "Resolved"]
	# end: auto-generated types

	pass


def on_doctype_update():
	frappe.db.add_index(constants.SYNC_ISSUE, ["record_doctype", "record_name", "status"])
