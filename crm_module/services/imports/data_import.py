"""Frappe's Data Import for CRM doctypes, through the set-based import engine (`engine.py`).

What the user sees stays Frappe's: the template (download, column mapping, preview and its warnings),
Start Import, the progress bar, the Data Import Log (row number; the record, or the field and reason of a
refused row), "Export Errored Rows", the status Success / Partial Success / Error / Timed Out, and a
retry that skips the rows already imported. What changes for the doctypes the engine takes
(`ENGINE_DOCTYPES`): the rows are checked set-wise and written in batches of 2,000 (one commit each)
instead of one insert and one commit per row, with the same rules as a form save.

The hook: `override_doctype_class["Data Import"] = CRMDataImport`, a subclass whose `start_import`
queues `run` (the engine) for those doctypes and leaves every other doctype to Frappe. Chosen because
the import is started by the document's own `start_import` (the form's button calls
`form_start_import`, which loads the document and calls that method), so the subclass catches every
door Frappe has into it, while:

* a doc_event on Data Import cannot take the job over (no save happens when an import starts; the job
  Frappe queues, `data_import.start_import`, would still insert row by row);
* overriding the whitelisted `form_start_import` would miss code that calls `doc.start_import()`;
* patching Frappe's `Importer` would change the import of every doctype of every app.

The subclass also counts the records of a CRM file without building Frappe's per-row payloads
(`set_payload_count`: Frappe parses every row into a document just to count them, minutes at 100,000
rows), and refuses a Data Import of another doctype by a user who is not a System Manager.

Who: System Managers as before, and CRM Managers for the engine's doctypes only (`ensure_permissions`
adds their Custom DocPerm on Data Import and read on Data Import Log on install / migrate;
`has_permission` and `query_conditions` keep other doctypes' imports and logs out of their reach). The
engine itself checks the importer again (`engine.require_importer`).
"""

import json
import time

import frappe
from frappe import _
from frappe.core.doctype.data_import.data_import import DataImport
from frappe.permissions import can_import
from frappe.utils import now_datetime
from frappe.utils.background_jobs import is_job_enqueued

from crm_module import constants
from crm_module.domain.import_rows import Refusal
from crm_module.services import bulk
from crm_module.services.imports import engine, files
from crm_module.services.imports.specs import SPECS

DATA_IMPORT = "Data Import"
LOG = "Data Import Log"
ENGINE_DOCTYPES = tuple(SPECS)
UPDATE = "Update Existing Records"
BATCH = engine.BATCH  # rows per batch (one commit each)
LOG_FIELDS = (
	*bulk.STANDARD,
	"log_index",
	"success",
	"data_import",
	"row_indexes",
	"docname",
	"messages",
	"exception",
)


def is_system_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or "System Manager" in frappe.get_roles(user)


class CRMDataImport(DataImport):
	"""Data Import whose CRM doctypes go through the import engine (see the module docstring)."""

	def validate(self):
		if (
			self.reference_doctype
			and self.reference_doctype not in ENGINE_DOCTYPES
			and not is_system_manager()
		):
			frappe.throw(
				_("A CRM Manager can import {0}, not {1}").format(
					", ".join(_(d) for d in ENGINE_DOCTYPES), _(self.reference_doctype)
				),
				frappe.PermissionError,
			)
		super().validate()

	def set_payload_count(self):
		if self.reference_doctype not in ENGINE_DOCTYPES:
			return super().set_payload_count()
		if self.import_file:
			self.payload_count = sum(1 for _row in file_rows(self))

	def start_import(self):
		if self.reference_doctype not in ENGINE_DOCTYPES:
			return super().start_import()
		from frappe.utils.scheduler import is_scheduler_inactive

		# `form_start_import` checks nothing: whoever starts the import must be able to run it
		self.check_permission("write")
		engine.require_importer()
		can_import(self.reference_doctype, raise_exception=True)

		run_now = frappe.flags.in_test or frappe.conf.developer_mode
		if is_scheduler_inactive() and not run_now:
			frappe.throw(_("Scheduler is inactive. Cannot import data."), title=_("Scheduler Inactive"))
		job_id = f"data_import::{self.name}"
		if is_job_enqueued(job_id):
			return False
		frappe.enqueue(
			"crm_module.services.imports.data_import.run",
			queue="default",
			timeout=10000,
			event="data_import",
			job_id=job_id,
			data_import=self.name,
			now=run_now,
		)
		return True


# ------------------------------------------------------------------ the job


def run(data_import: str) -> None:
	"""The background job of a Data Import of a CRM doctype (what Frappe's `start_import` is for the
	others): the engine imports the file, the log says what became of every row."""
	from rq.timeouts import JobTimeoutException

	doc = frappe.get_doc(DATA_IMPORT, data_import)
	try:
		Door(doc).run()
	except JobTimeoutException:
		frappe.db.rollback()
		doc.db_set("status", "Timed Out")
	except Exception:
		frappe.db.rollback()
		doc.db_set("status", "Error")
		doc.log_error("Data import failed")
	frappe.db.commit()
	frappe.publish_realtime("data_import_refresh", {"data_import": doc.name})


def file_rows(doc) -> list[dict]:
	"""The engine's rows of the Data Import's file, read by Frappe's own `ImportFile` (the template's
	header matching, the user's column mapping, the date formats it guessed per column)."""
	import_file = doc.get_importer().import_file
	columns, converters = [], {}
	for col in import_file.columns:
		df = col.df
		if col.skip_import or not df:
			columns.append((None, ""))
			continue
		table = None if df.parent == doc.reference_doctype else df.child_table_df.fieldname
		columns.append((table, df.fieldname))
		if df.fieldtype in ("Date", "Datetime") and col.date_format:
			converters[col.index] = (col.date_format, df.fieldtype)
	lines = ((row.row_number, converted(row.data, converters)) for row in import_file.data)
	return list(files.records(columns, lines))


def converted(cells: list, converters: dict) -> list:
	"""Date cells in the column's format (as Frappe's importer reads them); a cell that does not match
	is left as it is, for the engine to refuse with its reason."""
	if not converters:
		return cells
	cells = list(cells)
	for index, (date_format, fieldtype) in converters.items():
		value = cells[index] if index < len(cells) else None
		if isinstance(value, str) and value.strip():
			try:
				parsed = time.strptime(value.strip(), date_format)
			except ValueError:
				continue
			text = time.strftime("%Y-%m-%d %H:%M:%S", parsed)
			cells[index] = text[:10] if fieldtype == "Date" else text
	return cells


def message(note: Refusal) -> str:
	"""A refusal or warning as the log shows it: the field, then the reason."""
	reason = note.reason.removeprefix(f"{note.field}: ")
	return f"{note.field}: {reason}" if note.field else reason


class Door:
	"""One run of a CRM Data Import: rows in, log rows and progress out."""

	def __init__(self, doc):
		self.doc = doc
		self.doctype = doc.reference_doctype
		self.done = 0
		self.total = 0
		self.started = time.monotonic()
		self.index = 0

	def run(self) -> None:
		doc = self.doc
		engine.require_importer()
		can_import(self.doctype, raise_exception=True)
		doc.db_set("template_warnings", "")
		imported = self.previous_runs()
		rows = [row for row in file_rows(doc) if row["_row"] not in imported]
		self.total = len(rows)
		update = doc.import_type == UPDATE
		if update:
			nameless = [row for row in rows if not row.get("name")]
			rows = [row for row in rows if row.get("name")]
			self.log(
				[
					(row["_row"], "refused", None, [Refusal(row["_row"], "name", _("ID (name) is required"))])
					for row in nameless
				]
			)
		try:
			engine.import_rows(
				self.doctype,
				rows,
				key="name" if update else None,
				update_existing=update,
				batch_size=BATCH,
				listener=self.log,
			)
		except engine.ImportInterrupted as stopped:
			frappe.db.rollback()
			doc.log_error("Data import stopped")
			self.log(
				[
					(row["_row"], "refused", None, [Refusal(row["_row"], "", str(stopped))])
					for row in rows
					if row["_row"] not in self.logged_rows()
				]
			)
		doc.db_set("status", self.status())
		frappe.db.commit()

	def previous_runs(self) -> set[int]:
		"""Rows an earlier run of this import stored (they are skipped, as Frappe's importer skips them);
		the failures of that run are dropped, to be logged anew."""
		logs = frappe.get_all(
			LOG,
			filters={"data_import": self.doc.name},
			fields=["row_indexes", "success", "log_index"],
			order_by="log_index",
		)
		self.index = max((log.log_index or 0 for log in logs), default=-1) + 1
		frappe.db.delete(LOG, {"data_import": self.doc.name, "success": 0})
		return {int(i) for log in logs if log.success for i in json.loads(log.row_indexes or "[]")}

	def logged_rows(self) -> set[int]:
		rows = frappe.get_all(LOG, filters={"data_import": self.doc.name}, pluck="row_indexes")
		return {int(i) for indexes in rows for i in json.loads(indexes or "[]")}

	def log(self, outcomes) -> None:
		"""Data Import Log rows for `outcomes` (the engine's listener; inside the batch's transaction),
		then the progress."""
		outcomes = list(outcomes)
		if not outcomes:
			return
		now, user = now_datetime(), frappe.session.user
		values = []
		for row, action, name, notes in outcomes:
			messages = [{"title": _("Row {0}").format(row), "message": message(note)} for note in notes]
			if action == "unchanged":
				messages.append({"message": _("{0} is stored already and left as it is").format(name)})
			exception = "\n".join(message(note) for note in notes) if action == "refused" else None
			values.append(
				(
					frappe.generate_hash(length=10),
					now,
					now,
					user,
					user,
					0,
					0,
					self.index,
					0 if action == "refused" else 1,
					self.doc.name,
					json.dumps([row]),
					name,
					json.dumps(messages),
					exception,
				)
			)
			self.index += 1
		bulk.insert_rows(LOG, LOG_FIELDS, values)
		self.done += len(outcomes)
		self.progress()

	def progress(self) -> None:
		total = max(self.total, 1)
		done = min(self.done, total)
		elapsed = time.monotonic() - self.started
		eta = elapsed / done * (total - done) if done else 0
		frappe.publish_realtime(
			"data_import_progress",
			{
				"current": done,
				"total": total,
				"data_import": self.doc.name,
				"success": True,
				"eta": eta,
			},
			user=frappe.session.user,
		)
		frappe.publish_progress(
			done * 100 / total,
			title=_("Importing {0}").format(_(self.doctype)),
			doctype=DATA_IMPORT,
			docname=self.doc.name,
			description=_("{0} of {1} rows").format(done, total),
		)

	def status(self) -> str:
		"""Frappe's rule: Error when every row failed, Partial Success when some did, Success when none."""
		counts = dict(
			frappe.get_all(
				LOG,
				filters={"data_import": self.doc.name},
				fields=["success", "count(*) as count"],
				group_by="success",
				as_list=True,
			)
		)
		failed, succeeded = counts.get(0, 0), counts.get(1, 0)
		if failed and not succeeded:
			return "Error"
		if failed:
			return "Partial Success"
		return "Success" if succeeded else "Pending"


# ------------------------------------------------------------------ who may import


def ensure_permissions() -> None:
	"""CRM Managers may create and run Data Imports (Custom DocPerm; the first one copies the standard
	permissions, as the Role Permission Manager does) and read their logs. Idempotent."""
	from frappe.permissions import add_permission, update_permission_property

	for doctype, rights in (
		(DATA_IMPORT, ("read", "write", "create", "delete")),
		(LOG, ("read",)),
	):
		exists = frappe.db.exists(
			"Custom DocPerm",
			{"parent": doctype, "role": constants.ROLE_MANAGER, "permlevel": 0, "if_owner": 0},
		)
		if not exists:
			add_permission(doctype, constants.ROLE_MANAGER, 0)
		for right in rights:
			update_permission_property(doctype, constants.ROLE_MANAGER, 0, right, 1, validate=False)


def has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool | None:
	"""`has_permission` of Data Import (and, through its import, Data Import Log): a user who is not a
	System Manager reaches the imports of the engine's doctypes only."""
	if is_system_manager(user):
		return None
	data_import = doc if doc.doctype == DATA_IMPORT else None
	if data_import is None:
		data_import = frappe.db.get_value(DATA_IMPORT, doc.data_import, "reference_doctype", as_dict=True)
	reference = data_import.get("reference_doctype") if data_import else None
	return not reference or reference in ENGINE_DOCTYPES


def query_conditions(user: str | None = None) -> str:
	"""List conditions of Data Import for users who are not System Managers."""
	if is_system_manager(user):
		return ""
	allowed = ", ".join(frappe.db.escape(d) for d in ENGINE_DOCTYPES)
	return f"`tab{DATA_IMPORT}`.`reference_doctype` in ({allowed})"


def log_query_conditions(user: str | None = None) -> str:
	"""List conditions of Data Import Log for users who are not System Managers."""
	if is_system_manager(user):
		return ""
	allowed = ", ".join(frappe.db.escape(d) for d in ENGINE_DOCTYPES)
	return (
		f"`tab{LOG}`.`data_import` in (select `name` from `tab{DATA_IMPORT}`"
		f" where `reference_doctype` in ({allowed}))"
	)
