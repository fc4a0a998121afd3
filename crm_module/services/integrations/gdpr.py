"""GDPR erasure and export of one person's CRM data, driven by Frappe's Personal Data requests.

A person is found by email: the leads with that email, the contacts with that email among their
email rows, and the customer profiles that copied it. Their *strings* are the email(s), phone
numbers and names found there. Erasure (when a Personal Data Deletion Request reaches "Deleted"):

* leads and contacts are anonymised (names, emails, phones, job title, notes); a contact's email
  and phone rows are deleted; a customer profile loses the email/phone copied from the person;
* interactions with the person (or conducted by them) lose subject, description and next step;
* every text column of every CRM table, ToDo, Notification Log, Comment and Communication has the
  person's full name, emails and phones replaced by "[redacted]"; in the records about the person
  (their interactions, notes, timeline rows, assignments and notifications) their first and last
  names too;
* the Version history of those records, and any Version or Deleted Document that still carries one
  of the strings, is deleted.

Aggregates are kept: counts, won/lost amounts, scores and health figures hold no personal data.
Frappe's own `user_data_fields` steps do not touch CRM data (this module does all of it, because it
needs the records' original values to find everything that points at them).
"""

import re

import frappe
from frappe.query_builder import CustomFunction
from frappe.utils import cstr

from crm_module import constants
from crm_module.services.reporting import cache as metrics_cache

REDACTED = "[redacted]"
ANONYMOUS = "Anonymized"
TEXT_TYPES = frozenset(
	{"Data", "Small Text", "Text", "Long Text", "Text Editor", "JSON", "Code", "HTML Editor"}
)
# Frappe doctypes that copy CRM text (assignments, notifications, comments, mails)
CORE_TEXT = {
	"ToDo": ("description",),
	"Notification Log": ("subject", "email_content"),
	"Comment": ("content", "subject"),
	"Communication": ("subject", "content", "sender", "recipients", "cc", "bcc"),
}
RegexpReplace = CustomFunction("REGEXP_REPLACE", ["subject", "pattern", "replacement"])


# ---------------------------------------------------------------- finding the person


def person_records(email: str) -> dict[str, list[str]]:
	"""Names of the records that describe the person with `email`."""
	email = (email or "").strip()
	leads = frappe.get_all(constants.LEAD, filters={"email_id": email}, pluck="name") if email else []
	contacts = (
		set(frappe.get_all(constants.CONTACT, filters={"email_id": email}, pluck="name")) if email else set()
	)
	if email:
		contacts |= set(
			frappe.get_all(
				constants.EMAIL_ADDRESS,
				filters={"email_id": email, "parenttype": constants.CONTACT},
				pluck="parent",
			)
		)
	customers = (
		set(frappe.get_all(constants.CUSTOMER, filters={"email_id": email}, pluck="name")) if email else set()
	)
	if leads:
		customers |= set(
			frappe.get_all(constants.CUSTOMER, filters={"source_lead": ("in", leads)}, pluck="name")
		)
	return {
		constants.LEAD: sorted(leads),
		constants.CONTACT: sorted(contacts),
		constants.CUSTOMER: sorted(customers),
	}


def person_strings(email: str, records: dict[str, list[str]]) -> tuple[set[str], set[str]]:
	"""(strings erased everywhere: full names, emails, phones; name parts erased near the person)."""
	everywhere, names = {email.strip()} - {""}, set()
	for lead in frappe.get_all(
		constants.LEAD,
		filters={"name": ("in", records[constants.LEAD])},
		fields=["lead_name", "email_id", "phone"],
	):
		everywhere |= {v for v in (lead.lead_name, lead.email_id, lead.phone) if v}
		names |= set(cstr(lead.lead_name).split())
	for contact in frappe.get_all(
		constants.CONTACT,
		filters={"name": ("in", records[constants.CONTACT])},
		fields=["name", "first_name", "last_name", "full_name", "email_id", "phone"],
	):
		everywhere |= {v for v in (contact.full_name, contact.email_id, contact.phone) if v}
		names |= {v for v in (contact.first_name, contact.last_name) if v}
	for table, column in ((constants.EMAIL_ADDRESS, "email_id"), (constants.PHONE_NUMBER, "phone")):
		everywhere |= set(
			frappe.get_all(
				table,
				filters={"parent": ("in", records[constants.CONTACT]), "parenttype": constants.CONTACT},
				pluck=column,
			)
		)
	everywhere |= {p.lstrip("+") for p in everywhere if re.fullmatch(r"\+\d{7,15}", p)}
	names = {n for n in names if len(n) >= 3}
	return {s for s in everywhere if len(s) >= 3}, names - everywhere


def related_records(email: str, records: dict[str, list[str]]) -> dict[str, list[str]]:
	"""Records *about* the person: interactions with them, notes, timeline rows on their leads/contacts."""
	leads, contacts = records[constants.LEAD], records[constants.CONTACT]
	interactions = set()
	if leads:
		interactions |= set(
			frappe.get_all(constants.INTERACTION, filters={"lead": ("in", leads)}, pluck="name")
		)
	if contacts:
		interactions |= set(
			frappe.get_all(constants.INTERACTION, filters={"contact": ("in", contacts)}, pluck="name")
		)
	if email:
		interactions |= set(
			frappe.get_all(constants.INTERACTION, filters={"conducted_by": email}, pluck="name")
		)
	about = {constants.LEAD: leads, constants.CONTACT: contacts, constants.INTERACTION: sorted(interactions)}
	notes, timeline = set(), set()
	for doctype, names in about.items():
		if not names:
			continue
		notes |= set(
			frappe.get_all(
				constants.NOTE,
				filters={"reference_doctype": doctype, "reference_name": ("in", names)},
				pluck="name",
			)
		)
		timeline |= set(
			frappe.get_all(
				constants.TIMELINE,
				filters={"reference_doctype": doctype, "reference_name": ("in", names)},
				pluck="name",
			)
		)
	if leads:
		timeline |= set(frappe.get_all(constants.TIMELINE, filters={"lead": ("in", leads)}, pluck="name"))
	return {**about, constants.NOTE: sorted(notes), constants.TIMELINE: sorted(timeline)}


# ---------------------------------------------------------------- export


def person_data(email: str) -> dict[str, list[dict]]:
	"""Everything the CRM holds about the person, as Personal Data Download returns it."""
	records = person_records(email)
	related = related_records(email, records)
	data = {}
	for doctype, names in {**related, constants.CUSTOMER: records[constants.CUSTOMER]}.items():
		if names:
			data[doctype] = [frappe.get_doc(doctype, name).as_dict(no_default_fields=False) for name in names]
	return data


def on_download_request(request, method: str | None = None) -> None:
	"""`after_insert` of Personal Data Download Request: attach the CRM part of the person's data."""
	data = person_data(request.user)
	if not data:
		return
	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"Personal-Data-CRM-{request.name}.json",
			"attached_to_doctype": request.doctype,
			"attached_to_name": request.name,
			"content": frappe.as_json(data),
			"is_private": 1,
		}
	).insert(ignore_permissions=True)


# ---------------------------------------------------------------- erasure


def on_deletion_request_update(request, method: str | None = None) -> None:
	"""`on_change` of Personal Data Deletion Request: erase once Frappe marks it Deleted."""
	if request.status == "Deleted":
		erase_person(request.email)


def erase_person(email: str) -> dict[str, int]:
	"""Erase the person with `email` from CRM data (idempotent); return how many records were touched."""
	records = person_records(email)
	everywhere, names = person_strings(email, records)
	related = related_records(email, records)
	touched = {
		doctype: len(names_)
		for doctype, names_ in {**related, constants.CUSTOMER: records[constants.CUSTOMER]}.items()
	}
	anonymise(records, related, email)
	scrub_everywhere(everywhere)
	scrub_near_person(names, related)
	forget_history(related | {constants.CUSTOMER: records[constants.CUSTOMER]}, everywhere)
	metrics_cache.invalidate()  # no cached figure may keep a name or subject that was erased
	return touched


def erased_values() -> dict[str, dict]:
	"""What erasure writes over the person's own records, by doctype."""
	return {
		constants.LEAD: {
			"lead_name": ANONYMOUS,
			"email_id": None,
			"phone": None,
			"job_title": None,
			"notes": None,
			"consent_ip": None,  # the web form's consent proof names the person's address
			"referrer": None,
		},
		constants.CONTACT: {
			"first_name": ANONYMOUS,
			"last_name": None,
			"full_name": ANONYMOUS,
			"email_id": None,
			"phone": None,
			"job_title": None,
			"notes": None,
		},
		# the email and phone a customer copied from the person
		constants.CUSTOMER: {"email_id": None, "phone": None},
	}


def overwrite(doctype: str, names: list[str], values: dict, condition=None) -> None:
	"""UPDATE `doctype` SET values WHERE name IN names (AND condition(table))."""
	table = frappe.qb.DocType(doctype)
	query = frappe.qb.update(table)
	for column, value in values.items():
		query = query.set(table[column], value)
	where = table.name.isin(names)
	if condition is not None:
		where = where & condition(table)
	query.where(where).run()


def anonymise(records: dict[str, list[str]], related: dict[str, list[str]], email: str) -> None:
	for doctype, values in erased_values().items():
		if records[doctype]:
			overwrite(doctype, records[doctype], values)
	if records[constants.CONTACT]:
		for table in (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER):
			frappe.db.delete(
				table, {"parenttype": constants.CONTACT, "parent": ("in", records[constants.CONTACT])}
			)
	interactions = related[constants.INTERACTION]
	if interactions:
		overwrite(
			constants.INTERACTION, interactions, {"subject": REDACTED, "description": None, "next_step": None}
		)
		overwrite(
			constants.INTERACTION, interactions, {"conducted_by": None}, lambda t: t.conducted_by == email
		)


def text_columns() -> dict[str, tuple[str, ...]]:
	"""Every text column of the CRM doctypes (child tables included) and of the Frappe ones that copy them."""
	columns = dict(CORE_TEXT)
	for doctype in frappe.get_all(
		"DocType", filters={"module": constants.MODULE, "issingle": 0}, pluck="name"
	):
		fields = tuple(df.fieldname for df in frappe.get_meta(doctype).fields if df.fieldtype in TEXT_TYPES)
		if fields:
			columns[doctype] = fields
	return columns


def _replace(doctype: str, fields, strings: set[str], names: list[str] | None = None) -> None:
	table = frappe.qb.DocType(doctype)
	for value in sorted(strings, key=len, reverse=True):
		pattern = "(?i)" + re.escape(value)
		if names is not None:
			pattern = r"(?i)\b" + re.escape(value) + r"\b"
		for fieldname in fields:
			column = table[fieldname]
			query = frappe.qb.update(table).set(column, RegexpReplace(column, pattern, REDACTED))
			condition = column.like(f"%{value}%")
			if names is not None:
				condition = condition & table.name.isin(names)
			query.where(condition).run()


def scrub_everywhere(strings: set[str]) -> None:
	if not strings:
		return
	for doctype, fields in text_columns().items():
		_replace(doctype, fields, strings)


def scrub_near_person(name_parts: set[str], related: dict[str, list[str]]) -> None:
	if not name_parts:
		return
	columns = text_columns()
	for doctype, names in related.items():
		if names:
			_replace(doctype, columns[doctype], name_parts, names)
	refs = [(doctype, name) for doctype, names in related.items() for name in names]
	for doctype, reference_fields in (
		("ToDo", ("reference_type", "reference_name")),
		("Notification Log", ("document_type", "document_name")),
		("Comment", ("reference_doctype", "reference_name")),
	):
		rows = _rows_about(doctype, reference_fields, refs)
		if rows:
			_replace(doctype, CORE_TEXT[doctype], name_parts, rows)


def _rows_about(doctype: str, reference_fields: tuple[str, str], refs: list[tuple[str, str]]) -> list[str]:
	found = []
	dt_field, name_field = reference_fields
	by_doctype: dict[str, list[str]] = {}
	for ref_doctype, ref_name in refs:
		by_doctype.setdefault(ref_doctype, []).append(ref_name)
	for ref_doctype, ref_names in by_doctype.items():
		found += frappe.get_all(
			doctype, filters={dt_field: ref_doctype, name_field: ("in", ref_names)}, pluck="name"
		)
	return found


def forget_history(records: dict[str, list[str]], strings: set[str]) -> None:
	"""Version rows of the person's records, and any Version / Deleted Document carrying their strings."""
	for doctype, names in records.items():
		if names:
			frappe.db.delete("Version", {"ref_doctype": doctype, "docname": ("in", names)})
	for value in strings:
		frappe.db.delete("Version", {"data": ("like", f"%{value}%")})
		frappe.db.delete("Deleted Document", {"data": ("like", f"%{value}%")})
