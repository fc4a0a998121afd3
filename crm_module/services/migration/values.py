"""The target field values that both migrations (ERPNext, Frappe CRM) build alike: contacts (Frappe core
Contacts in both), sales leads and opportunities. The source-specific parts stay in the runners."""

import frappe
from frappe.utils import getdate

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services.migration.core import Migration, SkipRecord, children, existing_fields


def contact_rows(names: list[str]) -> list:
	"""Frappe core Contacts (shared by ERPNext and Frappe CRM) with their emails and phones attached."""
	fields = existing_fields(
		"Contact", ["name", "modified", "first_name", "last_name", "full_name", "designation", "company_name"]
	)
	rows = frappe.get_all("Contact", filters={"name": ("in", names)}, fields=fields, order_by="creation asc")
	emails = children("Contact Email", "Contact", ["email_id", "is_primary"], names)
	phones = children(
		"Contact Phone", "Contact", ["phone", "is_primary_phone", "is_primary_mobile_no"], names
	)
	for row in rows:
		row.emails = emails.get(row.name, [])
		row.phones = phones.get(row.name, [])
	return rows


def contact_points_of(m: Migration, source, notes: list[str]) -> tuple[list[dict], list[dict]]:
	"""CRM Email Address / CRM Phone Number rows of a Contact read by `contact_rows`."""
	return m.contact_points(
		[(r.email_id, bool(r.is_primary)) for r in source.emails],
		[
			(
				r.phone,
				bool(r.is_primary_mobile_no or r.is_primary_phone),
				"Mobile" if r.is_primary_mobile_no else "Office",
			)
			for r in sorted(source.phones, key=lambda r: not (r.is_primary_mobile_no or r.is_primary_phone))
		],
		notes,
	)


def contact_values(m: Migration, source, customer: str, notes: list[str]) -> dict:
	first, last = source.first_name, source.last_name
	if not (first or "").strip():
		first, last = mm.split_name(source.full_name)
	if not (first or "").strip():
		raise SkipRecord("no first name")
	email_rows, phone_rows = contact_points_of(m, source, notes)
	return {
		"first_name": first.strip(),
		"last_name": (last or "").strip() or None,
		"customer": customer,
		"job_title": source.designation,
		"emails": email_rows,
		"phones": phone_rows,
	}


# the fields both sources' leads name alike (read by `lead_values` and `migration_map.lead_name`)
LEAD_FIELDS = (
	"lead_name",
	"first_name",
	"last_name",
	"mobile_no",
	"phone",
	"job_title",
	"status",
	"source",
	"lead_owner",
	"industry",
	"no_of_employees",
	"website",
	"_assign",
)


def lead_values(
	m: Migration,
	source,
	notes: list[str],
	name: str | None,
	status: tuple[str, str | None],
	customer: str | None,
	company: str | None,
	email: str | None,
) -> dict:
	"""CRM Sales Lead values from a source lead read with LEAD_FIELDS. `status` is the mapped
	(status, note); `customer` the migrated customer it was converted to."""
	if not name:
		raise SkipRecord("no name or email")
	status, note = status
	if note:
		notes.append(note)
	values = {
		"lead_name": name,
		"company_name": company,
		"email_id": m.email(email, notes),
		"phone": m.phone(source.mobile_no or source.phone, notes),
		"job_title": source.job_title,
		"status": status,
		"source": mm.lead_source(source.source),
		"lead_owner": m.owner(notes, source.lead_owner, assign=source._assign),
		"industry": source.industry,
		"company_size": source.no_of_employees,
		"website": source.website,
	}
	if status == "Converted":
		values.update({"converted_customer": customer, "converted_on": getdate(source.modified)})
	return values


def customer_contact(m: Migration, contact: str | None, customer: str) -> str | None:
	"""`contact` when it is one of `customer`'s contacts, else None."""
	if contact and m.value(constants.CONTACT, contact, "customer") == customer:
		return contact
	return None


def opportunity_values(
	m: Migration,
	notes: list[str],
	outcome: str | None,
	probability,
	closed_on,
	owner: str | None,
	assign,
	**values,
) -> dict:
	"""CRM Opportunity `values` completed with what both sources map alike: an explicit probability
	(open deals only), the owner and, for a won / lost deal, the close date."""
	probability = mm.explicit_probability(probability) if not outcome else None
	values.update(
		{
			"probability_percent": probability or 0,
			"probability_is_manual": 1 if probability else 0,
			"opportunity_owner": m.owner(notes, owner, assign=assign),
		}
	)
	if outcome:
		values["actual_close_date"] = getdate(closed_on)
	return values
