"""Child rows (emails and phones of a contact, mentions of a note...) read or written on their own.

Frappe checks a child row fetched by name (`/api/resource/CRM Email Address/<row>`, `frappe.client.get`,
getdoc, print) against its parent *doctype* only: a standalone row has no parent document attached, so
the parent record's row rules never run. The controllers of the CRM child tables mix this in so the
row is as reachable as the record it belongs to.
"""

import frappe
from frappe.model.base_document import BaseDocument

from crm_module.access.records import can_reach
from crm_module.access.rules import CHILD_PARENTS, READ_TYPES
from crm_module.access.users import is_unrestricted


def row_reachable(row, ptype: str = "read", user: str | None = None) -> bool:
	user = user or frappe.session.user
	if is_unrestricted(user):
		return True
	stored = None
	if not row.is_new():
		stored = frappe.db.get_value(row.doctype, row.name, ["parenttype", "parent"], as_dict=True)
	parents = {(row.parenttype, row.parent)} | ({(stored.parenttype, stored.parent)} if stored else set())
	expected = CHILD_PARENTS.get(row.doctype)
	return all(
		expected is not None
		and parenttype == expected
		and can_reach(parenttype, parent, user, read=ptype in READ_TYPES)
		for parenttype, parent in parents
	)


class ChildRowAccess:
	"""Mixin for CRM child table controllers (put it before `Document`).

	A row loaded on its own gets its parent record as `parent_doc` (read from the database), so
	Frappe's own child-table permission check (print view, `frappe.has_permission(doc=row)`) judges the
	parent record with its row rules instead of only the parent doctype."""

	@property
	def parent_doc(self):
		parent = BaseDocument.parent_doc.fget(self)
		if parent is None and self.parenttype and self.parent and isinstance(self.parent, str):
			if frappe.db.exists(self.parenttype, self.parent):
				parent = frappe.get_doc(self.parenttype, self.parent)
				self._parent_doc = parent
		return parent

	@parent_doc.setter
	def parent_doc(self, value):
		self._parent_doc = value

	@parent_doc.deleter
	def parent_doc(self):
		self._parent_doc = None

	def has_permission(self, permtype="read", *, debug=False, user=None) -> bool:
		if not self.flags.ignore_permissions and not row_reachable(self, permtype, user):
			return False
		return super().has_permission(permtype, debug=debug, user=user)
