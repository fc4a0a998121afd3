# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Likely duplicate customers, leads or contacts (same company name up to case, punctuation and legal
form; same email; same phone) among the records the user reaches, with a Merge action per pair for
users who may delete records of that doctype (a merge deletes one; `can_merge` on each row tells the
page whether to show the button, and the merge itself checks again)."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.dedupe.candidates import find_candidates
from crm_module.services.dedupe.merge import can_merge


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	doctype = filters.get("doctype") or constants.CUSTOMER
	pairs = find_candidates(doctype)  # checks the doctype
	may_merge = 1 if can_merge(doctype) else 0
	rows = [
		{
			**pair,
			"doctype": doctype,
			"reasons": ", ".join(_(reason) for reason in pair["reasons"]),
			"merge": "",
			"can_merge": may_merge,
		}
		for pair in pairs
	]
	return columns(doctype, may_merge), rows


def columns(doctype: str, may_merge: int = 1) -> list[dict]:
	action = [{"label": _("Action"), "fieldname": "merge", "fieldtype": "Data", "width": 100}]
	return [
		{"label": _("Record"), "fieldname": "a", "fieldtype": "Link", "options": doctype, "width": 150},
		{"label": _("Name"), "fieldname": "a_title", "fieldtype": "Data", "width": 200},
		{
			"label": _("Likely Duplicate"),
			"fieldname": "b",
			"fieldtype": "Link",
			"options": doctype,
			"width": 150,
		},
		{"label": _("Name"), "fieldname": "b_title", "fieldtype": "Data", "width": 200},
		{"label": _("Same"), "fieldname": "reasons", "fieldtype": "Data", "width": 160},
		*(action if may_merge else []),
	]
