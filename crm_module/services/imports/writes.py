"""The import engine's writes for one batch: multi-row inserts of the records (and their child rows),
then, set-based, what the controllers and hooks do after a save: owner assignments, access index rows,
timeline entries, last-contact dates, lead scores and predictions. Updates of matched records write
only the changed fields. Nothing here commits; the engine commits once per batch."""

import json
from collections import defaultdict

import frappe
from frappe import _
from frappe.utils import now_datetime
from pypika.terms import Tuple

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk
from crm_module.services.imports import effects
from crm_module.services.imports.specs import Spec
from crm_module.services.insights import prediction, scoring
from crm_module.services.insights.lead_inputs import LEAD_FIELDS

CHILD_STANDARD = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx")


def insert_batch(spec: Spec, records: list[dict], migrating: bool = False) -> list[str]:
	"""Insert `records` (values by fieldname, child tables as lists of dicts) as new documents named by
	the doctype's series, then their after-save effects (`migrating`: no owner assignment and no score
	for new leads). Returns the names, in order."""
	names = bulk.reserve_names(spec.prefix, len(records), spec.digits)
	now, user = now_datetime(), frappe.session.user
	later = derive_before_insert(spec.doctype, names, records, now, user, migrating)
	columns = filled(records, spec.children)
	values = [
		(name, now, now, user, user, 0, 0, *(r.get(c) for c in columns))
		for name, r in zip(names, records, strict=True)
	]
	bulk.insert_rows(spec.doctype, [*bulk.STANDARD, *columns], values)
	del values
	for table, child_doctype in spec.children.items():
		insert_children(spec.doctype, table, child_doctype, names, [r.get(table) or [] for r in records], now)
	if later is not None:
		later()
	after_insert(spec.doctype, names, records, now)
	return names


def filled(records: list[dict], skip=()) -> list[str]:
	"""The columns some record gives a value (None everywhere: the column's NULL default is left to the
	database; a field with a DocType default got it in `check_row`), in first-seen order."""
	columns: dict[str, bool] = {}
	for record in records:
		for key, value in record.items():
			if value is not None and key not in skip:
				columns[key] = True
	return list(columns)


def derive_before_insert(
	doctype: str, names: list[str], records: list[dict], now, user: str, migrating: bool = False
):
	"""Values a save and its follow-ups would write onto the new records right after inserting them,
	computed from the records in memory so they go into the INSERT itself (no UPDATE of 2,000 rows
	afterwards); returns what is to be written once the records are stored (or None)."""
	if doctype == constants.LEAD and not migrating:  # a migration scores its leads once at the end
		return derive_lead_values(names, records, now, user)
	return None


def derive_lead_values(names: list[str], records: list[dict], now, user: str):
	"""A new lead's `_assign` (its owner, when given to someone else than the importer), latest score,
	grade and conversion prediction, as the form's save + the nightly scoring would leave them; returns
	the writer of the owners' ToDos and the CRM Lead Score rows."""
	day = now.date()
	leads = []
	for name, record in zip(names, records, strict=True):
		lead = {field: record.get(field) for field in LEAD_FIELDS}
		lead["name"], lead["email"] = name, record.get("email_id")
		leads.append(lead)
	# a lead of this batch has no interactions or timeline entries yet (its name is new): no stats
	scores = scoring.compute_scores(leads, {}, day)
	predicted = prediction.predictions(leads)
	todos = []
	for name, record, score in zip(names, records, scores, strict=True):
		record.update(predicted[name])
		record.update(latest_score=score["total_score"], latest_grade=score["grade"], scored_on=day)
		owner = record.get("lead_owner")
		if owner and owner != user:
			record["_assign"] = json.dumps([owner])
			todos.append(effects.owner_todo(name, record.get("lead_name"), owner, user, now))

	def write():
		effects.insert_todos(todos)
		score_names = bulk.reserve_names("CRM-LS-", len(scores))  # no score rows yet: nothing to replace
		fields = list(scores[0]) if scores else []
		bulk.insert_rows(
			constants.LEAD_SCORE,
			[*bulk.STANDARD, *fields],
			[
				(name, now, now, user, user, 0, 0, *(score[f] for f in fields))
				for name, score in zip(score_names, scores, strict=True)
			],
		)

	return write


def insert_children(
	parenttype: str, table: str, doctype: str, parents: list[str], rows: list[list[dict]], now
) -> None:
	user = frappe.session.user
	columns = filled([child for children in rows for child in children])
	values = [
		(
			frappe.generate_hash(length=10),
			now,
			now,
			user,
			user,
			0,
			idx,
			parent,
			table,
			parenttype,
			*(child.get(c) for c in columns),
		)
		for parent, children in zip(parents, rows, strict=True)
		for idx, child in enumerate(children, start=1)
	]
	if values:
		bulk.insert_rows(doctype, [*CHILD_STANDARD, "parent", "parentfield", "parenttype", *columns], values)


def index_new(doctype: str, names: list[str], records: list[dict]) -> None:
	"""Access index rows of new records: from memory where the rule needs no parent (the owner, the
	assignee of the ToDo written with it), else read with the parents' rows."""
	assignees = {
		name: json.loads(record["_assign"])
		for name, record in zip(names, records, strict=True)
		if record.get("_assign")
	}
	rows = access_index.rows_for_new(
		doctype, dict(zip(names, records, strict=True)), assignees, frappe.session.user
	)
	if rows is None:
		access_index.refresh(doctype, names, new=True)
	else:
		bulk.insert_rows(constants.RECORD_ACCESS, access_index.ROW_FIELDS, rows, ignore=True)


def after_insert(doctype: str, names: list[str], records: list[dict], now) -> None:
	"""The access index rows of the new records; from the values in memory: for interactions their
	timeline entries and their customers' and contacts' last-contact dates, for opportunities their first
	stage-history row and timeline entry, for notes theirs; customers' last activity follows."""
	index_new(doctype, names, records)
	if doctype == constants.INTERACTION:
		user = frappe.session.user
		effects.insert_timeline(
			[
				effects.timeline_row(name, record, user, now)
				for name, record in zip(names, records, strict=True)
				if record.get("customer") or record.get("lead")
			]
		)
		effects.touch_parents_of(records)
	elif doctype == constants.OPPORTUNITY:
		user = frappe.session.user
		stages, entries = effects.opportunity_entries(names, records, user, now)
		bulk.insert_rows(constants.DEAL_STAGE, effects.DEAL_STAGE_FIELDS, stages)
		effects.insert_timeline(entries)
		effects.touch_customers(entries)
	elif doctype == constants.NOTE:
		entries = effects.note_entries(names, records, frappe.session.user, now)
		effects.insert_timeline(entries)
		effects.touch_customers(entries)


# ------------------------------------------------------------------ updates


def update_batch(spec: Spec, changes: dict[str, dict], previous_owners: dict[str, str | None]) -> None:
	"""Write the changed fields of matched records (`{name: {field: value}}`), grouped by the set of
	fields that changed; child tables that differ are replaced. Then what a save of those changes does:
	the access index (with the records hanging off them), owner assignments of leads, scores."""
	now, user = now_datetime(), frappe.session.user
	groups: dict[tuple, dict] = defaultdict(dict)
	children: dict[str, dict[str, list]] = defaultdict(dict)
	for name, fields in changes.items():
		plain = {k: v for k, v in fields.items() if k not in spec.children}
		for table in spec.children:
			if table in fields:
				children[table][name] = fields[table]
		groups[tuple(sorted(plain))][name] = {**plain, "modified": now, "modified_by": user}
	for updates in groups.values():
		bulk.update_values(spec.doctype, updates)
	for table, by_parent in children.items():
		child_doctype = spec.children[table]
		parents = list(by_parent)
		for chunk in bulk.chunks(parents):
			frappe.db.delete(
				child_doctype,
				{"parenttype": spec.doctype, "parentfield": table, "parent": ("in", list(chunk))},
			)
		insert_children(spec.doctype, table, child_doctype, parents, [by_parent[p] for p in parents], now)
	names = list(changes)
	if spec.doctype == constants.LEAD and previous_owners:
		reassign_leads(previous_owners)
	access_index.refresh(spec.doctype, names, cascade=True)
	if spec.doctype == constants.LEAD:
		scoring.score_leads(names)
		prediction.predict_leads(names)
	elif spec.doctype == constants.INTERACTION:
		effects.touch_parents(names)


def reassign_leads(previous_owners: dict[str, str | None]) -> None:
	"""Leads whose owner changed: the new owner assigned (ToDo + _assign), the previous owner's open
	assignment closed (`services.assignment.assign_new_owner`, set-based)."""
	todo = frappe.qb.DocType("ToDo")
	lead = frappe.qb.DocType(constants.LEAD)
	names = list(previous_owners)
	now, user = now_datetime(), frappe.session.user
	new_todos, assign, closed = [], {}, []
	for chunk in bulk.chunks(names):
		rows = (
			frappe.qb.from_(lead)
			.select(lead.name, lead.lead_name, lead.lead_owner, lead._assign)
			.where(lead.name.isin(list(chunk)))
			.run(as_dict=True)
		)
		for row in rows:
			assignees = frappe.parse_json(row._assign or "[]") or []
			previous = previous_owners[row.name]
			if row.lead_owner and row.lead_owner not in assignees:
				assignees.append(row.lead_owner)
				new_todos.append(
					(
						frappe.generate_hash(length=10),
						now,
						now,
						user,
						user,
						0,
						0,
						"Open",
						"Medium",
						now.date(),
						row.lead_owner,
						_("Lead {0} was assigned to you").format(row.lead_name),
						constants.LEAD,
						row.name,
						user,
					)
				)
			if previous and previous in assignees and previous != row.lead_owner:
				assignees.remove(previous)
				closed.append((row.name, previous))
			assign[row.name] = {"_assign": json.dumps(assignees)}
	for chunk in bulk.chunks(closed):
		(
			frappe.qb.update(todo)
			.set(todo.status, "Cancelled")
			.where((todo.reference_type == constants.LEAD) & (todo.status == "Open"))
			.where(Tuple(todo.reference_name, todo.allocated_to).isin([Tuple(*pair) for pair in chunk]))
		).run()
	fields = [*effects.STANDARD_VALUES, "status", "priority", "date", "allocated_to", "description"]
	bulk.insert_rows("ToDo", [*fields, "reference_type", "reference_name", "assigned_by"], new_todos)
	bulk.update_values(constants.LEAD, assign)
