"""Live two-way sync of CRM customers with ERPNext Customers (issue 20), and the mechanics shared with the
contact mirror (`contact_mirror.py`): the hooks, the queue, the job runner and the sync issues.

- Hooks (`doc_events`): on_update / on_trash of CRM Customer Profile, CRM Contact (and its email and
  phone rows saved on their own), ERPNext Customer and Frappe Contact queue a sync job after commit, one
  per record (`queue`); the user's save pays only that. Nothing is queued when the save is the sync's own
  write (`doc.flags.crm_sync` / `frappe.flags.crm_sync`): a synced change is never bounced back. Nor
  during a migration run (its records are paired by the backfill, `erp_backfill.py`), nor in other
  modules' tests (`frappe.flags.in_test` without `frappe.flags.crm_sync_test`).
- The job (`run`) reads both records of the pair, merges them field by field
  (`crm_module.domain.erp_sync.merge`: one-sided changes win, conflicts go to the later `modified`),
  writes only the mapped fields that differ, as Administrator with `ignore_permissions` (the system
  sync itself), and stores each side's values after the sync as the next merge base. A missing side is
  created; a deleted side deletes its partner (a CRM customer that other records still link to is
  made Inactive and unlinked instead).
- A failing job never touches the user's save (it runs after commit, in a savepoint): the error goes
  to Error Log naming both records and to a CRM Sync Issue (managers' list), which the hourly
  `retry_issues` tries again; a later successful sync of the record resolves it.

Customers sync only when ERPNext is installed; contacts always (without ERPNext, CRM contacts are
mirrored to Frappe Contacts so the email composer and Communication linking find them).
"""

import frappe
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.services.integrations import contact_mirror
from crm_module.services.integrations.customer_sync import (
	ERP_CUSTOMER,
	FRAPPE_CONTACT,
	PARTNER,
	delete_partner,
	erpnext_installed,
	sync_customer,
)
from crm_module.services.transactions import fatal_db_error, savepoint

JOB = "crm_module.services.integrations.erp_sync.run"
MAX_ATTEMPTS = 5


# ------------------------------------------------------------------ switches


def enabled() -> bool:
	return bool(frappe.db.get_single_value(constants.SETTINGS, "sync_with_erpnext", cache=False))


def ensure_default() -> None:
	"""The switch is on unless a manager turned it off: set it on a site that never saved it (install,
	migrate of an existing site)."""
	stored = frappe.db.sql(
		"select 1 from `tabSingles` where doctype=%s and field='sync_with_erpnext'", constants.SETTINGS
	)
	if not stored:
		frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", 1)


def on_settings_update(settings) -> None:
	"""Switched on: pair the existing records in the background (`erp_backfill.backfill`)."""
	before = settings.get_doc_before_save()
	if settings.sync_with_erpnext and (before is None or not before.sync_with_erpnext):
		frappe.enqueue(
			"crm_module.services.integrations.erp_backfill.backfill_job",
			queue="long",
			timeout=3600,
			job_id="crm_sync::backfill",
			deduplicate=True,
			enqueue_after_commit=True,
		)


def skip(doc) -> bool:
	"""No sync for the sync's own writes, migration runs, installs, other modules' tests, or when off."""
	flags = frappe.flags
	if doc.flags.crm_sync or flags.crm_sync or doc.flags.crm_migrating or flags.crm_migrating:
		return True
	if flags.in_install or flags.in_migrate or flags.in_patch:
		return True
	if flags.in_test and not flags.crm_sync_test:
		return True
	if doc.doctype in (constants.CUSTOMER, ERP_CUSTOMER) and not erpnext_installed():
		return True
	return not enabled()


# ------------------------------------------------------------------ hooks


def on_change(doc, method: str | None = None) -> None:
	"""on_update of CRM Customer Profile, CRM Contact, Customer and Contact."""
	if not skip(doc):
		queue(doc.doctype, doc.name)


def on_child_change(row, method: str | None = None) -> None:
	"""A CRM Email Address / CRM Phone Number row saved or deleted on its own: its contact is synced."""
	if row.parenttype == constants.CONTACT and row.parent and not row.flags.crm_sync:
		parent = frappe._dict(doctype=constants.CONTACT, name=row.parent, flags=frappe._dict())
		if not skip(parent):
			queue(constants.CONTACT, row.parent)


def on_trash(doc, method: str | None = None) -> None:
	"""on_trash of either side: its partner is deleted (the job learns it now, the record goes away)."""
	if skip(doc):
		return
	partner = partner_name(doc)
	if partner:
		if doc.doctype == FRAPPE_CONTACT:
			# the CRM contact's link must not stop the Contact's deletion; the CRM contact follows it
			frappe.db.set_value(constants.CONTACT, partner, "frappe_contact", None, update_modified=False)
		queue(doc.doctype, doc.name, deleted=partner)


def partner_name(doc) -> str | None:
	if doc.doctype == constants.CUSTOMER:
		return doc.get("erpnext_customer") or None
	if doc.doctype == constants.CONTACT:
		return doc.get("frappe_contact") or None
	field = "erpnext_customer" if doc.doctype == ERP_CUSTOMER else "frappe_contact"
	return frappe.db.get_value(PARTNER[doc.doctype], {field: doc.name}, "name")


def queue(doctype: str, name: str, deleted: str | None = None) -> None:
	"""Sync the record after commit, once: a request saving it twice queues one job, a job already
	waiting in the queue takes the change too (one more may wait behind a running one)."""
	if frappe.flags.in_test:  # test_erp_sync runs the job at once, as enqueue(now=True) would
		run(doctype, name, deleted)
		return
	pending = frappe.flags.crm_sync_pending
	if pending is None:
		pending = frappe.flags.crm_sync_pending = set()
	key = (doctype, name, deleted)
	if key in pending:
		return
	pending.add(key)

	def enqueue():
		pending.discard(key)
		enqueue_once(doctype, name, deleted)

	frappe.db.after_commit.add(enqueue)
	frappe.db.after_rollback.add(lambda: pending.discard(key))


def enqueue_once(doctype: str, name: str, deleted: str | None = None) -> None:
	from frappe.utils.background_jobs import create_job_id, get_job

	base = f"crm_sync::{doctype}::{name}"
	for job_id in (base, f"{base}::again"):
		job = get_job(create_job_id(job_id))
		status = job.get_status() if job else None
		if status == "queued":
			return
		if status == "started":  # it may have read the record already: one more waits behind it
			continue
		frappe.enqueue(
			JOB,
			queue="short",
			job_id=job_id,
			deduplicate=True,
			doctype=doctype,
			name=name,
			deleted=deleted,
			as_job=True,
		)
		return


# ------------------------------------------------------------------ the job


def run(doctype: str, name: str, deleted: str | None = None, as_job: bool = False) -> None:
	"""Sync one record with its partner (or delete the partner of a deleted record); a failure becomes a
	CRM Sync Issue and an Error Log, never an exception for the caller. In a background job (`as_job`)
	even a deadlock or lock wait timeout is listed (after a rollback) rather than lost."""
	user, previous = frappe.session.user, frappe.flags.crm_sync
	frappe.flags.crm_sync = True
	frappe.set_user("Administrator")
	try:
		partner, done = deleted, False
		try:
			with savepoint("crm_erp_sync"):
				if deleted:
					delete_partner(PARTNER[doctype], deleted)
				elif doctype in (constants.CUSTOMER, ERP_CUSTOMER):
					partner = sync_customer(doctype, name)
				else:
					partner = contact_mirror.sync_contact(doctype, name)
				done = True
		except Exception as error:
			# ERPNext commits inside some saves (a Contact with a phone number: telephony), which ends the
			# savepoint: its release then fails although the sync is written
			if not (done and "SAVEPOINT" in str(error) and not fatal_db_error(error)):
				failed(doctype, name, partner, error, as_job)
				return
		resolve_issues(doctype, name)
	finally:
		frappe.flags.crm_sync = previous
		frappe.set_user(user)


def failed(doctype: str, name: str, partner: str | None, error: Exception, as_job: bool) -> None:
	if fatal_db_error(error):
		if not as_job:
			raise error
		frappe.db.rollback()
		record_issue(doctype, name, PARTNER[doctype], partner, error)
		frappe.db.commit()  # nosemgrep: a background job listing its own failure after a rollback
		return
	record_issue(doctype, name, PARTNER[doctype], partner, error)


# ------------------------------------------------------------------ issues


def record_issue(doctype: str, name: str, other_doctype: str, other: str | None, error: Exception) -> None:
	"""Error Log naming both records, and the open CRM Sync Issue of the record (one per record)."""
	title = f"CRM sync: {doctype} {name} <-> {other_doctype} {other or '(not linked yet)'}"
	log = frappe.log_error(title=title[:140], reference_doctype=doctype, reference_name=name)
	message = " ".join(str(error).split())[:1000] or error.__class__.__name__
	existing = frappe.db.get_value(
		constants.SYNC_ISSUE,
		{"record_doctype": doctype, "record_name": name, "status": "Open"},
		["name", "attempts"],
		as_dict=True,
	)
	values = {
		"other_doctype": other_doctype,
		"other_name": other,
		"error": message,
		"error_log": log.name if log else None,
		"last_attempt_on": now_datetime(),
	}
	if existing:
		values["attempts"] = (existing.attempts or 0) + 1
		frappe.db.set_value(constants.SYNC_ISSUE, existing.name, values)
		return
	frappe.get_doc(
		{
			"doctype": constants.SYNC_ISSUE,
			"record_doctype": doctype,
			"record_name": name,
			"status": "Open",
			"attempts": 1,
			**values,
		}
	).insert(ignore_permissions=True)


def resolve_issues(doctype: str, name: str) -> None:
	frappe.db.set_value(
		constants.SYNC_ISSUE,
		{"record_doctype": doctype, "record_name": name, "status": "Open"},
		"status",
		"Resolved",
	)


def retry_issues() -> None:
	"""Hourly: sync again every record with an open issue (up to MAX_ATTEMPTS tries each)."""
	for issue in frappe.get_all(
		constants.SYNC_ISSUE,
		filters={"status": "Open", "attempts": ("<", MAX_ATTEMPTS)},
		fields=["record_doctype", "record_name", "other_name"],
		limit_page_length=500,
	):
		deleted = None if frappe.db.exists(issue.record_doctype, issue.record_name) else issue.other_name
		if deleted is None and not frappe.db.exists(issue.record_doctype, issue.record_name):
			continue
		run(issue.record_doctype, issue.record_name, deleted)
		frappe.db.commit()  # nosemgrep: a scheduled job; each retry stands on its own
