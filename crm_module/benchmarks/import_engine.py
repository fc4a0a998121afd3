"""Benchmark (not a test): the set-based import engine (`services/imports/engine.py`) on generated files.

	CRM_SITE=<site> bash scripts/benchmark.sh import                       # 100,000 leads
	CRM_SITE=<site> bash scripts/benchmark.sh import --rows 200000 --doctype contacts
	bench --site <site> execute crm_module.benchmarks.import_engine.run --kwargs "{'rows': 10000}"

Per doctype (leads; contacts with 2 emails and 1 phone; interactions on customers the run writes first):
a CSV of `rows` lines with 1 % deliberately bad rows is written to /tmp, read as `bench crm-import`
reads it, imported (as Administrator, batches of 2,000, commit per batch), then imported again (the
same file twice: 0 new rows expected). Printed: seconds, rows/s, refused (expected: exactly the bad
rows), new rows of the second run, peak RSS, against the issue's targets. Everything written is deleted
at the end; nothing is asserted.
"""

import csv
import os
import random
import resource
import time

import frappe

from crm_module import constants
from crm_module.benchmarks.imports import make_customers, remove_records
from crm_module.services import bulk
from crm_module.services.imports import engine, files

TARGETS = {  # doctype: (rows of the target, seconds, label)
	"leads": (100_000, 60, "100,000 leads, with scoring, routing and access index"),
	"contacts": (200_000, 180, "200,000 contacts with 2 emails and 1 phone each"),
	"interactions": (1_000_000, 600, "1,000,000 interactions, with timeline and last-contact dates"),
}
RSS_TARGET_MB = 500
REP = "bench.import.rep@example.com"
MANAGER = "bench.import.manager@example.com"


def peak_rss_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bad(i: int) -> bool:
	return i % 100 == 37  # 1 %


def write_csv(path: str, header: list[str], rows) -> None:
	with open(path, "w", newline="") as handle:
		writer = csv.writer(handle)
		writer.writerow(header)
		writer.writerows(rows)


def lead_file(tag: str, rows: int, path: str) -> None:
	rng = random.Random(0)
	header = ["Lead Name", "Email", "Company Name", "Source", "Status", "Company Size", "Lead Owner", "Phone"]

	def lines():
		for i in range(rows):
			yield (
				f"{tag} Lead {i}",
				"not-an-email" if bad(i) else f"{tag.lower()}.lead{i}@example.com",
				f"{tag} Company {i % 997}",
				rng.choice(("Website", "Referral", "Event", "Cold Call", "Partner")),
				rng.choice(("New", "Contacted", "Qualified")),
				rng.choice(("1-10", "11-50", "51-200", "201-500", "1000+")),
				REP if i % 2 else MANAGER,
				f"+1415{200 + i // 10_000 % 700:03d}{i % 10_000:04d}" if i % 3 == 0 else "",
			)

	write_csv(path, header, lines())


def contact_file(tag: str, rows: int, path: str, customers: list[str]) -> None:
	header = ["first_name", "last_name", "customer", "emails.email_id", "phones.phone"]

	def lines():
		for i in range(rows):
			yield (
				f"{tag} C{i}",
				"Imported",
				customers[i % len(customers)],
				f"{tag.lower()}.c{i}@example.com",
				f"+4420{i:08d}" if not bad(i) else "12",
			)
			yield ("", "", "", f"{tag.lower()}.c{i}@home.example.org", "")

	write_csv(path, header, lines())


def interaction_file(tag: str, rows: int, path: str, customers: list[str]) -> None:
	rng = random.Random(1)
	header = ["interaction_type", "subject", "interaction_date", "customer", "duration_minutes", "sentiment"]

	def lines():
		for i in range(rows):
			yield (
				rng.choice(("Call", "Email", "Meeting", "Note")),
				f"{tag} interaction {i}",
				f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
				customers[i % len(customers)],
				-5 if bad(i) else 5 + i % 80,
				rng.choice(("Positive", "Neutral", "Negative", "")),
			)

	write_csv(path, header, lines())


def timed(doctype: str, path: str, key: str | None) -> tuple[engine.ImportResult, float]:
	"""Read the file as `crm-import` does (streamed) and import it; the seconds include the reading."""
	started = time.perf_counter()
	result = engine.import_rows(doctype, files.read_rows(doctype, path), key=key)
	return result, time.perf_counter() - started


def run(rows: int = 100_000, doctype: str = "leads", keep: bool = False) -> None:
	from crm_module.tests.factories import make_user

	rows = int(rows)
	frappe.set_user("Administrator")
	make_user(MANAGER, (constants.ROLE_MANAGER,))
	make_user(REP, (constants.ROLE_USER,))
	frappe.db.commit()
	tag = f"BENG{frappe.generate_hash(length=5).upper()}"
	path = f"/tmp/{tag}-{doctype}.csv"
	customers: list[str] = []
	target_rows, target_seconds, label = TARGETS[doctype]
	print(
		f"Import engine benchmark {tag}: {rows} {doctype} (target: {label} in <= {target_seconds} s)",
		flush=True,
	)
	try:
		if doctype == "leads":
			real, key = constants.LEAD, "email"
			lead_file(tag, rows, path)
		elif doctype == "contacts":
			real, key = constants.CONTACT, "email"
			customers = make_customers(tag, max(1, rows // 20))
			contact_file(tag, rows, path, customers)
		else:
			real, key = constants.INTERACTION, "name"
			customers = make_customers(tag, max(1, rows // 20))
			interaction_file(tag, rows, path, customers)
		expected_bad = sum(1 for i in range(rows) if bad(i))
		print(f"  file {path}: {os.path.getsize(path):,} bytes, {expected_bad} bad rows", flush=True)
		result, seconds = timed(real, path, key)
		scaled = seconds * target_rows / rows
		print(
			f"  first run   {len(result.created):>9} created {len(result.refused):>6} refused (expected {expected_bad})"
			f"  {seconds:8.1f} s (file read included)  {rows / seconds:8.0f} rows/s"
			f"  -> {target_rows:,} rows in ~{scaled:.0f} s (target {target_seconds} s)  peak RSS {peak_rss_mb():.0f} MB",
			flush=True,
		)
		shown = ", ".join(r.as_text() for r in result.refused[:3])
		print(f"  refused e.g.: {shown}", flush=True)
		if doctype != "interactions":
			again, seconds2 = timed(real, path, key)
			print(
				f"  second run  {len(again.created):>9} created {len(again.unchanged):>9} unchanged"
				f"  {seconds2:8.1f} s  peak RSS {peak_rss_mb():.0f} MB (target <= {RSS_TARGET_MB} MB)",
				flush=True,
			)
		else:
			print(f"  peak RSS {peak_rss_mb():.0f} MB (target <= {RSS_TARGET_MB} MB)")
		created = result.created
	finally:
		if not keep:
			started = time.perf_counter()
			frappe.db.rollback()
			created = created if "created" in locals() else []
			if real == constants.CONTACT:
				for chunk in bulk.chunks(created):
					for table in (constants.EMAIL_ADDRESS, constants.PHONE_NUMBER):
						frappe.db.delete(table, {"parenttype": real, "parent": ("in", list(chunk))})
			remove_records(real, created)
			remove_records(constants.CUSTOMER, customers)
			frappe.db.commit()
			if os.path.exists(path):
				os.remove(path)
			print(f"  cleanup {time.perf_counter() - started:.1f} s")
