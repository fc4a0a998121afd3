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
3. `backfill_at_scale` (sync-scale): 10,000 customers + 20,000 contacts (CRM_SYNC_SCALE: 100000 for
   100,000 + 200,000) generated with the import engine's multi-row inserts, backfilled each way: CRM-only
   records, already paired records, ERPNext-only records; seconds against the 5 minutes, peak RSS.
"""

import os
import resource
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


def peak_rss_mb() -> float:
	"""The process's peak resident set size so far (Linux reports KiB)."""
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_backfill(label: str, scope: str, records: int, created: str | None) -> float:
	"""One backfill run, printed: its report's lines, seconds, records a second, the figure at 300,000
	records if linear, CPU in this process, peak RSS."""
	frappe.flags.crm_sync = False
	start, cpu = time.perf_counter(), time.process_time()
	report = erp_backfill.backfill(scope=scope)
	total_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
	lines = report.as_text().splitlines()
	for line in lines[:3]:
		print(f"  {line}")
	made = sum(report.created.get(kind, {}).get(created, 0) for kind in ("customers", "contacts"))
	at_target = total_s / records * 300_000
	print(
		f"{label}: {records} records in {total_s:.1f} s = {records / total_s:.0f} records/s "
		f"({made} created); at 100,000 + 200,000 about {at_target:.0f} s if linear "
		f"(target {TARGET_BACKFILL_S} s: {'met' if at_target <= TARGET_BACKFILL_S else 'NOT met'}); "
		f"{cpu_s:.1f} s CPU in this process, peak RSS {peak_rss_mb():.0f} MB, "
		f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
		flush=True,
	)
	return total_s


def backfill_at_scale(customers: int = 10_000, contacts_per: int = 2) -> None:
	"""The set-based backfill on `customers` customers with `contacts_per` contacts each (one email and one
	mobile number each), in each direction, on one generated data set:

	1. CRM -> ERPNext: the CRM records, generated with the import engine's multi-row inserts, have no
	   ERPNext side: every ERPNext Customer and Frappe Contact is created.
	2. Already paired: the links and merge bases of the CRM records are cleared; the backfill pairs
	   them again (customers by name, contacts by email), finds every pair equal and writes the links.
	3. ERPNext -> CRM: the CRM records are deleted (bulk DELETEs); every CRM Customer Profile and CRM
	   Contact (with its rows) is created from the ERPNext side through the import engine.

	Printed per run: seconds, records a second, the figure at 100,000 + 200,000 records if linear
	against the issue's 5 minutes (at CRM_SYNC_SCALE=100000 it is measured), CPU, peak RSS. Everything
	made is deleted at the end with bulk DELETEs."""
	from crm_module.services.imports import specs, writes

	frappe.set_user("Administrator")
	tag = frappe.generate_hash(length=6)
	scope = f"SyncScale{tag}"
	was_on = erp_sync.enabled()
	records = customers * (1 + contacts_per)
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
			rows = []
			for i, profile in zip(batch, names, strict=True):
				for j in range(contacts_per):
					email = f"s{tag}.{i}.{j}@example.com"
					n = i * contacts_per + j  # a valid US number each (the engine checks E.164)
					phone = f"+1415{200 + n // 10000:03d}{n % 10000:04d}"
					rows.append(
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
			writes.insert_batch(specs.SPECS[constants.CONTACT], rows)
			frappe.db.commit()  # nosemgrep: a benchmark run from bench execute
		print(
			f"generated {customers} CRM customers + {customers * contacts_per} contacts in "
			f"{time.perf_counter() - start:.1f} s (peak RSS {peak_rss_mb():.0f} MB)",
			flush=True,
		)
		set_sync(True)
		timed_backfill("1. CRM -> ERPNext (CRM-only records)", scope, records, "erp")

		profiles, contacts = crm_records(scope)
		unlink(constants.CUSTOMER, profiles, "erpnext_customer")
		unlink(constants.CONTACT, contacts, "frappe_contact")
		frappe.db.commit()  # nosemgrep: as above
		timed_backfill("2. already paired (equal, not linked yet)", scope, records, "crm")

		remove_crm(profiles, contacts)
		timed_backfill("3. ERPNext -> CRM (ERPNext-only records)", scope, records, "crm")
	finally:
		remove_scale(scope)
		set_sync(was_on)


def unlink(doctype: str, names: list[str], field: str) -> None:
	from crm_module.services import bulk

	table = frappe.qb.DocType(doctype)
	for chunk in bulk.chunks(names):
		frappe.qb.update(table).set(table[field], None).set(table.erp_sync_state, None).where(
			table.name.isin(list(chunk))
		).run()


def crm_records(scope: str) -> tuple[list[str], list[str]]:
	profiles = frappe.get_all(
		constants.CUSTOMER, filters={"company_name": ("like", f"{scope}%")}, pluck="name", limit_page_length=0
	)
	contacts = frappe.get_all(
		constants.CONTACT, filters={"first_name": ("like", f"{scope}%")}, pluck="name", limit_page_length=0
	)
	return profiles, contacts


def remove_crm(profiles: list[str], contacts: list[str]) -> None:
	"""Bulk DELETE of CRM records (with their rows and access index rows)."""
	from crm_module.access import index as access_index
	from crm_module.services import bulk

	for doctype, names, parent_tables in (
		(constants.CONTACT, contacts, (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER)),
		(constants.CUSTOMER, profiles, ()),
	):
		for chunk in bulk.chunks(names):
			for child in parent_tables:
				frappe.db.delete(child, {"parenttype": doctype, "parent": ("in", list(chunk))})
			frappe.db.delete(doctype, {"name": ("in", list(chunk))})
			access_index.forget(doctype, list(chunk))
		frappe.db.commit()  # nosemgrep: a benchmark run from bench execute


def remove_scale(scope: str) -> None:
	"""Bulk DELETE of what `backfill_at_scale` made: Customers, Contacts (+ rows), CRM records (+ rows and
	access index rows)."""
	from crm_module.services import bulk

	frappe.db.rollback()
	customers = frappe.get_all(
		"Customer", filters={"customer_name": ("like", f"{scope}%")}, pluck="name", limit_page_length=0
	)
	frappe_contacts = frappe.get_all(
		"Contact", filters={"first_name": ("like", f"{scope}%")}, pluck="name", limit_page_length=0
	)
	for doctype, names, parent_tables in (
		("Contact", frappe_contacts, ("Contact Email", "Contact Phone", "Dynamic Link")),
		("Customer", customers, ()),
	):
		for chunk in bulk.chunks(names):
			for child in parent_tables:
				frappe.db.delete(child, {"parenttype": doctype, "parent": ("in", list(chunk))})
			frappe.db.delete(doctype, {"name": ("in", list(chunk))})
		frappe.db.commit()  # nosemgrep: as above
	remove_crm(*crm_records(scope))
