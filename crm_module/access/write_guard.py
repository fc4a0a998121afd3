"""Every write to a CRM record, whatever path it came by (`/api/resource`, `frappe.client.*`, desk
saves, bulk update, the app's API), passes here first (`before_validate` of every isolated doctype):

* field values must have their field's type (`input_types`), for everybody;
* a CRM User cannot give a record to someone else, nor take one: a new record's owner field is
  theirs (set when empty, refused when it names someone else), and an existing record's owner
  field does not change. Only CRM Managers reassign, and team leads within their team (`teams.py`);
* a CRM User cannot set what the app computes (scores, health, conversion links...), nor Frappe's
  own bookkeeping columns (`owner`, `_assign`...). The app's services set
  ``doc.flags.crm_system_update`` where they write such fields on the user's behalf (conversion);
* a CRM User's child rows are new or the record's own: a row sent with the name of another record's row
  (another rep's opportunity line, contact email...) would be written over that row and moved here.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, getdate

from crm_module.access.child_rows import row_reachable
from crm_module.access.input_types import check_document, check_values
from crm_module.access.rules import RULES, SYSTEM_COLUMNS
from crm_module.access.teams import reach_users
from crm_module.access.users import is_unrestricted
from crm_module.exceptions import CRMProtectedFieldError


def guard_write(doc, method: str | None = None) -> None:
	check_document(doc)
	rule = RULES.get(doc.doctype)
	user = frappe.session.user
	if rule is None or doc.flags.crm_system_update or is_unrestricted(user):
		return
	guard_foreign_rows(doc)
	before = None if doc.is_new() else (doc.get_doc_before_save() or _load(doc))
	if rule.owner_field:
		guard_owner_field(doc, rule.owner_field, before, user)
	for fieldname in rule.protected + SYSTEM_COLUMNS:
		if before is None and fieldname in ("owner", "creation"):
			continue  # Frappe sets them on insert
		old = before.get(fieldname) if before is not None else _default(doc, fieldname)
		if _differs(doc, fieldname, doc.get(fieldname), old):
			refuse(doc, fieldname, _("is maintained by the app and cannot be set"))


def guard_foreign_rows(doc) -> None:
	"""Frappe writes a child row that comes with a name over the stored row of that name, whichever record
	it belongs to, and moves it under `doc`: a row named after another record's row would take that row
	(another rep's opportunity line, contact email...). A CRM User's rows are new (no name) or `doc`'s own."""
	for df in doc.meta.get_table_fields():
		named = {row.name: row for row in doc.get(df.fieldname) or [] if row.name and not row.is_new()}
		if not named:
			continue
		table = frappe.qb.DocType(df.options)
		stored = (
			frappe.qb.from_(table)
			.select(table.name, table.parent, table.parenttype, table.parentfield)
			.where(table.name.isin(list(named)))
			.run(as_dict=True)
		)
		for row in stored:
			if (row.parenttype, row.parent, row.parentfield) != (doc.doctype, doc.name, df.fieldname):
				frappe.throw(
					_(
						"{0} ({1}) row {2}: {3} is a row of another record; send new rows without a name"
					).format(_(df.label or df.fieldname), df.fieldname, named[row.name].idx, row.name),
					frappe.PermissionError,
					title=_("Not Permitted"),
				)


def guard_child_row(row, method: str | None = None) -> None:
	"""A child row saved or deleted on its own (`/api/resource`, `frappe.client.save`/`delete`): Frappe
	checks such a row against its parent *doctype* only, so check the parent record (before the edit
	and after it) here."""
	if method != "on_trash":
		check_values(row)
	if row.flags.ignore_permissions or row_reachable(row, "write"):
		return
	frappe.throw(
		_("You cannot change {0} rows of {1} {2}").format(
			_(row.doctype), _(row.parenttype or ""), row.parent or ""
		),
		frappe.PermissionError,
		title=_("Not Permitted"),
	)


def guard_owner_field(doc, fieldname: str, before, user: str) -> None:
	"""A CRM User's records are theirs; a team lead may also give records to (and move them between)
	the people of their team."""
	value = doc.get(fieldname)
	team = reach_users(user)
	if before is None:
		if not value:
			doc.set(fieldname, user)
		elif value not in team:
			refuse(
				doc,
				fieldname,
				_("can only name you ({0}) or your team; a CRM Manager assigns records to others").format(
					user
				),
			)
	elif value != before.get(fieldname) and (value not in team or before.get(fieldname) not in team):
		refuse(doc, fieldname, _("can only be changed by a CRM Manager or within your team by its lead"))


def refuse(doc, fieldname: str, reason: str) -> None:
	df = doc.meta.get_field(fieldname)
	label = _(df.label) if df else fieldname
	frappe.throw(
		_("{0} ({1}) {2}").format(label, fieldname, reason), CRMProtectedFieldError, title=_("Not Permitted")
	)


def _load(doc):
	return frappe.get_doc(doc.doctype, doc.name) if frappe.db.exists(doc.doctype, doc.name) else None


def _default(doc, fieldname: str):
	df = doc.meta.get_field(fieldname)
	return df.default if df else None


def _differs(doc, fieldname: str, new, old) -> bool:
	if new in (None, "") and old in (None, ""):
		return False
	df = doc.meta.get_field(fieldname)
	fieldtype = df.fieldtype if df else ("Datetime" if fieldname == "creation" else "Data")
	try:
		if fieldtype in ("Int", "Check"):
			return cint(new) != cint(old)
		if fieldtype in ("Float", "Currency", "Percent"):
			return abs(flt(new) - flt(old)) > 1e-9
		if fieldtype == "Date":
			return getdate(new) != getdate(old)
		if fieldtype == "Datetime":
			return get_datetime(new) != get_datetime(old)
	except Exception:
		return True
	return str(new or "") != str(old or "")
