"""Contacts of a customer (spec: getContacts, createContact, updateContact).

Payloads may carry several addresses the way the seed's clients send them::

        {
            "firstName": "Ada",
            "emails": ["ada@acme.com", {"email": "ada@home.org", "type": "personal"}],
            "phones": [{"phone": "+1 415 555 0100", "type": "office", "isPrimary": true}],
            "email": "...",
        }

``email``/``phone`` add one row each; list items are strings or objects (keys camelCase or snake_case).
Given lists replace the contact's rows; the controller normalises, de-duplicates and picks the primary.
"""

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import as_dict, get_record, insert, new_doc
from crm_module.services.payload import require_object, to_fields
from crm_module.utils import throw_input

ALIASES = {"customer_id": "customer", "title": "job_title", "role": "contact_role"}
EMAIL_DT, PHONE_DT = constants.EMAIL_ADDRESS, constants.PHONE_NUMBER
TABLES = {
	"emails": (EMAIL_DT, "email", {"email": "email_id", "address": "email_id", "type": "email_type"}),
	"phones": (PHONE_DT, "phone", {"number": "phone", "type": "phone_type"}),
}


def get_contacts(customer: str, user: str | None = None) -> list[dict]:
	"""Contacts of `customer` (primary first, then by name) with their emails and phones: 3 queries."""
	get_record(constants.CUSTOMER, customer, "customerId", user)
	contacts = frappe.get_all(
		constants.CONTACT,
		filters={"customer": customer},
		fields=["*"],
		order_by="is_primary desc, full_name asc",
	)
	names = [row.name for row in contacts]
	rows = {"emails": {}, "phones": {}}
	for table, (child, _single, _aliases) in TABLES.items():
		for row in frappe.get_all(
			child,
			filters={"parent": ("in", names), "parenttype": constants.CONTACT},
			fields=["*"],
			order_by="idx asc",
		):
			rows[table].setdefault(row.parent, []).append(as_dict(row))
	return [
		{
			**as_dict(row),
			"emails": rows["emails"].get(row.name, []),
			"phones": rows["phones"].get(row.name, []),
		}
		for row in contacts
	]


def create_contact(customer: str | None, data: dict, user: str | None = None) -> dict:
	"""Add a contact to `customer` (or the payload's ``customerId``)."""
	values = _values(data)
	customer = _same_customer(customer, values.get("customer"))
	get_record(constants.CUSTOMER, customer, "customerId", user, "write")
	values["customer"] = customer
	return as_dict(insert(new_doc(constants.CONTACT, values, user), user))


def update_contact(contact: str, data: dict, user: str | None = None) -> dict:
	"""Change `contact`; moving it to another customer needs write access to that customer too."""
	doc = get_record(constants.CONTACT, contact, "contactId", user, "write")
	values = _values(data)
	if values.get("customer") and values["customer"] != doc.customer:
		get_record(constants.CUSTOMER, values["customer"], "customerId", user, "write")
	tables = {key: values.pop(key) for key in TABLES if key in values}
	doc.update(values)
	for key, rows in tables.items():
		doc.set(key, [])
		for row in rows:
			doc.append(key, row)
	doc.save()
	return as_dict(doc)


def _values(data: dict) -> dict:
	payload = dict(require_object(data, "data"))
	singles = {table: payload.pop(spec[1]) for table, spec in TABLES.items() if spec[1] in payload}
	values = to_fields(constants.CONTACT, payload, ALIASES, frozenset(TABLES))
	for table in TABLES:
		if table in values or table in singles:
			items = values.get(table) or []
			if table in singles and isinstance(items, list):
				items = [singles[table], *items]
			values[table] = _rows(table, items)
	return values


def _rows(table: str, items) -> list[dict]:
	child, single, aliases = TABLES[table]
	if not isinstance(items, list):
		throw_input(_("data.{0} must be a list").format(table))
	rows = []
	for i, item in enumerate(items):
		if isinstance(item, str):
			item = {single: item}
		rows.append(to_fields(child, item, aliases, param=f"data.{table}[{i}]"))
	return rows


def _same_customer(customer: str | None, in_payload: str | None) -> str | None:
	if customer and in_payload and customer != in_payload:
		throw_input(_("customerId {0} and data.customerId {1} differ").format(customer, in_payload))
	return customer or in_payload
