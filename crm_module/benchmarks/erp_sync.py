"""Benchmark (not a test): what the ERPNext / Contact sync costs (issue 20).

	CRM_SITE=<site> bash scripts/benchmark.sh sync
	bench --site <site> execute crm_module.benchmarks.erp_sync.run --kwargs "{'saves': 200, 'customers': 200}"
	CRM_SITE=<site> bash scripts/benchmark.sh sync-scale   # backfill_at_scale: 10,000 customers + 20,000 contacts

1. Save cost: a CRM contact is saved `saves` times (job title changed, commit each) with the sync on,
   then `saves` times with it off; printed: the median milliseconds of save + commit each way and the
   difference, against the issue's 20 ms. Synced saves pay the enqueue after commit only (the job runs
   in a worker; jobs left in the queue are harmless: one per record, and the records are deleted).
2. Backfill: `customers` CRM customers with 2 contacts each, made without the sync, then paired and
   completed by `erp_backfill.backfill` (ERPNext Customers and Frappe Contacts created); printed: the
   seconds of pairing and of creating, per record, and that rate extrapolated to 100,000 customers with
   200,000 contacts against the issue's 5 minutes. Everything made is deleted at the end.
3. `backfill_at_scale` (sync-scale): the same at 10,000 customers + 20,000 contacts, generated with the
   import engine's multi-row inserts, extrapolated linearly to 100,000 + 200,000.
"""

import os
import statistics
import time

import frappe

from crm_module import constants
from crm_module.services.integrations import erp_backfill, erp_sync

TARGET_MS = 20
TARGET_BACKFILL_S = 300


def set_sync(on: bool) -> None:
	frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", int(on))
	frappe.db.commit()  # nosemgrep: a benchmark run from bench execute


def timed_saves(contact: str, saves: int, label: str) -> float:
	times = []
	for i in range(saves):
		doc = frappe.get_doc(constants.CONTACT, contact)
		doc.job_title = f"{label} {i}"
		start = time.perf_counter()
		doc.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the user's request ends with a commit (and the enqueue after it)
		times.append((time.perf_counter() - start) * 1000)
	return statistics.median(times)


def run(saves: int = 200, customers: int = 200) -> None:
	frappe.set_user("Administrator")
	tag = frappe.generate_hash(length=6)
	was_on = erp_sync.enabled()
	made_profiles = []
	try:
		set_sync(True)
		profile = frappe.get_doc({"doctype": constants.CUSTOMER, "company_name": f"SyncBench {tag}"}).insert(
			ignore_permissions=True
		)
		contact = frappe.get_doc(
			{"doctype": constants.CONTACT, "customer": profile.name, "first_name": f"SyncBench{tag}"}
		).insert(ignore_permissions=True)
		made_profiles.append(profile.name)
		frappe.db.commit()  # nosemgrep
		synced = timed_saves(contact.name, saves, "synced")
		set_sync(False)
		unsynced = timed_saves(contact.name, saves, "unsynced")
		extra = synced - unsynced
		print(
			f"sync save cost: median of {saves} saves {synced:.1f} ms synced vs {unsynced:.1f} ms unsynced: "
			f"+{extra:.1f} ms (target <= {TARGET_MS} ms: {'met' if extra <= TARGET_MS else 'NOT met'})"
		)

		# backfill
		for i in range(customers):
			p = frappe.get_doc(
				{"doctype": constants.CUSTOMER, "company_name": f"SyncBenchBf{tag} {i}"}
			).insert(ignore_permissions=True)
			made_profiles.append(p.name)
			for j in range(2):
				frappe.get_doc(
					{
						"doctype": constants.CONTACT,
						"customer": p.name,
						"first_name": f"SyncBenchBf{tag}c{i}x{j}",
						"emails": [{"email_id": f"bf{tag}.{i}.{j}@example.com", "is_primary": 1}],
					}
				).insert(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep
		set_sync(True)
		frappe.flags.crm_sync = False
		start = time.perf_counter()
		report = erp_backfill.backfill(create=False, scope=f"SyncBenchBf{tag}")
		paired_s = time.perf_counter() - start
		start = time.perf_counter()
		report = erp_backfill.backfill(scope=f"SyncBenchBf{tag}")
		total_s = time.perf_counter() - start
		records = customers * 3
		per = total_s / records
		at_target = per * 300_000
		print(report.as_text())
		print(
			f"backfill: {customers} customers + {2 * customers} contacts: pairing {paired_s:.2f} s, "
			f"pairing + creating the ERPNext side {total_s:.1f} s ({per * 1000:.1f} ms a record); "
			f"at 100,000 + 200,000 about {at_target:.0f} s (target {TARGET_BACKFILL_S} s: "
			f"{'met' if at_target <= TARGET_BACKFILL_S else 'NOT met'})"
		)
	finally:
		cleanup(was_on)


def cleanup(was_on: bool) -> None:
	"""Delete every record the run made (by its names), as the sync itself (nothing queued)."""
	frappe.db.rollback()
	frappe.flags.crm_sync = True
	profiles = frappe.get_all(
		constants.CUSTOMER, filters={"company_name": ("like", "SyncBench%")}, pluck="name"
	)
	for name in frappe.get_all("Contact", filters={"first_name": ("like", "SyncBench%")}, pluck="name"):
		frappe.delete_doc("Contact", name, ignore_permissions=True, force=True)
	for name in frappe.get_all(
		constants.CONTACT, filters={"customer": ("in", profiles or [""])}, pluck="name"
	):
		frappe.delete_doc(constants.CONTACT, name, ignore_permissions=True, force=True)
	for name in profiles:
		frappe.delete_doc(constants.CUSTOMER, name, ignore_permissions=True, force=True)
	for name in frappe.get_all("Customer", filters={"customer_name": ("like", "SyncBench%")}, pluck="name"):
		frappe.delete_doc("Customer", name, ignore_permissions=True, force=True)
	frappe.flags.crm_sync = False
	set_sync(was_on)


# ------------------------------------------------------------------ backfill at scale


def backfill_at_scale(customers: int = 10_000, contacts_per: int = 2) -> None:
	"""The set-based backfill on `customers` CRM customers with `contacts_per` contacts each (one email and
	one mobile number each), generated with the import engine's multi-row inserts and left unpaired (no
	ERPNext side yet): the backfill pairs (none pair) and creates every ERPNext Customer and Frappe
	Contact. Printed: seconds of generating, of pairing and of creating, records a second, and that rate
	extrapolated linearly to 100,000 customers with 200,000 contacts against the issue's 5 minutes.
	Everything made is deleted at the end with bulk DELETEs."""
	from crm_module.services.imports import specs, writes

	frappe.set_user("Administrator")
	tag = frappe.generate_hash(length=6)
	scope = f"SyncScale{tag}"
	was_on = erp_sync.enabled()
	profiles, contacts = [], []
	try:
		set_sync(False)
		start = time.perf_counter()
		for first in range(0, customers, 2000):
			batch = range(first, min(first + 2000, customers))
			names = writes.insert_batch(
				specs.SPECS[constants.CUSTOMER],
				[
					{
						"company_name": f"{scope} {i}",
						"customer_type": "Company",
						"status": "Active",
						"lifecycle_stage": "Customer",
						"website": f"https://c{i}.{tag}.example.com",
					}
					for i in batch
				],
			)
			profiles += names
			records = []
			for i, profile in zip(batch, names, strict=True):
				for j in range(contacts_per):
					email = f"s{tag}.{i}.{j}@example.com"
					phone = f"+1415{i:06d}{j}"
					records.append(
						{
							"customer": profile,
							"first_name": f"{scope}c{i}",
							"last_name": f"N{j}",
							"is_primary": int(j == 0),
							"email_id": email,
							"phone": phone,
							"emails": [{"email_id": email, "is_primary": 1, "email_type": "Work"}],
							"phones": [{"phone": phone, "is_primary": 1, "phone_type": "Mobile"}],
						}
					)
			contacts += writes.insert_batch(specs.SPECS[constants.CONTACT], records)
			frappe.db.commit()  # nosemgrep: a benchmark run from bench execute
		made_s = time.perf_counter() - start
		set_sync(True)
		frappe.flags.crm_sync = False
		start, cpu = time.perf_counter(), time.process_time()
		report = erp_backfill.backfill(scope=scope)
		total_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
		load = os.getloadavg()[0]
		made = report.created.get("customers", {}).get("erp", 0) + report.created.get("contacts", {}).get(
			"erp", 0
		)
		records = customers * (1 + contacts_per)
		at_target = total_s / records * 300_000
		print(report.as_text().splitlines()[0])
		print(report.as_text().splitlines()[1])
		print(
			f"generated {customers} CRM customers + {customers * contacts_per} contacts in {made_s:.1f} s; "
			f"backfill (pairing + creating {made} ERPNext Customers / Frappe Contacts with their rows, "
			f"commit per batch): {total_s:.1f} s = {records / total_s:.0f} records/s "
			f"({total_s / records * 1000:.2f} ms a record, was 210-370 ms through the ORM); "
			f"at 100,000 + 200,000 about {at_target:.0f} s if linear (target {TARGET_BACKFILL_S} s: "
			f"{'met' if at_target <= TARGET_BACKFILL_S else 'NOT met'}); of it {cpu_s:.1f} s CPU in this "
			f"process, the rest waiting for MariaDB; machine load average {load:.1f} on {os.cpu_count()} cores"
		)
	finally:
		remove_scale(scope, profiles, contacts)
		set_sync(was_on)


def remove_scale(scope: str, profiles: list[str], contacts: list[str]) -> None:
	"""Bulk DELETE of what `backfill_at_scale` made: Customers, Contacts (+ rows), CRM records (+ rows and
	access index rows)."""
	from crm_module.access import index as access_index
	from crm_module.services import bulk

	frappe.db.rollback()
	customers = frappe.get_all("Customer", filters={"customer_name": ("like", f"{scope}%")}, pluck="name")
	frappe_contacts = frappe.get_all("Contact", filters={"first_name": ("like", f"{scope}%")}, pluck="name")
	for doctype, names, parent_tables in (
		("Contact", frappe_contacts, ("Contact Email", "Contact Phone", "Dynamic Link")),
		("Customer", customers, ()),
		(constants.CONTACT, contacts, (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER)),
		(constants.CUSTOMER, profiles, ()),
	):
		for chunk in bulk.chunks(names):
			for child in parent_tables:
				frappe.db.delete(child, {"parenttype": doctype, "parent": ("in", list(chunk))})
			frappe.db.delete(doctype, {"name": ("in", list(chunk))})
			access_index.forget(doctype, list(chunk))
		frappe.db.commit()  # nosemgrep: as above
