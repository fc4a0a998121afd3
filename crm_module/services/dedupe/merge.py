"""Merge two customers, leads or contacts: everything that points at the loser moves to the survivor.

* Who: the acting user must be able to write the survivor and delete the loser (Salesforce's rule: a
  merge deletes a record, so it needs the right to delete it; a CRM User has none). 404/403 otherwise,
  checked before anything changes.
* Fields: the survivor keeps its values, except the fields named in `take` (editable fields only), which
  take the loser's value.
* Links: every record that points at the loser by a link (contacts, interactions, opportunities, timeline,
  health and score history, lead and customer cross-links, segment members) or by reference (notes, tags,
  assignments, files, comments, timeline references) is repointed; where the survivor already has the
  same day's score row or the same tag, the loser's copy is dropped instead. A contact's email addresses
  and phone numbers join the survivor's (without repeating one).
* Then the loser is deleted, the access index re-reads everything that moved, the survivor's timeline
  records the merge, and all of it happens in the caller's one transaction: an error anywhere leaves
  nothing changed.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.access.rules import RULES, SYSTEM_COLUMNS
from crm_module.exceptions import CRMConflictError
from crm_module.services.common import get_record, user_or_session
from crm_module.services.timeline import record_activity_timeline
from crm_module.utils import throw_input

# (doctype, link field) of every record that points at a record of the merged doctype
LINKS = {
	constants.CUSTOMER: [
		(constants.CONTACT, "customer"),
		(constants.INTERACTION, "customer"),
		(constants.OPPORTUNITY, "customer"),
		(constants.TIMELINE, "customer"),
		(constants.HEALTH_SCORE, "customer"),
		(constants.SEGMENT_MEMBER, "customer"),
		(constants.NOTE, "customer"),
		(constants.LEAD, "converted_customer"),
	],
	constants.LEAD: [
		(constants.INTERACTION, "lead"),
		(constants.TIMELINE, "lead"),
		(constants.LEAD_SCORE, "lead"),
		(constants.OPPORTUNITY, "lead"),
		(constants.CUSTOMER, "source_lead"),
	],
	constants.CONTACT: [
		(constants.INTERACTION, "contact"),
		(constants.LEAD, "converted_contact"),
	],
}
# (doctype, doctype field, name field) of records that point at any document
REFERENCES = [
	(constants.NOTE, "reference_doctype", "reference_name"),
	(constants.TAGGED_ITEM, "reference_doctype", "reference_name"),
	(constants.TIMELINE, "reference_doctype", "reference_name"),
	("ToDo", "reference_type", "reference_name"),
	("File", "attached_to_doctype", "attached_to_name"),
	("Comment", "reference_doctype", "reference_name"),
]
# one row per record and day / per tag: the survivor's copy wins
ONE_PER_DAY = {
	(constants.HEALTH_SCORE, "customer"): "score_date",
	(constants.LEAD_SCORE, "lead"): "scoring_date",
}
CHILD_CHANNELS = {constants.EMAIL_ADDRESS: "email_id", constants.PHONE_NUMBER: "phone"}


def editable_fields(doctype: str) -> set[str]:
	"""Fields a merge may copy from the loser: data fields that are not read-only, computed or owner."""
	rule = RULES[doctype]
	blocked = {*rule.protected, *SYSTEM_COLUMNS, rule.owner_field}
	return {
		df.fieldname
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype not in frappe.model.no_value_fields
		and df.fieldtype not in frappe.model.table_fields
		and not df.read_only
		and df.fieldname not in blocked
	}


def merge_records(
	doctype: str, survivor: str, loser: str, take: list[str] | None = None, user: str | None = None
) -> dict:
	"""Merge `loser` into `survivor` (see the module docstring); returns what moved."""
	if doctype not in LINKS:
		throw_input(_("doctype must be one of {0}, got {1}").format(", ".join(LINKS), doctype))
	if survivor == loser:
		frappe.throw(_("survivor and loser are the same {0}").format(_(doctype)), CRMConflictError)
	keep, gone = merge_pair(doctype, survivor, loser, user)
	take = list(take or [])
	unknown = sorted(set(take) - editable_fields(doctype))
	if unknown:
		throw_input(_("take: {0} cannot be copied in a merge").format(", ".join(unknown)))
	for field in take:
		keep.set(field, gone.get(field))
	if doctype == constants.CONTACT:
		join_channels(keep, gone)
	keep.save()
	moved = {}
	for child, field in LINKS[doctype]:
		moved[child] = relink(child, field, loser, survivor)
	for table, doctype_field, name_field in REFERENCES:
		moved.setdefault(table, []).extend(
			repoint(table, doctype_field, name_field, doctype, loser, survivor)
		)
	frappe.delete_doc(doctype, loser)  # checks the delete right again, for the session user
	for child, names in moved.items():
		access_index.refresh(child, names, cascade=True)
	access_index.refresh(doctype, [survivor], cascade=True)  # the loser's assignments now point here
	record_activity_timeline(
		customer=survivor if doctype == constants.CUSTOMER else keep.get("customer"),
		lead=survivor if doctype == constants.LEAD else None,
		activity_type="Other",
		title=_("Merged {0} {1} into this record").format(_(doctype), loser),
		reference_doctype=doctype,
		reference_name=survivor,
		metadata={"merged": loser, "took": take, "moved": {k: len(v) for k, v in moved.items() if v}},
	)
	return {"survivor": survivor, "merged": loser, "moved": {k: len(v) for k, v in moved.items() if v}}


def merge_pair(doctype: str, survivor: str, loser: str, user: str | None = None):
	"""(survivor, loser) documents when `user` may write the survivor and delete the loser; 404 / 403
	otherwise."""
	keep = get_record(doctype, survivor, "survivor", user, "write")
	gone = get_record(doctype, loser, "loser", user, "write")
	if not can_merge(doctype, gone, user):
		frappe.throw(
			_("loser: merging deletes {0} {1}, and you are not allowed to delete it").format(
				_(doctype), loser
			),
			frappe.PermissionError,
		)
	return keep, gone


def can_merge(doctype: str, loser=None, user: str | None = None) -> bool:
	"""Whether `user` may merge records of `doctype` (the right to delete them), or this `loser`."""
	return bool(frappe.has_permission(doctype, "delete", doc=loser, user=user_or_session(user)))


def relink(child: str, field: str, loser: str, survivor: str) -> list[str]:
	"""Point `child.field` from `loser` to `survivor`, dropping the loser's copies of one-per-day rows."""
	table = frappe.qb.DocType(child)
	day = ONE_PER_DAY.get((child, field))
	if day:
		survivor_days = frappe.qb.from_(table).select(table[day]).where(table[field] == survivor)
		clashes = (
			frappe.qb.from_(table)
			.select(table.name)
			.where((table[field] == loser) & table[day].isin(survivor_days))
			.run(pluck=True)
		)
		if clashes:
			frappe.qb.from_(table).delete().where(table.name.isin(clashes)).run()
	if child == constants.SEGMENT_MEMBER:  # one membership per segment
		in_both = frappe.qb.from_(table).select(table.parent).where(table.customer == survivor)
		frappe.qb.from_(table).delete().where((table.customer == loser) & table.parent.isin(in_both)).run()
	names = frappe.qb.from_(table).select(table.name).where(table[field] == loser).run(pluck=True)
	if names:
		frappe.qb.update(table).set(table[field], survivor).where(table.name.isin(names)).run()
	return names


def repoint(
	table_name: str, doctype_field: str, name_field: str, doctype: str, loser: str, survivor: str
) -> list[str]:
	"""Point references at `loser` to `survivor`; a tag both carry stays once (and its count is redone)."""
	table = frappe.qb.DocType(table_name)
	points_at = (table[doctype_field] == doctype) & (table[name_field] == loser)
	touched_tags = set()
	if table_name == constants.TAGGED_ITEM:
		touched_tags = set(frappe.qb.from_(table).select(table.tag).where(points_at).run(pluck=True))
		both = (
			frappe.qb.from_(table)
			.select(table.tag)
			.where((table[doctype_field] == doctype) & (table[name_field] == survivor))
		)
		frappe.qb.from_(table).delete().where(points_at & table.tag.isin(both)).run()
	names = frappe.qb.from_(table).select(table.name).where(points_at).run(pluck=True)
	if names:
		frappe.qb.update(table).set(table[name_field], survivor).where(table.name.isin(names)).run()
	if touched_tags:
		from crm_module.services.tags import recount_usage

		recount_usage(touched_tags)
	return names


def join_channels(keep, gone) -> None:
	"""A contact's emails and phones join the survivor's; one already there is not repeated."""
	for child_doctype, column in CHILD_CHANNELS.items():
		field = next(df.fieldname for df in keep.meta.get_table_fields() if df.options == child_doctype)
		have = {str(row.get(column) or "").lower() for row in keep.get(field)}
		for row in gone.get(field):
			if str(row.get(column) or "").lower() not in have:
				keep.append(field, {column: row.get(column), "is_primary": 0})


def preview(doctype: str, survivor: str, loser: str, user: str | None = None) -> dict:
	"""What a merge would do: the editable fields whose values differ, and how many records point at each
	(for those who may do the merge)."""
	if doctype not in LINKS:
		throw_input(_("doctype must be one of {0}, got {1}").format(", ".join(LINKS), doctype))
	keep, gone = merge_pair(doctype, survivor, loser, user)
	meta = frappe.get_meta(doctype)
	differing = [
		{
			"field": field,
			"label": _(meta.get_label(field)),
			"survivor": keep.get(field),
			"loser": gone.get(field),
		}
		for field in sorted(editable_fields(doctype))
		if gone.get(field) not in (None, "") and keep.get(field) != gone.get(field)
	]
	return {
		"fields": differing,
		"links": {survivor: count_links(doctype, survivor), loser: count_links(doctype, loser)},
	}


def count_links(doctype: str, name: str) -> int:
	"""How many records point at `name` by a link."""
	total = 0
	for child, field in LINKS.get(doctype, []):
		table = frappe.qb.DocType(child)
		total += frappe.qb.from_(table).select(Count("*")).where(table[field] == name).run()[0][0]
	return total
