# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""Likely duplicate customers, leads or contacts (same company name up to case, punctuation and legal
form; same email; same phone) among the records the user reaches, with a Merge action per pair."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.dedupe.candidates import find_candidates


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	doctype = filters.get("doctype") or constants.CUSTOMER
	rows = [
		{
			**pair,
			"doctype": doctype,
			"reasons": ", ".join(_(reason) for reason in pair["reasons"]),
			"merge": "",
		}
		for pair in find_candidates(doctype)
	]
	return columns(doctype), rows


def columns(doctype: str) -> list[dict]:
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
		{"label": _("Action"), "fieldname": "merge", "fieldtype": "Data", "width": 100},
	]
