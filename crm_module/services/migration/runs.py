"""Migrations from ERPNext's CRM and from Frappe CRM into this app (issue 12): who may run them, the run
log (CRM Migration Run), the background job and the bench command's entry point.

`run_migration` is the one way in: a CRM Manager (or System Manager) check, the source app must be
installed, then the source-specific runner (`migration_erpnext`, `migration_frappe_crm`) writes the
records (new ones through the set-based import engine, one commit per batch of 2,000 with their links
back; see `migration.core`) and fills a `domain.migration_map.MigrationReport`. Running it again creates
and changes nothing unless the source records changed since, so a run stopped half-way is finished by
running it again. A dry run writes every record one by one through the ORM inside a savepoint and rolls
it all back: its report gives the counts a real run would (what later steps link to exists during the
dry run).
"""

from contextlib import nullcontext

import frappe
from frappe import _
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.domain import migration_map as mm
from crm_module.services.common import require_manager
from crm_module.services.insights import scoring
from crm_module.services.migration import erpnext as migration_erpnext
from crm_module.services.migration import frappe_crm as migration_frappe_crm
from crm_module.services.migration.core import Migration
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.transactions import savepoint
from crm_module.utils import throw_input

RUNNERS = {mm.ERPNEXT: migration_erpnext.run, mm.FRAPPE_CRM: migration_frappe_crm.run}


def source_app(source: str) -> str:
	"""'erpnext' / 'frappe-crm' (or the source_app labels) -> the source_app label; 400 otherwise."""
	value = mm.SOURCES.get((source or "").strip().lower()) or (source if source in mm.SOURCE_APPS else None)
	if not value:
		throw_input(_("source must be one of {0}, got {1}").format(", ".join(mm.SOURCES), source))
	return value


def is_available(app_label: str) -> bool:
	return mm.SOURCE_APPS[app_label] in frappe.get_installed_apps()


def require_source(app_label: str) -> None:
	if not is_available(app_label):
		throw_input(_("{0} is not installed on this site: nothing to migrate").format(app_label))


def run_migration(source: str, dry_run: bool = False, publish: bool = False) -> mm.MigrationReport:
	"""Migrate everything from `source` ('erpnext' or 'frappe-crm'); return the mapping report."""
	require_manager()
	label = source_app(source)
	require_source(label)
	migration = Migration(label, dry_run=dry_run, publish=publish)
	previous = frappe.flags.crm_migrating
	frappe.flags.crm_migrating = True
	try:
		# a dry run does all the work, then rolls it back
		with savepoint("crm_migration_dry_run", discard=True) if dry_run else nullcontext():
			RUNNERS[label](migration)
			if migration.touched_leads and not dry_run:
				# one bulk scoring pass instead of a score per row
				scoring.score_leads(list(dict.fromkeys(migration.touched_leads)))
	finally:
		frappe.flags.crm_migrating = previous
		if dry_run:
			clear_stage_cache()
	return migration.report


# ------------------------------------------------------------------ the run log


def start_run(label: str, dry_run: bool, status: str = "Running"):
	return frappe.get_doc(
		{
			"doctype": constants.MIGRATION_RUN,
			"source_app": label,
			"status": status,
			"dry_run": 1 if dry_run else 0,
			"started_by": frappe.session.user,
			"started_on": now_datetime() if status == "Running" else None,
		}
	).insert(ignore_permissions=True)


def finish_run(run, report: mm.MigrationReport | None, error: str | None = None) -> None:
	totals = report.totals() if report else {}
	run.update(
		{
			"status": "Failed" if error else "Completed",
			"finished_on": now_datetime(),
			"created_count": totals.get("created", 0),
			"updated_count": totals.get("updated", 0),
			"skipped_count": totals.get("skipped", 0),
			"counts": frappe.as_json(report.counts()) if report else None,
			"report": report.as_text() if report else None,
			"error": error,
		}
	)
	run.save(ignore_permissions=True)


def run_logged(source: str, dry_run: bool = False, run_name: str | None = None, publish: bool = False):
	"""Run a migration and record it in a CRM Migration Run; returns (run, report). Commits."""
	require_manager()
	label = source_app(source)
	require_source(label)
	if run_name:
		run = frappe.get_doc(constants.MIGRATION_RUN, run_name)
		run.update({"status": "Running", "started_on": now_datetime()})
		run.save(ignore_permissions=True)
	else:
		run = start_run(label, dry_run)
	frappe.db.commit()  # nosemgrep: the log shows "Running" while the job works
	try:
		report = run_migration(source, dry_run=dry_run, publish=publish)
	except Exception:
		frappe.db.rollback()
		run.reload()
		finish_run(run, None, frappe.get_traceback())
		frappe.db.commit()  # nosemgrep: keep the failure on record
		raise
	finish_run(run, report)
	frappe.db.commit()  # nosemgrep: the last steps' links, the scores and the run log
	return run, report


def run_job(run: str, source: str, dry_run: bool = False) -> None:
	"""Background job (queue long) behind the desk button."""
	run_logged(source, dry_run=dry_run, run_name=run, publish=True)


def enqueue_migration(source: str, dry_run: bool = False) -> dict:
	"""Managers: queue a migration in the background; returns the CRM Migration Run that will hold the
	report."""
	require_manager()
	label = source_app(source)
	require_source(label)
	run = start_run(label, bool(dry_run), status="Queued")
	frappe.enqueue(
		"crm_module.services.migration.runs.run_job",
		queue="long",
		timeout=4 * 3600,
		enqueue_after_commit=True,
		run=run.name,
		source=source,
		dry_run=bool(dry_run),
	)
	return {"run": run.name, "source_app": label, "queued": True}


def available_sources() -> dict:
	"""Which migrations this site offers (for the desk buttons)."""
	require_manager()
	return {key: is_available(label) for key, label in mm.SOURCES.items()}
