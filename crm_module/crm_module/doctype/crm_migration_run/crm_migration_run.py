# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""The log of one migration run (see crm_module/services/migration/runs.py)."""

from frappe.model.document import Document


class CRMMigrationRun(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		counts: DF.JSON | None
		created_count: DF.Int
		dry_run: DF.Check
		error: DF.LongText | None
		finished_on: DF.Datetime | None
		report: DF.LongText | None
		skipped_count: DF.Int
		source_app: DF.Literal["ERPNext", "Frappe CRM"]
		started_by: DF.Link | None
		started_on: DF.Datetime | None
		status: DF.Literal["Queued", "Running", "Completed", "Failed"]
		updated_count: DF.Int
	# end: auto-generated types

	pass
