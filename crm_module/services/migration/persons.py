"""Customer profiles made from a person or a lead (issue 19), so that a migration keeps every deal.

A Frappe CRM deal may have no organization (a person buying), and an ERPNext Opportunity may have a Lead
for party that never became a Customer. Such a deal becomes an opportunity of a customer profile made
from its contact or its lead:

* from a contact: a person customer (customer_type Individual) named after the person, with the
  contact's primary email and phone;
* from a lead: a company customer when the lead names a company, else a person customer.

Each is a source record of its own kind (`migration_map.as_customer`: "Contact (as customer)",
"CRM Lead (as customer)", "Lead (as customer)"), linked back like every migrated record, so a second run
creates nothing. The same person met again is *joined* to the customer already made for them: by the
link (the same contact or lead in several deals), then by the normalised email among person customers,
and a company made from a lead by its company key among the companies made from leads.
"""

from collections.abc import Callable
from dataclasses import dataclass

import frappe

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.domain.duplicates import company_key, email_key
from crm_module.services.migration.core import JOIN, JOIN_SOURCE, Migration, SkipRecord
from crm_module.services.migration.values import contact_points_of


@dataclass(eq=False)
class Pending:
	"""A customer of this step not written yet (the import engine writes a step in batches): source `key`
	`name`, and the values it will be written with."""

	key: str
	name: str
	values: dict


class Matches:
	"""The customers a person or a company met again is joined to (a stored customer's name, or a
	`Pending` one of this step)."""

	def __init__(self):
		self.emails: dict[str, str] = {}
		self.companies: dict[str, str] = {}
		people = frappe.get_all(
			constants.CUSTOMER,
			filters={"customer_type": mm.INDIVIDUAL, "email_id": ("is", "set")},
			fields=["name", "email_id"],
			order_by="creation asc",
		)
		for row in people:
			self.emails.setdefault(email_key(row.email_id), row.name)
		made = frappe.get_all(
			constants.SOURCE_LINK,
			filters={"source_doctype": ("like", "%(as customer)"), "target_doctype": constants.CUSTOMER},
			pluck="target_name",
		)
		if made:
			for row in frappe.get_all(
				constants.CUSTOMER,
				filters={"name": ("in", made), "customer_type": mm.COMPANY},
				fields=["name", "company_key"],
				order_by="creation asc",
			):
				self.companies.setdefault(row.company_key, row.name)

	def find(self, values: dict) -> tuple[str, str] | None:
		"""(customer, what matched) for the customer `values` describe, when one is already there."""
		if values.get("customer_type") == mm.INDIVIDUAL:
			key = email_key(values.get("email_id"))
			name = self.emails.get(key) if key else None
			found = (name, f"email ({values['email_id']})") if name else None
		else:
			key = company_key(values.get("company_name"))
			name = self.companies.get(key) if key else None
			found = (name, f"company ({values['company_name']})") if name else None
		if found and (isinstance(found[0], Pending) or frappe.db.exists(constants.CUSTOMER, found[0])):
			return found
		return None

	def add(self, name: "str | Pending", values: dict) -> None:
		"""Remember customer `name` (it replaces the `Pending` entry it was)."""
		if values.get("customer_type") == mm.INDIVIDUAL:
			table, key = self.emails, email_key(values.get("email_id")) if values.get("email_id") else None
		else:
			table = self.companies
			key = company_key(values["company_name"]) if values.get("company_name") else None
		if key and (key not in table or isinstance(table[key], Pending)):
			table[key] = name


def matches(m: Migration) -> Matches:
	if "person_matches" not in m.state:
		m.state["person_matches"] = Matches()
	return m.state["person_matches"]


def migrate_customers(
	m: Migration, key: str, sources: list, values_of: Callable[[frappe._dict, list[str]], dict]
) -> None:
	"""Create, update or join the customers made from `sources` (Contacts or leads) under the source key
	`key`; `values_of(source, notes)` gives a customer's field values."""
	known = matches(m)
	built: dict[str, dict] = {}

	def build(source, notes):
		values = values_of(source, notes)
		built[source.name] = values
		if m.target(key, source.name):
			return values  # this very record again (changed since): update the customer made from it
		found = known.find(values)
		if not found:
			known.add(Pending(key, source.name, values), values)
			return values
		customer, what = found
		won = values.get("lifecycle_stage") == "Customer"  # this person won a deal: so did the customer
		if isinstance(customer, Pending):
			notes.append(lambda name, what=what: f"the same {what} as customer {name}: joined to it")
			if won:
				customer.values["lifecycle_stage"] = "Customer"
			return {JOIN_SOURCE: (customer.key, customer.name)}
		notes.append(f"the same {what} as customer {customer}: joined to it")
		if won:
			frappe.db.set_value(constants.CUSTOMER, customer, "lifecycle_stage", "Customer")
		return {JOIN: customer}

	def after(source, name):
		known.add(name, built.pop(source.name, {}))

	m.migrate_many(key, sources, constants.CUSTOMER, build, after)


def contact_customer_values(
	m: Migration, source, notes: list[str], won: bool, owners: list[str | None], assign=None
) -> dict:
	"""A person customer from a Frappe core Contact read by `values.contact_rows` (emails and phones)."""
	email_rows, phone_rows = contact_points_of(m, source, notes)
	email = next((r["email_id"] for r in email_rows if r["is_primary"]), None)
	phone = next((r["phone"] for r in phone_rows if r["is_primary"]), None)
	named = mm.person_customer(source.first_name, source.last_name, source.get("full_name"), email)
	if not named:
		raise SkipRecord("the contact has no name and no valid email: nothing to name a customer after")
	return {
		"company_name": named[0],
		"customer_type": named[1],
		"email_id": email,
		"phone": phone,
		"lifecycle_stage": mm.lifecycle_stage(won),
		"account_owner": m.owner(notes, *owners, assign=assign),
	}


def lead_customer_values(
	m: Migration,
	source,
	notes: list[str],
	company: str | None,
	email: str | None,
	won: bool,
	owners: list[str | None],
) -> dict:
	"""A company customer (the lead names a company) or a person customer from a lead read with
	`values.LEAD_FIELDS`."""
	email = m.email(email, notes)
	named = mm.lead_customer(company, source.lead_name, source.first_name, source.last_name, email)
	if not named:
		raise SkipRecord("the lead has no company, name or valid email: nothing to name a customer after")
	values = {
		"company_name": named[0],
		"customer_type": named[1],
		"email_id": email,
		"phone": m.phone(source.mobile_no or source.phone, notes),
		"lifecycle_stage": mm.lifecycle_stage(won),
		"account_owner": m.owner(notes, source.lead_owner, *owners, assign=source._assign),
	}
	if named[1] == mm.COMPANY:
		values.update(
			{"industry": source.industry, "website": source.website, "company_size": source.no_of_employees}
		)
	return values


def mark_source_lead(m: Migration, key: str, lead_source: str, lead: str) -> None:
	"""The customer made from a lead names the migrated lead as its source lead (GDPR erasure of the lead
	then covers it, as it does for a lead converted in this app)."""
	customer = m.target(key, lead_source)
	if customer and not frappe.db.get_value(constants.CUSTOMER, customer, "source_lead"):
		frappe.db.set_value(constants.CUSTOMER, customer, "source_lead", lead, update_modified=False)
