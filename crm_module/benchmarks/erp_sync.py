"""Benchmark (not a test): what the ERPNext / Contact sync costs (issue 20).

	CRM_SITE=<site> bash scripts/benchmark.sh sync
	bench --site <site> execute crm_module.benchmarks.erp_sync.run --kwargs "{'saves': 200, 'customers': 200}"

1. Save cost: a CRM contact is saved `saves` times (job title changed, commit each) with the sync on,
   then `saves` times with it off; printed: the median milliseconds of save + commit each way and the
   difference, against the issue's 20 ms. Synced saves pay the enqueue after commit only (the job runs
   in a worker; jobs left in the queue are harmless: one per record, and the records are deleted).
2. Backfill: `customers` CRM customers with 2 contacts each, made without the sync, then paired and
   completed by `erp_backfill.backfill` (ERPNext Customers and Frappe Contacts created); printed: the
   seconds of pairing and of creating, per record, and that rate extrapolated to 100,000 customers with
   200,000 contacts against the issue's 5 minutes. Everything made is deleted at the end.
"""

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
