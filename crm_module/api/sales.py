"""Desk/API endpoints of the sales process: lead conversion, tags, note pinning, follow-ups, timeline.

Each endpoint is a thin wrapper over a service in `crm_module.services`; permissions are checked there.
"""

import frappe

from crm_module.services import conversion, notes, tags, timeline
from crm_module.services.sales import followups


@frappe.whitelist(methods=["POST"])
def convert_lead(lead: str, create_opportunity: bool = False, opportunity: dict | str | None = None) -> dict:
	"""Convert a lead to a customer + primary contact (+ opportunity); 409 for lost/converted leads."""
	return conversion.convert_lead(lead, bool(frappe.utils.cint(create_opportunity)), opportunity or None)


@frappe.whitelist(methods=["POST"])
def add_tag(doctype: str, name: str, tag: str) -> dict:
	return tags.add_tag(doctype, name, tag)


@frappe.whitelist(methods=["POST"])
def remove_tag(doctype: str, name: str, tag: str) -> dict:
	return tags.remove_tag(doctype, name, tag)


@frappe.whitelist()
def get_document_tags(doctype: str, name: str) -> list[dict]:
	return tags.get_document_tags(doctype, name)


@frappe.whitelist()
def get_tagged_names(tag: str, doctype: str) -> list[str]:
	"""Names of `doctype` documents tagged `tag` (used by the list-view "Filter by Tag" action)."""
	return tags.get_tagged_names(tag, doctype)


@frappe.whitelist(methods=["POST"])
def pin_note(note: str) -> dict:
	return notes.set_pinned(note, True)


@frappe.whitelist(methods=["POST"])
def unpin_note(note: str) -> dict:
	return notes.set_pinned(note, False)


@frappe.whitelist()
def get_notes(reference_doctype: str, reference_name: str, limit: int = 50) -> list[dict]:
	return notes.get_notes(reference_doctype, reference_name, limit)


@frappe.whitelist()
def get_overdue_follow_ups(limit: int = 100, start: int = 0) -> list[dict]:
	return followups.get_overdue_follow_ups(limit, start)


@frappe.whitelist()
def get_activity_timeline(
	customer: str, limit: int = 50, start: int = 0, newest_first: bool = False
) -> list[dict]:
	return timeline.get_activity_timeline(customer, limit, start, bool(frappe.utils.cint(newest_first)))
