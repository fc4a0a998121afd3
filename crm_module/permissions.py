"""Row-level isolation, as Frappe's hooks see it. The rules live in `crm_module.access`:

* `access.rules`: the one rule table;
* `access.conditions`: lists, reports, counts and search (`permission_query_conditions`);
* `access.records`: single documents, judged as stored (`has_permission`);
* `access.write_guard`, `access.gates`, `access.overrides`: the other write and read paths.

This module keeps the names hooks.py, services and tests use.
"""

import frappe

from crm_module.access.conditions import get_query_conditions
from crm_module.access.records import can_reach, has_permission
from crm_module.access.users import has_crm_role, is_unrestricted

__all__ = [
	"can_reach",
	"check_access",
	"get_query_conditions",
	"has_crm_role",
	"has_permission",
	"is_unrestricted",
]


def check_access(doctype: str, name: str, ptype: str = "read") -> None:
	"""Raise 404 for missing records and 403 for records outside the caller's reach."""
	from crm_module.exceptions import CRMNotFoundError

	if not frappe.db.exists(doctype, name):
		frappe.throw(
			frappe._("{0} {1} not found").format(frappe._(doctype), frappe.bold(name)), CRMNotFoundError
		)
	doc = frappe.get_doc(doctype, name)
	if not doc.has_permission(ptype):
		frappe.throw(
			frappe._("You do not have access to {0} {1}").format(frappe._(doctype), frappe.bold(name)),
			frappe.PermissionError,
		)
