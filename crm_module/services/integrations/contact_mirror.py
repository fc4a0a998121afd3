"""CRM Contact <-> Frappe Contact (issue 20), run by the sync job of `erp_sync.py`.

A CRM Contact and its CRM Email Address / CRM Phone Number rows are kept equal to one Frappe Contact
with its Contact Email / Contact Phone rows (`domain.erp_sync.CONTACT_MAP`, primary flags included: a
primary Mobile is ERPNext's primary mobile number, any other primary its primary phone). With ERPNext the
Contact carries a Dynamic Link to the ERPNext Customer of the contact's customer (`erpnext_customer`),
and a Contact made in ERPNext for a Customer becomes a CRM Contact of that Customer's profile. Without
ERPNext the mirror is made from the CRM side (Contact.company_name names the customer); a mirrored
Contact edited in the desk flows back to its CRM contact all the same.

The Frappe Contact is owned by Administrator: Frappe gives it to the roles with Contact permission
(ERPNext's Sales / Purchase / Accounts roles, System Manager) and to its owner ("All", if owner); a
plain CRM User has neither, so a rep reads no mirrored contact in the desk, their own or another's.
"""

import frappe

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services.integrations.customer_sync import (
	ERP_CUSTOMER,
	FRAPPE_CONTACT,
	erpnext_installed,
	later,
	load_base,
	source_of,
	state_json,
	store,
	sync_customer,
	target_of,
	write,
)


def sync_contact(doctype: str, name: str) -> str | None:
	"""Sync a CRM Contact or a Frappe Contact with its partner; returns the partner's name."""
	if not frappe.db.exists(doctype, name):
		return None
	if doctype == constants.CONTACT:
		crm = frappe.get_doc(doctype, name)
		contact_name = contact_partner(crm)
		contact = frappe.get_doc(FRAPPE_CONTACT, contact_name) if contact_name else None
	else:
		contact = frappe.get_doc(doctype, name)
		crm_name = frappe.db.get_value(constants.CONTACT, {"frappe_contact": name}, "name") or target_of(
			FRAPPE_CONTACT, name, constants.CONTACT
		)
		crm = frappe.get_doc(constants.CONTACT, crm_name) if crm_name else None
	if contact is None:
		contact = create_contact(crm)
	elif crm is None:
		crm = create_crm_contact(contact)
		if crm is None:
			return None
	else:
		merge_contact(crm, contact)
	return contact.name if doctype == constants.CONTACT else crm.name


def contact_partner(crm) -> str | None:
	if crm.frappe_contact and frappe.db.exists(FRAPPE_CONTACT, crm.frappe_contact):
		return crm.frappe_contact
	return source_of(FRAPPE_CONTACT, constants.CONTACT, crm.name)


# ------------------------------------------------------------------ values


def crm_canonical(crm) -> dict:
	return rules.contact_from_rows(
		crm.as_dict(), [r.as_dict() for r in crm.emails], [r.as_dict() for r in crm.phones], erp=False
	)


def erp_canonical(contact) -> dict:
	return rules.contact_from_rows(
		contact.as_dict(),
		[r.as_dict() for r in contact.email_ids],
		[r.as_dict() for r in contact.phone_nos],
		erp=True,
	)


def erp_rows(crm) -> dict:
	"""Contact Email / Contact Phone rows from the CRM contact's rows."""
	canonical = crm_canonical(crm)
	emails, phones = rules.contact_rows_for_erp(
		[r.email_id for r in crm.emails],
		canonical[rules.PRIMARY_EMAIL],
		[(r.phone, r.phone_type) for r in crm.phones],
		canonical[rules.PRIMARY_PHONE],
	)
	return {"email_ids": emails, "phone_nos": phones}


def crm_rows(contact, crm=None) -> dict:
	"""CRM Email Address / CRM Phone Number rows from the Contact's rows; what the CRM rows knew of an
	address or number (type, verification) is kept."""
	known_emails = {r.email_id.lower(): r for r in (crm.emails if crm else [])}
	known_phones = {rules.phone_digits(r.phone): r for r in (crm.phones if crm else [])}
	emails = []
	for row in contact.email_ids:
		old = known_emails.get((row.email_id or "").lower())
		emails.append(
			{
				"email_id": row.email_id,
				"is_primary": int(bool(row.is_primary)),
				"email_type": old.email_type if old else "Work",
				"is_verified": old.is_verified if old else 0,
			}
		)
	primary = [r for r in contact.phone_nos if r.is_primary_mobile_no] or [
		r for r in contact.phone_nos if r.is_primary_phone
	]
	phones = []
	for row in contact.phone_nos:
		old = known_phones.get(rules.phone_digits(row.phone))
		kind = "Mobile" if row.is_primary_mobile_no else (old.phone_type if old else "Office")
		phones.append(
			{
				"phone": row.phone,
				"is_primary": int(bool(primary) and row is primary[0]),
				"phone_type": kind,
				"country_code": old.country_code if old else None,
				"is_verified": old.is_verified if old else 0,
			}
		)
	return {"emails": emails, "phones": phones}


def erp_head(values: dict) -> dict:
	return {
		rules.CONTACT_MAP[k]: (int(v) if isinstance(v, bool) else v or None)
		for k, v in values.items()
		if k in rules.CONTACT_MAP
	}


def crm_head(values: dict) -> dict:
	head = {
		k: (int(v) if isinstance(v, bool) else v or None) for k, v in values.items() if k in rules.CONTACT_MAP
	}
	if "first_name" in head and not head["first_name"]:
		head.pop("first_name")
	return head


def customer_links(crm) -> tuple[str | None, str | None]:
	"""(ERPNext Customer, company name) of the CRM contact's customer."""
	erp_customer, company = frappe.db.get_value(
		constants.CUSTOMER, crm.customer, ["erpnext_customer", "company_name"]
	) or (None, None)
	if erp_customer and not (erpnext_installed() and frappe.db.exists(ERP_CUSTOMER, erp_customer)):
		erp_customer = None
	return erp_customer, company


def with_customer_link(contact, erp_customer: str | None) -> bool:
	"""Add the Dynamic Link to the ERPNext Customer when the Contact lacks it; True when added."""
	if not erp_customer or any(
		link.link_doctype == ERP_CUSTOMER and link.link_name == erp_customer for link in contact.links
	):
		return False
	contact.append("links", {"link_doctype": ERP_CUSTOMER, "link_name": erp_customer})
	return True


# ------------------------------------------------------------------ create and merge


def create_contact(crm):
	canonical = crm_canonical(crm)
	erp_customer, company = customer_links(crm)
	contact = frappe.get_doc(
		{
			"doctype": FRAPPE_CONTACT,
			**erp_head(canonical),
			"company_name": company,
			**erp_rows(crm),
		}
	)
	with_customer_link(contact, erp_customer)
	contact.flags.crm_sync = True
	contact.insert(ignore_permissions=True)
	finish(crm.name, contact)
	return contact


def create_crm_contact(contact):
	"""A CRM Contact for a Contact of an ERPNext Customer that has (or gets) a CRM profile; None for a
	Contact of no Customer (the CRM keeps contacts of customers only)."""
	if not erpnext_installed():
		return None
	customers = [link.link_name for link in contact.links if link.link_doctype == ERP_CUSTOMER]
	if not customers:
		return None
	profile = sync_customer(ERP_CUSTOMER, customers[0])
	if not profile:
		return None
	canonical = erp_canonical(contact)
	head = crm_head(canonical)
	head.setdefault("first_name", contact.full_name or contact.name)
	if head.get("is_primary") and frappe.db.exists(constants.CONTACT, {"customer": profile, "is_primary": 1}):
		head["is_primary"] = 0
	crm = frappe.get_doc(
		{
			"doctype": constants.CONTACT,
			**head,
			"customer": profile,
			"frappe_contact": contact.name,
			**crm_rows(contact),
		}
	)
	crm.flags.crm_sync = True
	crm.insert(ignore_permissions=True)
	finish(crm.name, contact)
	return crm


def merge_contact(crm, contact) -> None:
	merge = rules.merge(
		crm_canonical(crm),
		erp_canonical(contact),
		*later(crm.modified, contact.modified),
		base=load_base(crm),
	)
	erp_customer, _company = customer_links(crm)
	rows_keys = {rules.EMAILS, rules.PRIMARY_EMAIL, rules.PHONES, rules.PRIMARY_PHONE}
	if merge.to_erp or (erp_customer and not any(l.link_name == erp_customer for l in contact.links)):
		values = erp_head(merge.to_erp)
		if rows_keys & set(merge.to_erp):
			values.update(erp_rows(crm))
		contact.update(values)
		with_customer_link(contact, erp_customer)
		write(contact, {})
	if merge.to_crm:
		values = crm_head(merge.to_crm)
		if values.get("is_primary"):
			unset_other_primary(crm)
		if rows_keys & set(merge.to_crm):
			values.update(crm_rows(contact, crm))
		write(crm, values)
	finish(crm.name, contact)


def unset_other_primary(crm) -> None:
	"""The CRM allows one primary contact per customer: the one ERPNext made primary takes it over; the
	previous one is synced at once too (its Contact loses the flag)."""
	for other in frappe.get_all(
		constants.CONTACT,
		filters={"customer": crm.customer, "is_primary": 1, "name": ("!=", crm.name)},
		pluck="name",
	):
		frappe.db.set_value(constants.CONTACT, other, "is_primary", 0)
		sync_contact(constants.CONTACT, other)


def finish(crm_name: str, contact) -> None:
	crm = frappe.get_doc(constants.CONTACT, crm_name)
	contact.reload()
	store(
		constants.CONTACT,
		crm_name,
		{
			"frappe_contact": contact.name,
			"erp_sync_state": state_json(crm_canonical(crm), erp_canonical(contact)),
		},
	)
