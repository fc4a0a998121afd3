"""Benchmark (not a test): Frappe's Data Import of leads and interactions at 100,000 rows each (through the
import engine: `crm_module.services.imports.data_import`) and a Report View CSV export of the leads.

	CRM_SITE=<site> bash scripts/benchmark.sh data-import                # 100,000 rows
	CRM_SITE=<site> bash scripts/benchmark.sh data-import --rows 10000
	bench --site <site> execute crm_module.benchmarks.imports.run --kwargs "{'rows': 10000}"

The CSV files are generated here and attached to Data Import documents; each import then runs in this
process exactly as its background job would (`data_import.run`: the engine, batches of 2,000 rows, one
commit each, a Data Import Log row per file row). The interactions point at customers the benchmark
writes first (set-based) and at the leads it has just imported. A few rows per file are deliberately bad
(one in 10,000, at least one) so the error path is measured too.

Figures: rows, seconds, rows/s, failed rows, the process's peak RSS so far; the export: seconds and bytes
for a manager (every lead) and the rows a rep gets (isolation). Everything the run wrote is deleted at the
end (also when a step fails); nothing is asserted.
"""

import csv
import io
import json
import random
import resource
import time

import frappe
from frappe.core.doctype.data_import.data_import import start_import
from frappe.utils import add_to_date, now_datetime

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk
from crm_module.services.bulk import STANDARD
from crm_module.services.imports import data_import as door
from crm_module.services.imports.data_import import DATA_IMPORT, ENGINE_DOCTYPES

PREFIX = "BIMP"
MANAGER = "bench.import.manager@example.com"
REP = "bench.import.rep@example.com"
LEAD_COLUMNS = ("lead_name", "email_id", "company_name", "source", "status", "company_size", "lead_owner")
INTERACTION_COLUMNS = (
	"interaction_type",
	"subject",
	"interaction_date",
	"customer",
	"lead",
	"sentiment",
	"outcome",
	"duration_minutes",
)
SOURCES = ("Website", "Referral", "Event", "Cold Call", "Partner")
SIZES = ("1-10", "11-50", "51-200", "201-500", "1000+")
TYPES = ("Call", "Email", "Meeting", "Note")
SENTIMENTS = ("Positive", "Neutral", "Negative", "")


# ------------------------------------------------------------------ helpers (shared with the tests)


def csv_text(header: tuple[str, ...] | list[str], rows: list) -> str:
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow(header)
	writer.writerows(rows)
	return out.getvalue()


def make_data_import(doctype: str, content: str, file_name: str) -> str:
	"""A Data Import ("Insert New Records") of `doctype` from CSV text, saved and committed."""
	file = frappe.get_doc(
		{"doctype": "File", "file_name": file_name, "is_private": 1, "content": content}
	).insert(ignore_permissions=True)
	data_import = frappe.get_doc(
		{
			"doctype": DATA_IMPORT,
			"reference_doctype": doctype,
			"import_type": "Insert New Records",
			"import_file": file.file_url,
			"mute_emails": 1,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return data_import.name


def run_import(data_import: str) -> frappe._dict:
	"""Run the import in this process, as its background job does; its status and row counts."""
	if frappe.db.get_value(DATA_IMPORT, data_import, "reference_doctype") in ENGINE_DOCTYPES:
		door.run(data_import)
	else:
		start_import(data_import)
	log = frappe.qb.DocType("Data Import Log")
	counts = dict(
		(
			frappe.qb.from_(log)
			.select(log.success, frappe.query_builder.functions.Count("*"))
			.where(log.data_import == data_import)
			.groupby(log.success)
		).run()
	)
	return frappe._dict(
		status=frappe.db.get_value(DATA_IMPORT, data_import, "status"),
		imported=int(counts.get(1, 0)),
		failed=int(counts.get(0, 0)),
	)


def failed_rows(data_import: str) -> dict[int, str]:
	"""{row number in the file (the header is row 1): the messages the row failed with}."""
	rows = frappe.get_all(
		"Data Import Log",
		filters={"data_import": data_import, "success": 0},
		fields=["row_indexes", "messages", "exception"],
	)
	out = {}
	for row in rows:
		messages = json.loads(row.messages or "[]")
		text = " ".join(message_text(m) for m in messages)
		for index in json.loads(row.row_indexes or "[]"):
			out[int(index)] = text or (row.exception or "").strip().splitlines()[-1]
	return out


def message_text(message) -> str:
	if isinstance(message, str) and message.startswith("{"):
		message = json.loads(message)
	return str(message.get("message", "")) if isinstance(message, dict) else str(message)


def export_csv(doctype: str, fields: list[str], filters: list, user: str) -> bytes:
	"""Report View's "Export" (frappe.desk.reportview.export_query, CSV) as `user`."""
	from frappe.desk.reportview import export_query

	previous, form_dict = frappe.session.user, frappe.local.form_dict
	frappe.set_user(user)
	try:
		frappe.local.form_dict = frappe._dict(
			doctype=doctype,
			file_format_type="CSV",
			fields=json.dumps([f"`tab{doctype}`.`{field}`" for field in fields]),
			filters=json.dumps(filters),
			title=doctype,
		)
		export_query()
		return frappe.response.pop("filecontent")
	finally:
		frappe.local.form_dict = form_dict
		frappe.response.pop("type", None)
		frappe.response.pop("filename", None)
		frappe.set_user(previous)


def imported_names(data_import: str) -> list[str]:
	"""The records a Data Import wrote (successful rows of its log), in row order."""
	log = frappe.qb.DocType("Data Import Log")
	rows = (
		frappe.qb.from_(log)
		.select(log.docname)
		.where((log.data_import == data_import) & (log.success == 1))
		.orderby(log.log_index)
	).run(pluck=True)
	return list(dict.fromkeys(name for name in rows if name))


def remove(data_imports: list[str]) -> None:
	"""Delete what the imports wrote, their logs, files and the imports."""
	for data_import in data_imports:
		values = frappe.db.get_value(DATA_IMPORT, data_import, ["reference_doctype", "import_file"])
		if not values:
			continue
		doctype, file_url = values
		remove_records(doctype, imported_names(data_import))
		frappe.db.delete("Data Import Log", {"data_import": data_import})
		frappe.db.delete(DATA_IMPORT, {"name": data_import})
		for file in frappe.get_all("File", filters={"file_url": file_url}, pluck="name") if file_url else []:
			frappe.delete_doc("File", file, ignore_permissions=True, force=True)
	frappe.db.commit()


def remove_records(doctype: str, names: list[str]) -> None:
	"""Delete records written without hooks, with what hangs off them (scores, assignments, stage
	history, mentions, timeline entries, access index rows): 999 names per statement."""
	access, timeline = f"`tab{constants.RECORD_ACCESS}`", f"`tab{constants.TIMELINE}`"
	quoted = frappe.db.escape(doctype)
	for chunk in bulk.chunks(names, 999):
		listed = bulk.sql_in(chunk)
		if doctype == constants.LEAD:
			frappe.db.sql(f"delete from `tab{constants.LEAD_SCORE}` where `lead` in {listed}")
			frappe.db.sql(
				f"delete from `tabToDo` where `reference_type` = {quoted} and `reference_name` in {listed}"
			)
			entries = f"`lead` in {listed}"
		else:
			entries = f"`reference_doctype` = {quoted} and `reference_name` in {listed}"
		if doctype == constants.OPPORTUNITY:
			frappe.db.sql(f"delete from `tab{constants.DEAL_STAGE}` where `opportunity` in {listed}")
		if doctype == constants.NOTE:
			frappe.db.sql(f"delete from `tab{constants.NOTE_MENTION}` where `parent` in {listed}")
		rows = frappe.db.sql(f"select `name` from {timeline} where {entries}", pluck=True)
		for part in bulk.chunks(rows, 999):
			frappe.db.sql(
				f"delete from {access} where `record_type` = {frappe.db.escape(constants.TIMELINE)}"
				f" and `record_name` in {bulk.sql_in(part)}"
			)
			frappe.db.sql(f"delete from {timeline} where `name` in {bulk.sql_in(part)}")
		frappe.db.sql(f"delete from {access} where `record_type` = {quoted} and `record_name` in {listed}")
		frappe.db.sql(f"delete from `tab{doctype}` where `name` in {listed}")


# ------------------------------------------------------------------ the benchmark


def peak_rss_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def users() -> tuple[str, str]:
	from crm_module.tests.factories import make_user

	make_user(MANAGER, (constants.ROLE_MANAGER,))
	make_user(REP, (constants.ROLE_USER,))
	frappe.db.commit()
	return MANAGER, REP


def bad_row_numbers(rows: int) -> set[int]:
	"""Indexes (0-based) of the deliberately bad rows: one in 10,000, at least one."""
	return {i * 10_000 + 7 for i in range(max(1, rows // 10_000)) if i * 10_000 + 7 < rows}


def lead_rows(run: str, rows: int, rng: random.Random) -> list[tuple]:
	bad = bad_row_numbers(rows)
	out = []
	for i in range(rows):
		email = "not-an-email" if i in bad else f"{run.lower()}.lead{i}@example.com"
		out.append(
			(
				f"{run} Lead {i}",
				email,
				f"{run} Company {i % 997}",
				rng.choice(SOURCES),
				"New",
				rng.choice(SIZES),
				REP if i % 2 else MANAGER,
			)
		)
	return out


def make_customers(run: str, count: int) -> list[str]:
	now = now_datetime()
	names = [f"{run}-CUST-{i:07d}" for i in range(count)]
	values = [
		(
			*(name, now, now, "Administrator", "Administrator", 0, 0),
			f"{run} Customer {i}",
			"Active",
			"Customer",
			REP if i % 2 else MANAGER,
		)
		for i, name in enumerate(names)
	]
	fields = [*STANDARD, "company_name", "status", "lifecycle_stage", "account_owner"]
	bulk.insert_rows(constants.CUSTOMER, fields, values)
	access_index.refresh(constants.CUSTOMER, names)
	frappe.db.commit()
	return names


def interaction_rows(rows: int, customers: list[str], leads: list[str], rng: random.Random) -> list[tuple]:
	bad = bad_row_numbers(rows)
	now = now_datetime()
	out = []
	for i in range(rows):
		on_lead = leads and i % 5 == 0
		when = add_to_date(now, days=-rng.randrange(120), hours=-rng.randrange(24))
		out.append(
			(
				rng.choice(TYPES),
				f"Imported interaction {i}",
				when.strftime("%Y-%m-%d %H:%M:%S"),
				"" if on_lead else customers[i % len(customers)],
				leads[i % len(leads)] if on_lead else "",
				rng.choice(SENTIMENTS),
				"",
				-5 if i in bad else rng.randrange(5, 90),  # a negative duration fails validation
			)
		)
	return out


def line(label: str, rows: int, seconds: float, failed: int | None = None, extra: str = "") -> None:
	rate = rows / seconds if seconds else 0.0
	errors = f"  errors {failed:>4}" if failed is not None else ""
	print(
		f"  {label:<30} {rows:>8} rows {seconds:9.2f} s {rate:9.0f} rows/s{errors}"
		f"  peak RSS {peak_rss_mb():7.0f} MB{extra}",
		flush=True,
	)


def timed_import(label: str, doctype: str, header, rows: list, file_name: str) -> tuple[str, dict]:
	"""Import `rows` through a Data Import; print the figures; return the import's name."""
	name = make_data_import(doctype, csv_text(header, rows), file_name)
	started = time.perf_counter()
	result = run_import(name)
	seconds = time.perf_counter() - started
	line(f"import {doctype} ({result.status})", len(rows), seconds, result.failed)
	return name, result


def run(rows: int = 100_000, seed: int = 0, keep: bool = False) -> None:
	rows = int(rows)
	rng = random.Random(seed)
	run_tag = f"{PREFIX}{frappe.generate_hash(length=5).upper()}"
	imports: list[str] = []
	customers: list[str] = []
	print(f"Data Import benchmark {run_tag}: {rows} leads, {rows} interactions, export of the leads")
	try:
		manager, rep = users()
		name, _result = timed_import(
			"leads", constants.LEAD, LEAD_COLUMNS, lead_rows(run_tag, rows, rng), f"{run_tag}-leads.csv"
		)
		imports.append(name)
		leads = imported_names(name)
		customers = make_customers(run_tag, max(1, rows // 10))
		name, _result = timed_import(
			"interactions",
			constants.INTERACTION,
			INTERACTION_COLUMNS,
			interaction_rows(rows, customers, leads, rng),
			f"{run_tag}-interactions.csv",
		)
		imports.append(name)

		fields = ["name", *LEAD_COLUMNS, "latest_score", "latest_grade"]
		filters = [[constants.LEAD, "lead_name", "like", f"{run_tag} Lead %"]]
		started = time.perf_counter()
		content = export_csv(constants.LEAD, fields, filters, manager)
		seconds = time.perf_counter() - started
		exported = content.count(b"\n") - 1
		line("export leads (manager)", exported, seconds, extra=f"  {len(content):,} bytes")
		started = time.perf_counter()
		content = export_csv(constants.LEAD, fields, filters, rep)
		seconds = time.perf_counter() - started
		line("export leads (rep)", content.count(b"\n") - 1, seconds, extra=f"  {len(content):,} bytes")
	finally:
		if not keep:
			started = time.perf_counter()
			cleanup(imports, customers)
			print(f"  cleanup {time.perf_counter() - started:.1f} s")


def cleanup(imports: list[str], customers: list[str], attempts: int = 3) -> None:
	"""`remove` the imports and the customers, retried after a deadlock (other writers on the site)."""
	for attempt in range(attempts):
		frappe.db.rollback()
		try:
			remove(imports)
			remove_records(constants.CUSTOMER, customers)
			frappe.db.commit()
			return
		except frappe.QueryDeadlockError:
			if attempt == attempts - 1:
				raise
			time.sleep(1 + attempt)


def remove_runs(tag_prefix: str = PREFIX) -> None:
	"""Delete what earlier (interrupted) runs left: their Data Imports (by file name) and customers."""
	files = frappe.get_all("File", filters={"file_name": ("like", f"{tag_prefix}%.csv")}, pluck="file_url")
	imports = (
		frappe.get_all(DATA_IMPORT, filters={"import_file": ("in", files)}, pluck="name") if files else []
	)
	customers = frappe.get_all(
		constants.CUSTOMER, filters={"name": ("like", f"{tag_prefix}%-CUST-%")}, pluck="name"
	)
	cleanup(imports, customers)
	print(f"removed {len(imports)} imports and {len(customers)} customers")
