"""Benchmark (not a test): the migration from Frappe CRM at scale (issue 19).

	CRM_SITE=SITE bash scripts/benchmark.sh migrate [--rows N]
	bench --site SITE execute crm_module.benchmarks.migrate.run --kwargs "{'rows': 10000}"

Needs Frappe CRM (the `crm` app) on the site. Fills Frappe CRM set-based with `rows` CRM Leads, `rows`
CRM Deals (half of them without organization, each of those with a contact of its own in its CRM Contacts
rows), `rows` FCRM Notes (on leads and deals, alternately), `rows` / 20 CRM Organizations with a contact
each, all named `BENCHMIG-…`; migrates them in-process, timing each step, and prints per step the source
rows, seconds and rows/s, then the total against the target (300 s for 100,000 of each), the deals
skipped for having no organization (target 0) and the peak RSS (target 500 MB). A second run follows
(nothing new: every record is unchanged). Then everything it made is deleted: the sources by name, the
migrated records through their links back, with the rows written beside them (child rows, timeline,
stage history, scores, access index); the pipeline "Frappe CRM" and its stages stay.
"""

import os
import random
import resource
import time

import frappe
from frappe.utils import add_days, add_to_date, now_datetime

from crm_module import constants
from crm_module.benchmarks.dataset import insert, make_reps
from crm_module.domain import migration_map as mm
from crm_module.services import bulk
from crm_module.services.insights import scoring
from crm_module.services.migration import frappe_crm
from crm_module.services.migration.core import Migration

PREFIX = "BENCHMIG-"
TARGET_SECONDS = 300  # for 100,000 leads, deals and notes
TARGET_RSS_MB = 500
LEAD_STATUSES = ("New", "Contacted", "Nurture", "Qualified", "Unqualified", "Junk")
STD = ["name", "creation", "modified", "owner", "modified_by"]


def has_peer() -> bool:
	if "crm" not in frappe.get_installed_apps() or not frappe.db.exists("DocType", "CRM Deal"):
		print("Frappe CRM is not installed on this site: nothing to migrate.")
		return False
	return True


# ------------------------------------------------------------------ the source data


def fill(n: int, seed: int = 19) -> dict:
	"""Insert the Frappe CRM records described in the module docstring (multi-row inserts)."""
	rng = random.Random(seed)
	reps = make_reps(20)
	now = now_datetime()
	orgs = max(1, n // 20)
	statuses = frappe.get_all("CRM Deal Status", fields=["name", "type"], order_by="position asc")
	reasons = frappe.get_all("CRM Lost Reason", pluck="name") or [None]

	def when(i):
		return add_to_date(now, days=-rng.randrange(0, 730), seconds=i)

	def org_name(i):
		return f"{PREFIX}Org {i % orgs:06d}"

	insert(
		"CRM Organization",
		(
			([*STD, "organization_name", "website", "no_of_employees", "currency"],
			 (org_name(i), when(i), when(i), "Administrator", "Administrator", org_name(i),
			  f"https://org{i}.example", "11-50", "USD"))
			for i in range(orgs)
		),
	)  # fmt: skip

	def contact(name, first, email, company):
		return (
			[*STD, "first_name", "last_name", "full_name", "email_id", "company_name"],
			(name, when(0), when(0), "Administrator", "Administrator", first, "Bench", f"{first} Bench",
			 email, company),
		)  # fmt: skip

	people = n // 2
	insert(
		"Contact",
		(
			contact(f"{PREFIX}CON-{i:07d}", f"Person{i}", f"person{i}@mig.example", None)
			for i in range(people)
		),
	)
	insert("Contact", (contact(f"{PREFIX}OCON-{i:07d}", f"Staff{i}", f"staff{i}@org.example", org_name(i)) for i in range(orgs)))  # fmt: skip
	email_fields = [*STD, "parent", "parenttype", "parentfield", "idx", "email_id", "is_primary"]
	insert(
		"Contact Email",
		(
			(email_fields,
			 (f"{PREFIX}CE-{kind}{i:07d}", now, now, "Administrator", "Administrator", f"{PREFIX}{kind}-{i:07d}",
			  "Contact", "email_ids", 1, f"{'person' if kind == 'CON' else 'staff'}{i}@{'mig' if kind == 'CON' else 'org'}.example", 1))
			for kind, count in (("CON", people), ("OCON", orgs))
			for i in range(count)
		),
	)  # fmt: skip
	insert(
		"CRM Lead",
		(
			([*STD, "naming_series", "first_name", "lead_name", "status", "lead_owner", "email", "organization", "converted"],
			 (f"{PREFIX}LEAD-{i:07d}", when(i), when(i), "Administrator", "Administrator", "CRM-LEAD-.YYYY.-",
			  f"Lead{i}", f"Lead{i} Bench", rng.choice(LEAD_STATUSES), rng.choice(reps), f"lead{i}@mig.example",
			  org_name(i), 0))
			for i in range(n)
		),
	)  # fmt: skip

	def deal(i):
		status = rng.choice(statuses)
		value = round(rng.uniform(500, 200_000), 2)
		created = when(i)
		closed = add_days(created, 30) if status.type in ("Won", "Lost") else None
		return (
			[*STD, "naming_series", "status", "deal_owner", "deal_value", "currency", "exchange_rate",
			 "probability", "expected_closure_date", "closed_date", "lost_reason", "lead", "organization"],
			(f"{PREFIX}DEAL-{i:07d}", created, created, "Administrator", "Administrator", "CRM-DEAL-.YYYY.-",
			 status.name, rng.choice(reps), value, "USD", 1, rng.randrange(0, 101), add_days(created, 60), closed,
			 rng.choice(reasons) if status.type == "Lost" else None, f"{PREFIX}LEAD-{i:07d}" if i % 3 == 0 else None,
			 org_name(i) if i % 2 == 0 else None),
		)  # fmt: skip

	insert("CRM Deal", (deal(i) for i in range(n)))
	insert(
		"CRM Contacts",
		(
			([*STD, "parent", "parenttype", "parentfield", "idx", "contact", "is_primary"],
			 (f"{PREFIX}CC-{i:07d}", now, now, "Administrator", "Administrator", f"{PREFIX}DEAL-{i:07d}",
			  "CRM Deal", "contacts", 1, f"{PREFIX}CON-{i // 2:07d}", 1))
			for i in range(1, n, 2)
		),
	)  # fmt: skip
	insert(
		"FCRM Note",
		(
			([*STD, "title", "content", "reference_doctype", "reference_docname"],
			 (f"{PREFIX}NOTE-{i:07d}", when(i), when(i), "Administrator", "Administrator", f"Note {i}",
			  f"<p>Called about the renewal, round {i}</p>", "CRM Lead" if i % 2 == 0 else "CRM Deal",
			  f"{PREFIX}{'LEAD' if i % 2 == 0 else 'DEAL'}-{i:07d}"))
			for i in range(n)
		),
	)  # fmt: skip
	return {"leads": n, "deals": n, "notes": n, "organizations": orgs, "contacts": people + orgs}


# ------------------------------------------------------------------ the migration, timed


def migrate(label: str) -> tuple[float, mm.MigrationReport]:
	"""One migration as `runs.run_migration` does it, each step timed."""
	m = Migration(mm.FRAPPE_CRM)
	frappe.flags.crm_migrating = True
	started = time.monotonic()
	print(f"\n{label}")
	try:
		for step, run_step in [*frappe_crm.steps(), ("Scoring the migrated leads", None)]:
			before = sum(seen(c) for c in m.report.counts().values())
			t, cpu = time.monotonic(), cpu_seconds()
			if run_step:
				m.run_step(run_step)
			elif m.touched_leads:
				scoring.score_leads(list(dict.fromkeys(m.touched_leads)))
			frappe.db.commit()
			seconds = time.monotonic() - t
			rows = (
				len(m.touched_leads)
				if not run_step
				else sum(seen(c) for c in m.report.counts().values()) - before
			)
			rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0.01 and rows else "-"
			cpu = cpu_seconds() - cpu
			print(
				f"  {step:<36} {rows:>8,} rows {seconds:>7.1f} s ({cpu:>5.1f} s CPU here) {rate:>14}  {rss_mb():>5.0f} MB"
			)
	finally:
		frappe.flags.crm_migrating = False
	return time.monotonic() - started, m.report


def cpu_seconds() -> float:
	"""CPU time of this process (the database's is not in it)."""
	usage = resource.getrusage(resource.RUSAGE_SELF)
	return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
	"""Resident memory now (MB)."""
	with open("/proc/self/status") as status:
		line = next(line for line in status if line.startswith("VmRSS:"))
	return int(line.split()[1]) / 1024


def seen(counts: dict) -> int:
	return counts["created"] + counts["updated"] + counts["joined"] + counts["skipped"]


def run(rows: int = 100_000) -> dict:
	if not has_peer():
		return {}
	frappe.set_user("Administrator")
	frappe.db.set_single_value("FCRM Settings", "currency", "USD")  # no exchange-rate lookups
	remove()
	t = time.monotonic()
	made = fill(rows)
	print(f"filled Frappe CRM: {made} in {time.monotonic() - t:.0f} s")
	print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
	seconds, report = migrate(f"first run ({rows:,} leads, deals and notes)")
	totals = report.totals()
	orgless = [
		p
		for p in report.sections.get("CRM Deal", mm.Section()).problems
		if "no organization" in p and PREFIX in p
	]
	target = TARGET_SECONDS * rows / 100_000
	peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
	print(f"  created {totals['created']:,}, joined {totals['joined']:,}, refused {totals['refused']:,}")
	for section in report.sections.values():
		for problem in section.problems[:3]:
			print(f"    refused: {problem}")
	print(f"total {seconds:.0f} s, target <= {target:.0f} s  {'met' if seconds <= target else 'MISSED'}")
	print(
		f"deals skipped for having no organization: {len(orgless)}, target 0  {'met' if not orgless else 'MISSED'}"
	)
	print(
		f"peak RSS {peak:.0f} MB, target <= {TARGET_RSS_MB} MB  {'met' if peak <= TARGET_RSS_MB else 'MISSED'}"
	)
	again_seconds, again = migrate("second run (nothing new)")
	again_totals = again.totals()
	print(
		f"second run: {again_seconds:.0f} s, created {again_totals['created']}, updated {again_totals['updated']}, "
		f"unchanged {again_totals['unchanged']:,}"
	)
	remove()
	return {
		"seconds": round(seconds, 1),
		"created": totals["created"],
		"orgless_skipped": len(orgless),
		"peak_rss_mb": round(peak),
		"second_run_created": again_totals["created"],
	}


# ------------------------------------------------------------------ clean up


MADE_BESIDE = (  # (table, column naming the migrated record)
	(constants.EMAIL_ADDRESS, "parent"),
	(constants.PHONE_NUMBER, "parent"),
	("CRM Note Mention", "parent"),
	(constants.TIMELINE, "reference_name"),
	(constants.TIMELINE, "lead"),
	(constants.DEAL_STAGE, "opportunity"),
	(constants.LEAD_SCORE, "lead"),
	("ToDo", "reference_name"),
)


def remove() -> None:
	"""Delete the sources (by name) and what migrations made of them (by their links back), with the rows
	written beside those records (the pipeline "Frappe CRM" and its stages stay)."""
	links = frappe.qb.DocType(constants.SOURCE_LINK)
	made = (
		frappe.qb.from_(links)
		.select(links.name, links.target_doctype, links.target_name)
		.where(links.source_name.like(f"{PREFIX}%"))
	).run(as_dict=True)
	by_doctype: dict[str, list[str]] = {}
	for row in made:
		by_doctype.setdefault(row.target_doctype, []).append(row.target_name)
	every = [name for names in by_doctype.values() for name in names]
	for chunk in bulk.chunks(sorted(set(every)), 5000):
		timeline = [  # before any is deleted: an entry of a note on a lead goes with the lead's chunk
			name
			for column in ("reference_name", "lead")
			for name in frappe.get_all(
				constants.TIMELINE, filters={column: ("in", list(chunk))}, pluck="name"
			)
		]
		for table, column in (*MADE_BESIDE, (constants.RECORD_ACCESS, "record_name")):
			frappe.db.delete(table, {column: ("in", list(chunk))})
		if timeline:
			frappe.db.delete(constants.RECORD_ACCESS, {"record_name": ("in", timeline)})
	for doctype, names in by_doctype.items():
		if doctype == constants.PIPELINE_STAGE:
			continue
		for chunk in bulk.chunks(names, 5000):
			frappe.db.delete(doctype, {"name": ("in", list(chunk))})
	for chunk in bulk.chunks([row.name for row in made], 5000):
		frappe.db.delete(constants.SOURCE_LINK, {"name": ("in", list(chunk))})
	for table, column in (
		("Contact Email", "parent"),
		("CRM Contacts", "parent"),
		("FCRM Note", "name"),
		("CRM Deal", "name"),
		("CRM Lead", "name"),
		("Contact", "name"),
		("CRM Organization", "name"),
	):
		frappe.db.sql(f"delete from `tab{table}` where `{column}` like %s", f"{PREFIX}%")
	frappe.db.commit()
