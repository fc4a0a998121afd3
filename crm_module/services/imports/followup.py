"""After a Data Import of CRM records: the side effects the controllers skip per row, done set-based once.

Frappe's importer inserts one record per row and commits after each (a failed row is rolled back on its
own and reported in its Data Import Log). While a record comes from a Data Import
(`import_context.data_import_of`), the controllers and hooks keep validation, the duplicate guard and
the access index row, and skip what would cost 100,000 single-row writes:

* CRM Sales Lead: the assignment (ToDo) of a lead given to someone else than the importer;
* CRM Interaction: the timeline entry, the customer's last interaction / activity and the contact's
  last contacted date;
* every CRM doctype: the dashboard cache invalidation (one per row).

`on_data_import_change` (doc_event on Data Import: its status is written with `db_set`, which runs
`on_change`) enqueues `run` on the long queue once the import has finished. `run` reads the imported
records from the Data Import Log and does the deferred work for all of them in chunked statements,
plus what the nightly jobs would otherwise do late: new leads are scored and predicted right away.
Running it again is harmless (entries and assignments that exist are not written twice).
"""

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.access.rules import RULES
from crm_module.services import bulk
from crm_module.services.imports.context import DATA_IMPORT
from crm_module.services.insights import prediction, scoring
from crm_module.services.reporting import cache as metrics_cache

LOG = "Data Import Log"
FINISHED = ("Success", "Partial Success", "Error", "Timed Out")
STANDARD_VALUES = ("name", "creation", "modified", "owner", "modified_by", "docstatus", "idx")


def job_id(data_import: str) -> str:
	return f"crm_import_followup::{data_import}"


# ------------------------------------------------------------------ trigger


def on_data_import_change(doc, method: str | None = None) -> None:
	"""`on_change` of Data Import: once an import of CRM records has finished, queue its follow-up."""
	if doc.reference_doctype in RULES and finished(doc):
		enqueue_followup(doc.name)


def finished(doc) -> bool:
	"""The importer also writes "Partial Success" after the first row it imports: an import with that
	status has finished only when every row has its log entry."""
	if doc.status not in FINISHED:
		return False
	if doc.status in ("Error", "Timed Out"):
		return True
	return frappe.db.count(LOG, {"data_import": doc.name}) >= (doc.payload_count or 0)


def enqueue_followup(data_import: str):
	"""Queue `run` after the current transaction commits (tests: run it now)."""
	return frappe.enqueue(
		"crm_module.services.imports.followup.run",
		queue="long",
		timeout=7200,
		job_id=job_id(data_import),
		deduplicate=not frappe.flags.in_test,
		enqueue_after_commit=True,
		now=bool(frappe.flags.in_test),
		data_import=data_import,
	)


# ------------------------------------------------------------------ the job


def imported_names(data_import: str) -> list[str]:
	"""The records a Data Import wrote (successful rows of its log), in row order."""
	log = frappe.qb.DocType(LOG)
	rows = (
		frappe.qb.from_(log)
		.select(log.docname)
		.where((log.data_import == data_import) & (log.success == 1))
		.orderby(log.log_index)
	).run(pluck=True)
	return list(dict.fromkeys(name for name in rows if name))


def run(data_import: str) -> dict:
	"""Deferred side effects of the records a finished Data Import wrote (set-based)."""
	doctype = frappe.db.get_value(DATA_IMPORT, data_import, "reference_doctype")
	names = imported_names(data_import)
	result = {"data_import": data_import, "doctype": doctype, "records": len(names)}
	if names and doctype == constants.LEAD:
		result.update(follow_up_leads(names))
	elif names and doctype == constants.INTERACTION:
		result.update(follow_up_interactions(names))
	metrics_cache.invalidate()  # once for the whole import instead of once per row
	progress(100, _("Import follow-up done: {0} records").format(len(names)))
	return result


def progress(percent: float, description: str) -> None:
	frappe.publish_progress(percent, title=_("Data Import follow-up"), description=description)


# ------------------------------------------------------------------ leads


def follow_up_leads(names: list[str]) -> dict:
	progress(5, _("Assigning {0} leads to their owners").format(len(names)))
	assigned = assign_owners(names)
	progress(30, _("Scoring {0} leads").format(len(names)))
	scored = scoring.score_leads(names)["scored"]
	progress(80, _("Predicting conversion of {0} leads").format(len(names)))
	predicted = prediction.predict_leads(names)
	return {"assigned": assigned, "scored": scored, "predicted": predicted}


def assign_owners(names: list[str]) -> int:
	"""What `services.assignment.assign_new_owner` does for a new lead given to someone else than its
	creator, for many leads: an open ToDo for the lead owner and the lead's `_assign`. Leads whose owner
	is already among their assignees are left alone."""
	lead = frappe.qb.DocType(constants.LEAD)
	now = now_datetime()
	todos, assign = [], {}
	for chunk in bulk.chunks(names):
		rows = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.lead_name, lead.lead_owner, lead.owner, lead._assign)
			.where(lead.name.isin(list(chunk)) & lead.lead_owner.isnotnull() & (lead.lead_owner != ""))
			.where(lead.lead_owner != lead.owner)
		).run(as_dict=True)
		for row in rows:
			assignees = frappe.parse_json(row._assign or "[]") or []
			if row.lead_owner in assignees:
				continue
			todos.append(owner_todo(row.name, row.lead_name, row.lead_owner, row.owner, now))
			assign[row.name] = {"_assign": json.dumps([*assignees, row.lead_owner])}
	insert_todos(todos)
	bulk.update_values(constants.LEAD, assign)
	access_index.refresh(constants.LEAD, list(assign))  # assignments are a way to reach a lead
	return len(todos)


TODO_FIELDS = (
	*STANDARD_VALUES,
	"status",
	"priority",
	"date",
	"allocated_to",
	"description",
	"reference_type",
	"reference_name",
	"assigned_by",
)


def owner_todo(lead: str, lead_name: str | None, owner: str, creator: str, now) -> tuple:
	"""The ToDo row `assign_to.add` writes when `creator` saves a lead owned by `owner` (`TODO_FIELDS`)."""
	return (
		frappe.generate_hash(length=10),
		now,
		now,
		creator,
		frappe.session.user,
		0,
		0,
		"Open",
		"Medium",
		now.date(),
		owner,
		_("Lead {0} was assigned to you").format(lead_name),
		constants.LEAD,
		lead,
		creator,
	)


def insert_todos(rows: list[tuple]) -> None:
	bulk.insert_rows("ToDo", TODO_FIELDS, rows)


# ------------------------------------------------------------------ interactions


def follow_up_interactions(names: list[str]) -> dict:
	progress(5, _("Writing timeline entries of {0} interactions").format(len(names)))
	entries = write_timeline_entries(names)
	progress(60, _("Updating last contact dates"))
	customers, contacts = touch_parents(names)
	return {"timeline_entries": entries, "customers_touched": customers, "contacts_touched": contacts}


TIMELINE_FIELDS = (
	*STANDARD_VALUES,
	"activity_date",
	"performed_by",
	"customer",
	"lead",
	"activity_type",
	"title",
	"description",
	"metadata",
	"is_important",
	"reference_doctype",
	"reference_name",
)


def timeline_row(name: str, interaction, owner: str, now) -> tuple:
	"""The "Interaction" timeline entry the controller's `after_insert` writes for an interaction
	(`services.timeline.record_activity_timeline`), as values of `TIMELINE_FIELDS`."""
	metadata = {
		"interaction_type": interaction.get("interaction_type"),
		"outcome": interaction.get("outcome"),
		"sentiment": interaction.get("sentiment"),
		"contact": interaction.get("contact"),
		"opportunity": interaction.get("opportunity"),
	}
	title = _("{0}: {1}").format(_(interaction.get("interaction_type")), interaction.get("subject"))
	return (
		frappe.generate_hash(length=10),
		now,
		now,
		owner,
		frappe.session.user,
		0,
		0,
		interaction.get("interaction_date") or now,
		owner,
		interaction.get("customer"),
		interaction.get("lead"),
		"Interaction",
		title[:140],
		interaction.get("next_step"),
		json.dumps(metadata, default=str),
		0,
		constants.INTERACTION,
		name,
	)


def insert_timeline(rows: list[tuple]) -> int:
	"""Insert timeline rows (`timeline_row`) and their access index rows (written without hooks)."""
	bulk.insert_rows(constants.TIMELINE, TIMELINE_FIELDS, rows)
	access_index.refresh(constants.TIMELINE, [row[0] for row in rows], new=True)
	return len(rows)


def write_timeline_entries(names: list[str]) -> int:
	"""One "Interaction" timeline entry per interaction that has none yet (`timeline_row`), then their
	index rows."""
	inter = frappe.qb.DocType(constants.INTERACTION)
	timeline = frappe.qb.DocType(constants.TIMELINE)
	now = now_datetime()
	values = []
	for chunk in bulk.chunks(names):
		chunk = list(chunk)
		existing = set(
			(
				frappe.qb.from_(timeline)
				.select(timeline.reference_name)
				.where(
					(timeline.reference_doctype == constants.INTERACTION)
					& timeline.reference_name.isin(chunk)
				)
			).run(pluck=True)
		)
		rows = (
			frappe.qb.from_(inter)
			.select(
				inter.name,
				inter.owner,
				inter.customer,
				inter.lead,
				inter.contact,
				inter.opportunity,
				inter.interaction_type,
				inter.subject,
				inter.next_step,
				inter.outcome,
				inter.sentiment,
				inter.interaction_date,
			)
			.where(inter.name.isin(chunk) & (inter.customer.isnotnull() | inter.lead.isnotnull()))
		).run(as_dict=True)
		values += [timeline_row(row.name, row, row.owner, now) for row in rows if row.name not in existing]
	return insert_timeline(values)


LAST_CONTACT = (
	(constants.CUSTOMER, "customer", ("last_interaction_on", "last_activity_on")),
	(constants.CONTACT, "contact", ("last_contacted_on",)),
)


def touch_parents(names: list[str]) -> tuple[int, int]:
	"""Customers' last interaction and last activity, contacts' last contacted date: moved forward to
	the latest of the stored interactions `names`, never back (what the controller's `on_update` does
	per row). Returns how many customers and contacts the interactions point at."""
	inter = frappe.qb.DocType(constants.INTERACTION)
	records = []
	for chunk in bulk.chunks(names, 999):
		records += (
			frappe.qb.from_(inter)
			.select(inter.customer, inter.contact, inter.interaction_date)
			.where(inter.name.isin(list(chunk)))
		).run(as_dict=True)
	return touch_parents_of(records)


def touch_parents_of(interactions: list[dict]) -> tuple[int, int]:
	"""`touch_parents` for interactions given by their values (customer, contact, interaction_date):
	one UPDATE per 999 customers or contacts. Returns how many of each they point at."""
	counts = []
	for table, link, columns in LAST_CONTACT:
		latest: dict = {}
		for row in interactions:
			parent, when = row.get(link), row.get("interaction_date")
			if parent and when and (parent not in latest or when > latest[parent]):
				latest[parent] = when
		assignments = ", ".join(
			f"t.`{column}` = greatest(ifnull(t.`{column}`, i.`latest`), i.`latest`)" for column in columns
		)
		literal = bulk.sql_literals()
		for chunk in bulk.chunks(sorted(latest), 999):
			pairs = " union all ".join(
				f"select {literal(parent)} as `parent`, cast({literal(latest[parent])} as datetime(6)) as `latest`"
				for parent in chunk
			)
			frappe.db.sql(
				f"update `tab{table}` t join ({pairs}) i on i.`parent` = t.`name` set {assignments}"
			)
		counts.append(len(latest))
	return counts[0], counts[1]
