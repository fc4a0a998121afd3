# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""Where a migrated record came from (see crm_module/services/migration/runs.py)."""

import frappe
from frappe.model.document import Document

from crm_module import constants


class CRMSourceLink(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		migrated_on: DF.Datetime | None
		source_app: DF.Literal["ERPNext", "Frappe CRM"]
		source_doctype: DF.Data
		source_modified: DF.Datetime | None
		source_name: DF.Data
		target_doctype: DF.Link
		target_name: DF.Data
	# end: auto-generated types

	pass


def on_doctype_update():
	# one link per source record: the migration looks records up by it and never migrates one twice
	frappe.db.add_unique(
		constants.SOURCE_LINK, ["source_doctype", "source_name"], constraint_name="source_record_unique"
	)
