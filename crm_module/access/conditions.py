"""The rule table as SQL: the `permission_query_conditions` of every CRM doctype and child table.

Lists, report view, exports, counts, group-by counts, link search, charts and number cards all go
through `frappe.get_list`, which ANDs these conditions; the app's own aggregates use them too.
Assignments are read from open ToDos (indexed on allocated_to + reference_type), never from `_assign`.
"""

import frappe

from crm_module.access.rules import CHILD_PARENTS, MAX_DEPTH, RULES, parents_of
from crm_module.access.users import has_crm_role, is_unrestricted

NOTHING = "(1=0)"


def assigned_names(doctype: str, user: str) -> str:
	"""Sub-query: names of `doctype` records with an open ToDo allocated to `user`."""
	return (
		f"select `reference_name` from `tabToDo` where `allocated_to` = {frappe.db.escape(user)} "
		f"and `reference_type` = {frappe.db.escape(doctype)} and `status` = 'Open'"
	)


def reach_condition(doctype: str, user: str, depth: int = 0, read: bool = True) -> str:
	"""SQL condition on `tab<doctype>` true for the records `user` reaches."""
	rule = RULES[doctype]
	table = f"`tab{doctype}`"
	quoted = frappe.db.escape(user)
	parts = []
	if rule.owner_field:
		parts.append(f"{table}.`{rule.owner_field}` = {quoted}")
	if rule.assignable:
		parts.append(f"{table}.`name` in ({assigned_names(doctype, user)})")
	if read and rule.mention_table:
		parts.append(
			f"{table}.`name` in (select `parent` from `tab{rule.mention_table}` "
			f"where `user` = {quoted} and `parenttype` = {frappe.db.escape(doctype)})"
		)
	if rule.creator_without_parent:
		empty = " and ".join(f"ifnull({table}.`{link}`, '') = ''" for link in rule.link_fields())
		parts.append(f"({table}.`owner` = {quoted} and {empty})")
	if depth < MAX_DEPTH:
		for link_field, parent in rule.parents:
			sub = reach_condition(parent, user, depth + 1)
			parts.append(f"{table}.`{link_field}` in (select `name` from `tab{parent}` where {sub})")
		if rule.dynamic_parent:
			dt_field, name_field = rule.dynamic_parent
			for parent in parents_of(doctype):
				sub = reach_condition(parent, user, depth + 1)
				parts.append(
					f"({table}.`{dt_field}` = {frappe.db.escape(parent)} and {table}.`{name_field}` in "
					f"(select `name` from `tab{parent}` where {sub}))"
				)
	return "(" + " or ".join(parts or [NOTHING]) + ")"


def child_condition(child: str, user: str) -> str:
	parent = CHILD_PARENTS[child]
	if parent is None:
		return NOTHING
	table = f"`tab{child}`"
	return (
		f"({table}.`parenttype` = {frappe.db.escape(parent)} and {table}.`parent` in "
		f"(select `name` from `tab{parent}` where {reach_condition(parent, user)}))"
	)


def get_query_conditions(doctype: str, user: str | None = None) -> str:
	"""'' for unrestricted users, the rule for CRM Users, nothing at all for users without a CRM role."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return ""
	if not has_crm_role(user):
		return NOTHING
	if doctype in CHILD_PARENTS:
		return child_condition(doctype, user)
	return reach_condition(doctype, user)


def attached_condition(table: str, doctype_column: str, name_column: str, user: str | None = None) -> str:
	"""Condition on a table that points at any document (File, Tag Link): rows pointing at a CRM
	record are kept only when `user` reaches that record."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return ""
	dt_col, name_col = f"`tab{table}`.`{doctype_column}`", f"`tab{table}`.`{name_column}`"
	isolated = ", ".join(frappe.db.escape(dt) for dt in RULES)
	parts = [f"ifnull({dt_col}, '') not in ({isolated})"]
	if has_crm_role(user):
		for doctype in RULES:
			parts.append(
				f"({dt_col} = {frappe.db.escape(doctype)} and {name_col} in "
				f"(select `name` from `tab{doctype}` where {reach_condition(doctype, user)}))"
			)
	return "(" + " or ".join(parts) + ")"


def query_hook(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` hook shared by every CRM doctype (Frappe passes `doctype`)."""
	return get_query_conditions(doctype, user)


def file_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return attached_condition("File", "attached_to_doctype", "attached_to_name", user)


def tag_link_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return attached_condition("Tag Link", "document_type", "document_name", user)
