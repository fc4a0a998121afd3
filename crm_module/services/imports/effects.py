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
