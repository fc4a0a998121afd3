"""After-save effects of imported records, written set-based (what the controllers and hooks do per
save): the owner's assignment (ToDo) of a lead given to someone else than the importer, the "Interaction"
timeline entry of an interaction with its access index rows, and the customers' and contacts'
last-contact dates moved forward. `writes.py` builds these rows from the records in memory."""

import json

import frappe
from frappe import _

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk

STANDARD_VALUES = ("name", "creation", "modified", "owner", "modified_by", "docstatus", "idx")


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


def timeline_entry(
	reference: tuple[str, str],
	customer: str | None,
	lead: str | None,
	activity_type: str,
	title: str,
	description: str | None,
	metadata: dict,
	is_important: bool,
	activity_date,
	owner: str,
	now,
) -> tuple:
	"""One timeline row as `services.timeline.record_activity_timeline` writes it, as values of
	`TIMELINE_FIELDS` (`reference`: (doctype, name))."""
	return (
		frappe.generate_hash(length=10),
		now,
		now,
		owner,
		frappe.session.user,
		0,
		0,
		activity_date or now,
		owner,
		customer,
		lead,
		activity_type,
		(title or activity_type)[:140],
		description,
		json.dumps(metadata, default=str),
		1 if is_important else 0,
		*reference,
	)


def timeline_row(name: str, interaction, owner: str, now) -> tuple:
	"""The "Interaction" timeline entry the controller's `after_insert` writes for an interaction."""
	metadata = {
		"interaction_type": interaction.get("interaction_type"),
		"outcome": interaction.get("outcome"),
		"sentiment": interaction.get("sentiment"),
		"contact": interaction.get("contact"),
		"opportunity": interaction.get("opportunity"),
	}
	title = _("{0}: {1}").format(_(interaction.get("interaction_type")), interaction.get("subject"))
	return timeline_entry(
		(constants.INTERACTION, name),
		interaction.get("customer"),
		interaction.get("lead"),
		"Interaction",
		title,
		interaction.get("next_step"),
		metadata,
		False,
		interaction.get("interaction_date"),
		owner,
		now,
	)


def opportunity_entries(names: list[str], records: list[dict], user: str, now) -> tuple[list, list]:
	"""The first placement of new opportunities as `CRMOpportunity.record_stage_move` writes it: a CRM
	Deal Stage row (values of `DEAL_STAGE_FIELDS`) and a timeline entry each."""
	stages, entries = [], []
	for name, record in zip(names, records, strict=True):
		status = record["status"]
		notes = (record.get("win_loss_reason") or "").strip() or None if status == "Lost" else None
		stages.append(
			(
				frappe.generate_hash(length=10),
				now,
				now,
				user,
				user,
				0,
				0,
				name,
				None,
				record["stage"],
				0,
				record["stage_changed_on"],
				user,
				0,
				notes,
			)
		)
		title = record.get("opportunity_name")
		if status == "Won":
			activity_type, title = "Opportunity Won", _("Opportunity won: {0}").format(title)
		elif status == "Lost":
			activity_type, title = "Opportunity Lost", _("Opportunity lost: {0}").format(title)
		else:
			activity_type, title = "Opportunity Created", _("Opportunity created: {0}").format(title)
		metadata = {
			"from_stage": None,
			"to_stage": record["stage"],
			"value": float(record.get("value") or 0),
			"probability_percent": float(record.get("probability_percent") or 0),
			"days_in_previous_stage": 0,
			"reason": record.get("win_loss_reason"),
		}
		entries.append(
			timeline_entry(
				(constants.OPPORTUNITY, name),
				record.get("customer"),
				record.get("lead"),
				activity_type,
				title,
				notes,
				metadata,
				status != "Open",
				record["stage_changed_on"],
				user,
				now,
			)
		)
	return stages, entries


DEAL_STAGE_FIELDS = (
	*STANDARD_VALUES,
	"opportunity",
	"from_stage",
	"to_stage",
	"is_reopen",
	"moved_on",
	"moved_by",
	"days_in_previous_stage",
	"notes",
)


def note_entries(names: list[str], records: list[dict], user: str, now) -> list[tuple]:
	"""The "Note Added" timeline entries `CRMInternalNote.after_insert` writes (notes on a customer's
	document or on a lead)."""
	entries = []
	for name, record in zip(names, records, strict=True):
		lead = record["reference_name"] if record["reference_doctype"] == constants.LEAD else None
		if not (record.get("customer") or lead):
			continue
		entries.append(
			timeline_entry(
				(constants.NOTE, name),
				record.get("customer"),
				lead,
				"Note Added",
				_("Note: {0}").format(record.get("title")),
				None,
				{
					"note_type": record.get("note_type"),
					"on": [record["reference_doctype"], record["reference_name"]],
				},
				record.get("note_type") == "Important" or bool(record.get("is_pinned")),
				now,
				user,
				now,
			)
		)
	return entries


def insert_timeline(rows: list[tuple]) -> int:
	"""Insert timeline rows (`timeline_row`) and their access index rows (written without hooks)."""
	bulk.insert_rows(constants.TIMELINE, TIMELINE_FIELDS, rows)
	access_index.refresh(constants.TIMELINE, [row[0] for row in rows], new=True)
	return len(rows)


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


def touch_customers(entries: list[tuple]) -> int:
	"""Customers' last activity moved forward to their new timeline entries (`touch_customer`)."""
	date, customer = TIMELINE_FIELDS.index("activity_date"), TIMELINE_FIELDS.index("customer")
	rows = [{"customer": e[customer], "interaction_date": e[date]} for e in entries if e[customer]]
	return touch(rows, ((constants.CUSTOMER, "customer", ("last_activity_on",)),))[0]


def touch_parents_of(interactions: list[dict]) -> tuple[int, int]:
	"""`touch_parents` for interactions given by their values (customer, contact, interaction_date):
	one UPDATE per 999 customers or contacts. Returns how many of each they point at."""
	customers, contacts = touch(interactions, LAST_CONTACT)
	return customers, contacts


def touch(rows: list[dict], targets) -> list[int]:
	"""For each (table, link field, date columns) of `targets`: the columns of the records `rows` link to
	moved forward to the latest `interaction_date` of their rows, never back."""
	counts = []
	for table, link, columns in targets:
		latest: dict = {}
		for row in rows:
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
	return counts
