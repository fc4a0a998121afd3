"""Duplicate guard for leads and contacts: an email or phone already used by another lead or contact.

CRM Module Settings.duplicate_policy decides: "Warn" shows a message naming the existing records,
"Block" refuses the save with CRMDuplicateError (409). Matching is exact on the normalized values
(emails compare case-insensitively through the database collation). A contact created by converting a
lead does not match that lead (`doc.flags.converted_from_lead`).
"""

import frappe
from frappe import _

from crm_module import constants
from crm_module.access.records import can_reach
from crm_module.exceptions import CRMDuplicateError

CHANNEL_TABLES = {"email": constants.EMAIL_ADDRESS, "phone": constants.PHONE_NUMBER}
CHANNEL_COLUMNS = {"email": "email_id", "phone": "phone"}


def duplicate_policy() -> str:
	return frappe.db.get_single_value(constants.SETTINGS, "duplicate_policy") or "Warn"


def find_duplicates(
	emails: list[str], phones: list[str], exclude: tuple[str, str] | None = None
) -> list[dict]:
	"""Leads and contacts (other than `exclude` = (doctype, name)) using one of the emails or phones."""
	found: dict[tuple[str, str], dict] = {}
	for channel, values in (("email", [v for v in emails if v]), ("phone", [v for v in phones if v])):
		if not values:
			continue
		column = CHANNEL_COLUMNS[channel]
		lead = frappe.qb.DocType(constants.LEAD)
		rows = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.lead_name.as_("title"), lead[column].as_("value"))
			.where(lead[column].isin(values))
		).run(as_dict=True)
		found.update({(constants.LEAD, r.name): {"doctype": constants.LEAD, **r} for r in rows})
		child, contact = frappe.qb.DocType(CHANNEL_TABLES[channel]), frappe.qb.DocType(constants.CONTACT)
		rows = (
			frappe.qb.from_(child)
			.join(contact)
			.on(contact.name == child.parent)
			.select(contact.name, contact.full_name.as_("title"), child[column].as_("value"))
			.where((child.parenttype == constants.CONTACT) & child[column].isin(values))
			.distinct()
		).run(as_dict=True)
		found.update({(constants.CONTACT, r.name): {"doctype": constants.CONTACT, **r} for r in rows})
	if exclude:
		found.pop(exclude, None)
	return sorted(found.values(), key=lambda r: (r["doctype"], r["name"]))


def check_duplicates(doc, emails: list[str], phones: list[str]) -> list[dict]:
	"""Warn about or block (per settings) a lead/contact whose email or phone is already in use."""
	if doc.flags.ignore_duplicates:
		return []
	matches = find_duplicates(emails, phones, exclude=(doc.doctype, doc.name) if not doc.is_new() else None)
	source_lead = doc.flags.converted_from_lead
	matches = [m for m in matches if not (m["doctype"] == constants.LEAD and m["name"] == source_lead)]
	if not matches:
		return []
	listing = describe(matches)
	if duplicate_policy() == "Block":
		frappe.throw(
			_("Possible duplicate: the email or phone is already used by {0}").format(listing),
			CRMDuplicateError,
			title=_("Duplicate"),
		)
	frappe.msgprint(
		_("Possible duplicate: the email or phone is already used by {0}").format(listing),
		title=_("Possible Duplicate"),
		indicator="orange",
	)
	return matches


def describe(matches: list[dict]) -> str:
	"""Name the matching records the caller may read; the others only as a count (no oracle)."""
	visible = [m for m in matches if can_reach(m["doctype"], m["name"])]
	parts = [
		_("{0} {1} ({2}, {3})").format(_(m["doctype"]), frappe.bold(m["name"]), m["title"], m["value"])
		for m in visible
	]
	hidden = len(matches) - len(visible)
	if hidden == 1:
		parts.append(_("a record you cannot see"))
	elif hidden:
		parts.append(_("{0} records you cannot see").format(hidden))
	return ", ".join(parts)
