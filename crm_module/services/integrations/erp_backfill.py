"""Backfill when the ERPNext / Contact sync is switched on (issue 20): pair the records that exist on both
sides, create the missing side, report what could not be paired.

Pairing is set-based (whole columns read once, pairs decided by `domain.erp_sync.pair_by_key`, links
written in bulk with multi-row upserts, `erp_bulk.write_links`), in this order:

- customers: the profile's `erpnext_customer`; the migration's CRM Source Link rows (Customer ->
  CRM Customer Profile); the same normalised name on one record of each side (several: reported);
- contacts: the contact's `frappe_contact`; the migration's CRM Source Link rows (Contact -> CRM
  Contact); the same email of one contact each side, within the paired customer when ERPNext is there.

The missing side is created set-based both ways: ERPNext Customers and Frappe Contacts of CRM records
left unpaired by `erp_bulk` (multi-row INSERTs of Customer, Contact, Contact Email / Phone and Dynamic
Link rows, equal to what the live sync's ORM insert stores), CRM Customer Profiles and CRM Contacts of
ERPNext-only Customers and their Contacts by `crm_bulk` (rows fed to the import engine, whose listener
writes the links and merge bases in each batch; rows it refuses are reported with its reasons); links
and merge bases with multi-row upserts, one commit per batch. A new pair whose merge would change no
stored value only gets its link and merge base written (`crm_bulk.equal_*_pairs`, both sides read in
bulk); the pairs that differ (and the few records `crm_bulk` leaves to it) go through the live sync's
own functions (`customer_sync`, `contact_mirror`), one savepoint per record: a record that fails is
reported and listed as a CRM Sync Issue like a live failure. ERPNext Customers and Contacts are created
only from CRM records; a Frappe Contact of no Customer stays out of the CRM.
"""

import frappe

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services.integrations import crm_bulk, erp_bulk, erp_sync
from crm_module.services.integrations.customer_sync import ERP_CUSTOMER, FRAPPE_CONTACT, erpnext_installed

COMMIT_EVERY = 500


def backfill_job() -> None:
	"""The background job queued when the switch is turned on; its report is printed to the job log."""
	report = backfill()
	print(report.as_text())


def backfill(create: bool = True, commit: bool = True, scope: str | None = None) -> rules.BackfillReport:
	"""Pair, create, report. `scope`: only records whose name (company name; contact first name)
	contains it (a subset, and the tests' own records)."""
	report = rules.BackfillReport()
	erpnext = erpnext_installed()
	if erpnext:
		customers = pair_customers(report, scope)
		if create:
			differ = crm_bulk.equal_customer_pairs(customers["paired"])
			sync_all(constants.CUSTOMER, differ, report, "customers", commit, created=False)
			made = erp_bulk.create_erp_customers(customers["crm_only"], report, commit)
			report.add_created("customers", "erp", made)
			made, live = crm_bulk.create_profiles(customers["erp_only"], report)
			report.add_created("customers", "crm", made)
			sync_all(ERP_CUSTOMER, live, report, "customers", commit)
	contacts = pair_contacts(report, scope)
	if create:
		differ = crm_bulk.equal_contact_pairs(contacts["paired"], erpnext)
		sync_all(constants.CONTACT, differ, report, "contacts", commit, created=False)
		made = erp_bulk.create_frappe_contacts(contacts["crm_only"], report, erpnext, commit)
		report.add_created("contacts", "erp", made)
		if erpnext:
			made, live = crm_bulk.create_crm_contacts(contacts["erp_only"], report)
			report.add_created("contacts", "crm", made)
			sync_all(FRAPPE_CONTACT, live, report, "contacts", commit)
	return report


def pair_customers(report: rules.BackfillReport, scope: str | None = None) -> dict:
	profiles = frappe.get_all(
		constants.CUSTOMER,
		filters=scoped("company_name", scope),
		fields=["name", "company_name", "erpnext_customer"],
		limit_page_length=0,
	)
	customers = {
		row.name: row.customer_name
		for row in frappe.get_all(
			ERP_CUSTOMER,
			filters=scoped("customer_name", scope),
			fields=["name", "customer_name"],
			limit_page_length=0,
		)
	}
	links: dict[str, str] = {}
	for row in profiles:
		if row.erpnext_customer and row.erpnext_customer in customers:
			links[row.name] = row.erpnext_customer
	report.add_paired("customers", "erpnext_customer", len(links))
	taken = set(links.values())
	migrated = source_links(ERP_CUSTOMER, constants.CUSTOMER)
	fresh = {
		profile: customer
		for profile, customer in migrated.items()
		if profile not in links and customer in customers and customer not in taken
	}
	links.update(fresh)
	taken.update(fresh.values())
	report.add_paired("customers", "source link", len(fresh))
	left = {row.name: rules.name_key(row.company_name) for row in profiles if row.name not in links}
	right = {name: rules.name_key(title) for name, title in customers.items() if name not in taken}
	by_name, amb_left, amb_right = rules.pair_by_key(left, right)
	report.add_paired("customers", "name", len(by_name))
	for name in amb_left:
		report.unpaired.append(
			("customers", constants.CUSTOMER, name, "its name is shared by several records")
		)
	for name in amb_right:
		report.unpaired.append(("customers", ERP_CUSTOMER, name, "its name is shared by several records"))
	new = {**fresh, **by_name}
	erp_bulk.write_links(constants.CUSTOMER, {profile: {"erpnext_customer": c} for profile, c in new.items()})
	links.update(by_name)
	taken.update(by_name.values())
	ambiguous = set(amb_left)
	return {
		"paired": new,
		"crm_only": [row.name for row in profiles if row.name not in links and row.name not in ambiguous],
		"erp_only": [name for name in customers if name not in taken and name not in set(amb_right)],
	}


def pair_contacts(report: rules.BackfillReport, scope: str | None = None) -> dict:
	crm = frappe.get_all(
		constants.CONTACT,
		filters=scoped("first_name", scope),
		fields=["name", "email_id", "frappe_contact"],
		limit_page_length=0,
	)
	contacts = {
		row.name: row.email_id
		for row in frappe.get_all(
			FRAPPE_CONTACT,
			filters=scoped("first_name", scope),
			fields=["name", "email_id"],
			limit_page_length=0,
		)
	}
	links = {
		row.name: row.frappe_contact for row in crm if row.frappe_contact and row.frappe_contact in contacts
	}
	report.add_paired("contacts", "frappe_contact", len(links))
	taken = set(links.values())
	fresh = {
		c: f
		for c, f in source_links(FRAPPE_CONTACT, constants.CONTACT).items()
		if c not in links and f in contacts and f not in taken
	}
	links.update(fresh)
	taken.update(fresh.values())
	report.add_paired("contacts", "source link", len(fresh))
	left = {
		row.name: rules.canonical_value(rules.PRIMARY_EMAIL, row.email_id)
		for row in crm
		if row.name not in links
	}
	right = {n: rules.canonical_value(rules.PRIMARY_EMAIL, e) for n, e in contacts.items() if n not in taken}
	by_email, amb_left, amb_right = rules.pair_by_key(left, right)
	report.add_paired("contacts", "email", len(by_email))
	for name in amb_left:
		report.unpaired.append(
			("contacts", constants.CONTACT, name, "its email is shared by several records")
		)
	new = {**fresh, **by_email}
	erp_bulk.write_links(constants.CONTACT, {c: {"frappe_contact": f} for c, f in new.items()})
	links.update(by_email)
	taken.update(by_email.values())
	ambiguous_right = set(amb_right)
	erp_only = []
	if erpnext_installed():
		# Contacts of a Customer only (a Contact of a supplier or of nobody stays out of the CRM)
		of_customers = set(
			frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": FRAPPE_CONTACT, "link_doctype": ERP_CUSTOMER},
				pluck="parent",
				limit_page_length=0,
			)
		)
		erp_only = [n for n in contacts if n not in taken and n not in ambiguous_right and n in of_customers]
	return {
		"paired": new,
		"crm_only": [row.name for row in crm if row.name not in links and row.name not in set(amb_left)],
		"erp_only": erp_only,
	}


def scoped(field: str, scope: str | None) -> dict:
	return {field: ("like", f"%{scope}%")} if scope else {}


def source_links(source_doctype: str, target_doctype: str) -> dict[str, str]:
	"""target name -> source name of the migration's links."""
	return {
		row.target_name: row.source_name
		for row in frappe.get_all(
			constants.SOURCE_LINK,
			filters={"source_doctype": source_doctype, "target_doctype": target_doctype},
			fields=["source_name", "target_name"],
			limit_page_length=0,
		)
	}


def sync_all(
	doctype: str,
	names: list[str],
	report: rules.BackfillReport,
	kind: str,
	commit: bool,
	created: bool = True,
) -> None:
	"""Create the missing side (`created`) or merge a new pair of each record with the live sync's job."""
	side = "erp" if doctype in (constants.CUSTOMER, constants.CONTACT) else "crm"
	made = 0
	for count, name in enumerate(names, 1):
		before = frappe.db.count(
			constants.SYNC_ISSUE, {"record_doctype": doctype, "record_name": name, "status": "Open"}
		)
		erp_sync.run(doctype, name)
		after = frappe.db.count(
			constants.SYNC_ISSUE, {"record_doctype": doctype, "record_name": name, "status": "Open"}
		)
		if after > before or (after and before):
			error = frappe.db.get_value(
				constants.SYNC_ISSUE,
				{"record_doctype": doctype, "record_name": name, "status": "Open"},
				"error",
			)
			report.unpaired.append((kind, doctype, name, error or "sync failed"))
		else:
			made += 1
		if commit and count % COMMIT_EVERY == 0:
			frappe.db.commit()  # nosemgrep: a background job working through many records
	if created:
		report.add_created(kind, side, made)
	if commit:
		frappe.db.commit()  # nosemgrep: as above
