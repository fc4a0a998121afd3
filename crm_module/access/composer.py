"""The desk's email composer offers CRM contacts to the users who may read them (issue 20).

Frappe's composer asks `frappe.email.get_contact_list` for the To / CC / BCC suggestions, a `get_list` of
Contact: only users with a role that reads Contact get any. The CRM mirrors each CRM Contact to a Frappe
Contact owned by Administrator (`services/integrations/contact_mirror.py`), and a plain CRM User reads no
Contact, so a rep was offered none of their own contacts.

This override (`hooks.override_whitelisted_methods`) returns Frappe's own suggestions to whoever may read
Contact (unchanged), followed by the mirrored Contacts of the CRM Contacts the user may read: the CRM
Contacts are listed with `frappe.get_list`, which applies the app's row rules (a rep reaches their own
customers' contacts, never another rep's), and only the email rows of their mirrors are read. Nothing
else about Contact opens up: a rep still cannot list, open or search Contacts. This is smaller and safer
than granting CRM User read on Contact, which would open every Contact surface of the desk (list, form,
reports, links) to the row rules of a doctype the app does not own.
"""

import frappe
from frappe import _
from frappe.email import get_contact_list as frappe_get_contact_list
from frappe.utils import cint

from crm_module import constants
from crm_module.utils import throw_input

# CRM Contact columns matched against what was typed (Frappe's list matches the Contact's names and emails)
MATCHED = ("first_name", "last_name", "full_name", "email_id")
# and the Contact columns Frappe's list matches (with its Contact Email rows)
FRAPPE_MATCHED = ("first_name", "middle_name", "last_name", "company_name")


@frappe.whitelist()
def get_contact_list(txt: str = "", page_length: int = 20, extra_filters: str | None = None) -> list[dict]:
	"""The composer's suggestions: {value, label: an email, description: the contact's full name}."""
	page_length = cint(page_length) or 20
	if extra_filters:
		extra_filters = frappe.as_json(contact_filters(extra_filters))
	found = []
	if frappe.has_permission("Contact", "read"):
		found = frappe_get_contact_list(txt, page_length, extra_filters)
	seen = {row["value"] for row in found}
	for row in crm_contact_list(txt or "", page_length, extra_filters):
		if len(found) >= page_length:
			break
		if row["value"] not in seen:
			seen.add(row["value"])
			found.append(row)
	return found


# what a form's recipient filters (`get_email_recipient_filters`) may name: the query below runs without
# permission checks, so a filter on another table would be an oracle on rows the user may not read
FILTER_DOCTYPES = ("Contact", "Contact Email", "Contact Phone", "Dynamic Link")


def contact_filters(extra_filters) -> list:
	"""`extra_filters` as a list of filters on Contact and its own child tables only (400 otherwise)."""
	filters = frappe.parse_json(extra_filters)
	if isinstance(filters, dict):
		filters = [[key, "=", value] for key, value in filters.items()]
	if not isinstance(filters, list) or not all(
		isinstance(f, list | tuple) and (len(f) in (2, 3) or (len(f) == 4 and f[0] in FILTER_DOCTYPES))
		for f in filters
	):
		throw_input(_("extra_filters may only filter Contact and its email, phone and link rows"))
	return filters


def crm_contact_list(txt: str, page_length: int, extra_filters: str | None = None) -> list[dict]:
	"""Email rows of the mirrored Contacts of the CRM Contacts the session user may read whose name or
	email contains `txt`."""
	if not frappe.has_permission(constants.CONTACT, "read"):
		return []
	like = f"%{txt}%"
	reachable = frappe.get_list(
		constants.CONTACT,
		filters=[["frappe_contact", "is", "set"]],
		or_filters=[[field, "like", like] for field in MATCHED]
		+ [[constants.EMAIL_ADDRESS, "email_id", "like", like]],
		fields=["frappe_contact"],
		order_by="modified desc",
		limit_page_length=page_length,
		distinct=True,
	)
	names = list(dict.fromkeys(row.frappe_contact for row in reachable))
	if not names:
		return []
	filters = [["Contact Email", "email_id", "is", "set"], ["name", "in", names]]
	if extra_filters:
		filters.extend(frappe.parse_json(extra_filters))
	# Frappe's own query, on the Contacts the row rules reached above only (so without Contact's own
	# permission): one row per email that matches, or every email of a contact whose name matches
	rows = frappe.get_all(
		"Contact",
		fields=["name", "full_name", "`tabContact Email`.email_id as email_id"],
		filters=filters,
		or_filters=[[field, "like", like] for field in FRAPPE_MATCHED]
		+ [["Contact Email", "email_id", "like", like]],
		order_by="`tabContact Email`.idx asc",
		limit_page_length=0,
	)
	order = {name: i for i, name in enumerate(names)}
	rows.sort(key=lambda r: order[r.name])
	return [frappe._dict(value=r.email_id, label=r.email_id, description=r.full_name) for r in rows]
