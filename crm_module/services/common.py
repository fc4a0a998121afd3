"""What every service shares: who is acting, fetching a record the actor may reach, and plain results.

The *acting user* defaults to the session user. A CRM Manager (or a team lead, for their team) may act
for a rep (the API's ``userId``, the reports' "Sales Rep" filter): reads are then scoped to what the rep
can reach, and records created carry the rep as their owner field (account, lead or opportunity owner). `acting_user` decides whether a
request may name someone else; `user_or_session` is the user a service then works for. Documents are
always written through the ORM, so controllers, permission hooks and the version log apply.
"""

from typing import Any

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.access.teams import reach_users
from crm_module.access.users import is_unrestricted
from crm_module.exceptions import CRMNotFoundError
from crm_module.services.payload import camel
from crm_module.utils import throw_input

OWNER_FIELDS = {
	constants.CUSTOMER: "account_owner",
	constants.LEAD: "lead_owner",
	constants.OPPORTUNITY: "opportunity_owner",
}
HIDDEN_KEYS = frozenset({"doctype", "docstatus", "idx", "parent", "parentfield", "parenttype"})


CRM_ROLES = frozenset({constants.ROLE_USER, *constants.MANAGER_ROLES})


def acting_user(user_id: str | None = None) -> str:
	"""The user whose view a request asks for: the session user, or `user_id` when a CRM Manager (or
	System Manager) names someone else; 403 for anybody else naming another user and for callers without
	a CRM role, 404 for an unknown or disabled user."""
	session_user = frappe.session.user
	if session_user == "Guest" or not CRM_ROLES.intersection(frappe.get_roles(session_user)):
		frappe.throw(_("You need a CRM role to use the CRM API"), frappe.PermissionError)
	if user_id in (None, "", session_user):
		return session_user
	if not is_unrestricted(session_user) and user_id not in reach_users(session_user):
		frappe.throw(
			_("userId: only a CRM Manager, or the lead of the user's team, can act for another user"),
			frappe.PermissionError,
		)
	if not frappe.db.exists("User", {"name": user_id, "enabled": 1}):
		frappe.throw(_("userId: user {0} not found").format(user_id), frappe.DoesNotExistError)
	return user_id


def user_or_session(user: str | None) -> str:
	"""The user a service works for: `user` when given (already checked by `acting_user`), else the
	session user."""
	return user or frappe.session.user


def require_manager(user: str | None = None) -> None:
	"""403 unless the user may see and change everything (CRM Manager, System Manager)."""
	if not is_unrestricted(user_or_session(user)):
		frappe.throw(_("Only CRM Managers can do this"), frappe.PermissionError)


def get_record(doctype: str, name: Any, param: str, user: str | None = None, ptype: str = "read") -> Document:
	"""The record `name` if `user` may `ptype` it: 400 when `name` is not a non-empty string, 404 when it
	does not exist, 403 when it is outside the user's reach. `param` names the parameter in messages."""
	if not isinstance(name, str) or not name.strip():
		throw_input(_("{0} is required (the name of a {1})").format(param, _(doctype)))
	if not frappe.db.exists(doctype, name):
		frappe.throw(_("{0}: {1} {2} not found").format(param, _(doctype), name), CRMNotFoundError)
	doc = frappe.get_doc(doctype, name)
	if not doc.has_permission(ptype, user=user_or_session(user)):
		frappe.throw(
			_("{0}: you do not have access to {1} {2}").format(param, _(doctype), name),
			frappe.PermissionError,
		)
	return doc


def check_links(values: dict, links: dict[str, tuple[str, str]], user: str | None = None) -> None:
	"""Every linked record in `values` (fieldname -> (doctype, parameter)) must exist and be reachable."""
	for fieldname, (doctype, param) in links.items():
		if values.get(fieldname):
			get_record(doctype, values[fieldname], param, user)


def new_doc(doctype: str, values: dict, user: str | None = None) -> Document:
	"""A new document with `values`; when a manager acts for someone else, that user owns it."""
	doc = frappe.new_doc(doctype)
	doc.update(values)
	owner_field = OWNER_FIELDS.get(doctype)
	actor = user_or_session(user)
	if owner_field and actor != frappe.session.user and not values.get(owner_field):
		doc.set(owner_field, actor)
	return doc


def insert(doc: Document, user: str | None = None) -> Document:
	"""Insert after checking mandatory fields (400 naming them) and `create` for the acting user (role and
	row rules, e.g. the parent links)."""
	for df in doc.meta.get("fields", {"reqd": 1}):
		if df.fieldtype not in frappe.model.table_fields and doc.get(df.fieldname) in (None, ""):
			throw_input(_("{0} ({1}) is required").format(camel(df.fieldname), df.fieldname))
	if not doc.has_permission("create", user=user_or_session(user)):
		frappe.throw(_("You are not allowed to create {0}").format(_(doc.doctype)), frappe.PermissionError)
	return doc.insert()


def as_dict(doc: Document | dict) -> dict:
	"""The record's fields without framework bookkeeping (child rows included, also cleaned)."""
	data = doc.as_dict() if isinstance(doc, Document) else dict(doc)
	out = {}
	for key, value in data.items():
		if key in HIDDEN_KEYS or key.startswith("_"):
			continue
		out[key] = [as_dict(row) for row in value] if isinstance(value, list) else value
	return out
