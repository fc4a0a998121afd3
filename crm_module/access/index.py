"""The access index: the rule table (`rules.py`) materialised as `CRM Record Access` rows.

One row per (user, record) that a user reaches through an owner field, an open assignment, a parent or,
for records without any parent, as their creator. Lists, counts, reports and the dashboard then filter
a CRM User's rows with one indexed semi-join (`name in (select record_name ... where user = X and
record_type = D)`, see `conditions.py`) instead of a chain of `or ... in (select ...)` that MariaDB has
to evaluate row by row over the whole table.

The index covers the doctypes in `INDEXED` (the large ones, in parent-before-child order). Doctypes
with one parent (health scores, lead scores, deal stages) and those hanging off any record (notes,
tagged items) are filtered through their parent's rows. Single documents are still judged on the
stored record (`records.py`): the index only speeds up sets, and the permission matrix test checks that
both agree on every path.

It is kept on every write that can change who reaches what:

* a record is inserted, or its owner field or a parent link changes (`on_record_change`);
* an assignment (ToDo) is opened, closed, cancelled, retargeted or deleted (`on_todo_change`);
* rows written set-based (timeline entries of the nightly jobs) are indexed by their writer;

and a change on a record cascades to the records that reach it as their parent (a customer handed to
another rep takes its contacts, opportunities, interactions and timeline along). `rebuild` recreates
everything set-based (a patch runs it; the benchmark dataset too).
"""

import hashlib

import frappe
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.access.rules import RULES

INDEXED = (
	constants.CUSTOMER,
	constants.LEAD,
	constants.OPPORTUNITY,
	constants.CONTACT,
	constants.INTERACTION,
	constants.TIMELINE,
)
TABLE = f"`tab{constants.RECORD_ACCESS}`"
CHUNK = 999  # names per statement: 1,000 or more become a derived table (`in_predicate_conversion_threshold`)


def dependents(doctype: str) -> list[tuple[str, str]]:
	"""(child doctype, link field) of the indexed records that reach `doctype` records as their parent."""
	return [
		(child, link)
		for child in INDEXED
		for link, parent in RULES[child].parents
		if parent == doctype and child != doctype
	]


def reach_fields(doctype: str) -> tuple[str, ...]:
	"""Fields whose change can change who reaches a record."""
	rule = RULES[doctype]
	return ((rule.owner_field,) if rule.owner_field else ()) + rule.link_fields()


def sources(doctype: str, where: str, by_name: bool = False) -> list[str]:
	"""SELECTs of (record_name, user) pairs for the `doctype` records matching `where` (on alias `t`).
	`by_name`: `where` picks records by name, so the joins start from them (STRAIGHT_JOIN: left to itself
	MariaDB may start from every index row of the parent doctype instead, 10x slower for 999 names)."""
	rule = RULES[doctype]
	table = f"`tab{doctype}`"
	quoted = frappe.db.escape(doctype)
	join = "straight_join" if by_name else "join"
	selects = []
	if rule.owner_field:
		selects.append(
			f"select t.`name` as rec, t.`{rule.owner_field}` as usr from {table} t "
			f"where {where} and ifnull(t.`{rule.owner_field}`, '') != ''"
		)
	if rule.assignable:
		selects.append(
			f"select t.`name` as rec, todo.`allocated_to` as usr from {table} t {join} `tabToDo` todo "
			f"on todo.`reference_type` = {quoted} and todo.`reference_name` = t.`name` "
			f"and todo.`status` = 'Open' where {where} and ifnull(todo.`allocated_to`, '') != ''"
		)
	for link, parent in rule.parents:
		selects.append(
			f"select t.`name` as rec, a.`user` as usr from {table} t {join} {TABLE} a "
			f"on a.`record_type` = {frappe.db.escape(parent)} and a.`record_name` = t.`{link}` where {where}"
		)
	if rule.creator_without_parent:
		empty = " and ".join(f"ifnull(t.`{link}`, '') = ''" for link in rule.link_fields())
		selects.append(f"select t.`name` as rec, t.`owner` as usr from {table} t where {where} and {empty}")
	return selects


def write_rows(doctype: str, where: str, by_name: bool = False) -> None:
	"""Insert the (user, record) pairs of `sources`; a pair found twice is stored once (unique key)."""
	quoted = frappe.db.escape(doctype)
	union = " union all ".join(sources(doctype, where, by_name))
	frappe.db.sql(
		f"insert ignore into {TABLE} (`name`, `creation`, `modified`, `owner`, `modified_by`, `docstatus`,"
		f" `idx`, `user`, `record_type`, `record_name`) "
		f"select md5(concat_ws(char(31), src.usr, {quoted}, src.rec)), %(now)s, %(now)s, 'Administrator',"
		f" 'Administrator', 0, 0, src.usr, {quoted}, src.rec from ({union}) src",
		{"now": now_datetime()},  # the site's time zone, like every other row Frappe writes
	)


def refresh(
	doctype: str, names: list[str] | tuple[str, ...], cascade: bool = False, new: bool = False
) -> None:
	"""Recompute who reaches the given records (and, with `cascade`, the records hanging off them);
	`new`: records just inserted, that have no rows yet to delete."""
	if doctype not in INDEXED or not names:
		return
	names = list(dict.fromkeys(names))
	quoted = frappe.db.escape(doctype)
	for start in range(0, len(names), CHUNK):
		chunk = ", ".join(frappe.db.escape(name) for name in names[start : start + CHUNK])
		if not new:
			frappe.db.sql(
				f"delete from {TABLE} where `record_type` = {quoted} and `record_name` in ({chunk})"
			)
		write_rows(doctype, f"t.`name` in ({chunk})", by_name=True)
	if cascade:
		for child, link in dependents(doctype):
			children = []
			for start in range(0, len(names), CHUNK):
				children += frappe.get_all(
					child, filters={link: ("in", names[start : start + CHUNK])}, pluck="name"
				)
			refresh(child, children, cascade=True)


ROW_FIELDS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
	"user",
	"record_type",
	"record_name",
)


def rows_for_new(
	doctype: str, records: dict[str, dict], assignees: dict[str, list[str]], creator: str
) -> list | None:
	"""The index rows (values of `ROW_FIELDS`, named as `write_rows` names them) of records just
	inserted set-based by `creator` (`{name: values}`; `assignees`: {name: users of the open ToDos
	written with them}), from the values in memory, when their rule reaches them through no parent
	(owner field, assignments, creator). None when it does: `refresh(..., new=True)` reads the parents'
	rows then."""
	rule = RULES[doctype]
	if doctype not in INDEXED or rule.parents or rule.dynamic_parent:
		return None
	now = now_datetime()
	rows = []
	for name, values in records.items():
		users = {values.get(rule.owner_field)} if rule.owner_field else set()
		if rule.assignable:
			users.update(assignees.get(name, ()))
		if rule.creator_without_parent:
			users.add(creator)
		for user in sorted(u for u in users if u):
			key = hashlib.md5(chr(31).join((user, doctype, name)).encode()).hexdigest()
			rows.append((key, now, now, "Administrator", "Administrator", 0, 0, user, doctype, name))
	return rows


def forget(doctype: str, names: list[str] | tuple[str, ...]) -> None:
	if doctype not in INDEXED or not names:
		return
	access = frappe.qb.DocType(constants.RECORD_ACCESS)
	frappe.qb.from_(access).delete().where(
		(access.record_type == doctype) & access.record_name.isin(list(names))
	).run()


def rebuild(doctypes: tuple[str, ...] = INDEXED) -> dict[str, int]:
	"""Recreate the index of `doctypes` (default: all) set-based, parents first; returns rows per doctype."""
	counts = {}
	for doctype in INDEXED:
		if doctype not in doctypes:
			continue
		frappe.db.sql(f"delete from {TABLE} where `record_type` = {frappe.db.escape(doctype)}")
		write_rows(doctype, "1 = 1")
		counts[doctype] = frappe.db.count(constants.RECORD_ACCESS, {"record_type": doctype})
	return counts


# ------------------------------------------------------------------ doc_events


def on_record_change(doc, method: str | None = None) -> None:
	"""`on_change` of an indexed doctype: index a new record; re-index (with its dependents) a record
	whose owner field or parent links changed."""
	if doc.flags.in_delete:  # Frappe runs on_change after on_trash, before the row is gone
		return
	before = doc.get_doc_before_save()
	if before is None:  # just inserted
		refresh(doc.doctype, [doc.name])
		return
	if any(before.get(field) != doc.get(field) for field in reach_fields(doc.doctype)):
		refresh(doc.doctype, [doc.name], cascade=True)


def on_record_trash(doc, method: str | None = None) -> None:
	forget(doc.doctype, [doc.name])


def on_todo_change(todo, method: str | None = None) -> None:
	"""An assignment opened, closed, retargeted or deleted: re-index the records it pointed at."""
	targets = {(todo.reference_type, todo.reference_name)}
	before = todo.get_doc_before_save() if method != "on_trash" else None
	if before is not None:
		targets.add((before.reference_type, before.reference_name))
	for doctype, name in targets:
		if doctype in INDEXED and name and RULES[doctype].assignable:
			if method == "on_trash":
				# the ToDo row is still there while its on_trash runs: drop it from the sources first
				frappe.db.set_value("ToDo", todo.name, "status", "Cancelled", update_modified=False)
			refresh(doctype, [name], cascade=True)
