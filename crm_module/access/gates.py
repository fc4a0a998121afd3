"""Hooks on Frappe's own doctypes that would otherwise grant access to, or leak, CRM records.

* ToDo: an assignment grants access, so a ToDo pointing at a CRM record is accepted only from someone
  who may write that record (creating it, re-opening it, or pointing it elsewhere); on the app's other
  records (catalog products, pipeline stages...) from someone Frappe lets write it.
* DocShare: Frappe lets a share override every other rule; CRM Users cannot share CRM records.
* File: attaching to, listing, reading or deleting a file of a CRM record follows that record.
* Tag Link and Notification Log: rows about CRM records are visible to those who reach the record
  (Tag Link) or to the notified user only (Notification Log).
"""

import frappe
from frappe import _

from crm_module import constants
from crm_module.access.records import can_reach
from crm_module.access.rules import READ_TYPES, RULES
from crm_module.access.users import is_unrestricted

ASSIGNMENT_FIELDS = ("reference_type", "reference_name", "allocated_to", "status")


def _refuse(message: str) -> None:
	frappe.throw(message, frappe.PermissionError, title=_("Not Permitted"))


def gate_todo(todo, method: str | None = None) -> None:
	"""`validate` of ToDo."""
	if not todo.reference_type or not todo.reference_name or todo.status != "Open":
		return
	isolated = todo.reference_type in RULES
	if not isolated and not is_app_doctype(todo.reference_type):
		return
	if is_unrestricted():
		return
	before = None if todo.is_new() else todo.get_doc_before_save()
	if before is not None and all(before.get(f) == todo.get(f) for f in ASSIGNMENT_FIELDS):
		return
	if not (
		can_reach(todo.reference_type, todo.reference_name, read=False)
		if isolated  # the app's other records (catalog products, stages...): Frappe's write permission
		else frappe.has_permission(todo.reference_type, "write", todo.reference_name)
	):
		_refuse(
			_("You cannot assign {0} {1}: only someone who may edit it can").format(
				_(todo.reference_type), todo.reference_name
			)
		)


def is_app_doctype(doctype: str) -> bool:
	return frappe.db.get_value("DocType", doctype, "module", cache=True) == constants.MODULE


def gate_share(share, method: str | None = None) -> None:
	"""`validate` of DocShare."""
	if share.share_doctype in RULES and not is_unrestricted():
		_refuse(
			_("Only a CRM Manager can share {0} records; assign them instead").format(_(share.share_doctype))
		)


def gate_file(file, method: str | None = None) -> None:
	"""`validate` of File: attaching to a CRM record needs write access to it (except the app's own
	copies, e.g. an email's attachments carried onto the interaction recording it)."""
	if file.attached_to_doctype not in RULES or not file.attached_to_name or file.flags.crm_system_update:
		return
	before = None if file.is_new() else file.get_doc_before_save()
	moved = before is None or (before.attached_to_doctype, before.attached_to_name) != (
		file.attached_to_doctype,
		file.attached_to_name,
	)
	if moved and not can_reach(file.attached_to_doctype, file.attached_to_name, read=False):
		_refuse(
			_("You cannot attach files to {0} {1}").format(_(file.attached_to_doctype), file.attached_to_name)
		)


def _attached_record_permission(doctype: str, name: str, ptype: str, user: str | None) -> bool | None:
	"""A row pointing at a CRM record is as reachable as the record (None: not about a CRM record)."""
	if doctype not in RULES or not name or is_unrestricted(user):
		return None
	return can_reach(doctype, name, user, read=ptype in READ_TYPES)


def file_permission(doc, ptype: str = "read", user: str | None = None, debug: bool = False) -> bool | None:
	"""`has_permission` of File."""
	return _attached_record_permission(doc.attached_to_doctype, doc.attached_to_name, ptype, user)


def tag_link_permission(
	doc, ptype: str = "read", user: str | None = None, debug: bool = False
) -> bool | None:
	"""`has_permission` of Tag Link."""
	return _attached_record_permission(doc.document_type, doc.document_name, ptype, user)


def notification_permission(
	doc, ptype: str = "read", user: str | None = None, debug: bool = False
) -> bool | None:
	"""`has_permission` of Notification Log: a notification about a CRM record is its recipient's."""
	user = user or frappe.session.user
	if doc.document_type not in RULES or user == "Administrator":
		return None
	return doc.for_user == user


def drop_stale_follows(doc, method: str | None = None) -> None:
	"""`on_update` of owned records and `on_change` of ToDo: whoever follows a record (Frappe mails them
	its changes) but no longer reaches it stops following it."""
	if doc.doctype != "ToDo" and doc.flags.in_insert:
		return  # Frappe adds the creator's follow after the insert: a new record has no follower yet
	doctype, name = (
		(doc.reference_type, doc.reference_name) if doc.doctype == "ToDo" else (doc.doctype, doc.name)
	)
	if doctype not in RULES or not name:
		return
	follows = frappe.get_all(
		"Document Follow", filters={"ref_doctype": doctype, "ref_docname": name}, fields=["name", "user"]
	)
	for follow in follows:
		if not can_reach(doctype, name, follow.user):
			frappe.delete_doc("Document Follow", follow.name, ignore_permissions=True, force=True)
