"""Is this record being written by Frappe's Data Import? Controllers and hooks ask before per-row side
effects that `crm_module.services.imports.followup` does set-based once the import has finished.

Frappe's importer (frappe/core/doctype/data_import/importer.py) sets `frappe.flags.in_import` for the
whole run and names itself on every record it inserts or updates (`doc.flags.updater_reference`).
Both must hold: `in_import` alone is also set while Frappe syncs DocType JSON, and only a Data Import
has a follow-up that catches up on the skipped work.
"""

import frappe

DATA_IMPORT = "Data Import"


def data_import_of(doc) -> str | None:
	"""The name of the Data Import writing `doc` right now, else None."""
	if not frappe.flags.in_import:
		return None
	flags = getattr(doc, "flags", None)
	reference = (flags.get("updater_reference") if flags else None) or {}
	if reference.get("doctype") != DATA_IMPORT:
		return None
	return reference.get("docname")
