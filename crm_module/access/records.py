"""The rule table for one document: the `has_permission` hook of every CRM doctype.

A document that exists is always judged as *stored*: the owner field, assignments and parent links
are read from the database, never from the (possibly edited) document Frappe hands to the hook.
Frappe applies a request's changes before it asks `has_permission("write")`, so judging the edited
copy would let anyone write themselves into a record. For writes, the parents the edited document
links to must be reachable too.
"""

import frappe

from crm_module.access.rules import MAX_DEPTH, READ_TYPES, RULES, Rule
from crm_module.access.teams import reach_users
from crm_module.access.users import has_crm_role, is_unrestricted


def is_assigned(doctype: str, name: str, users: tuple[str, ...]) -> bool:
	return bool(
		frappe.db.exists(
			"ToDo",
			{
				"allocated_to": ("in", list(users)),
				"reference_type": doctype,
				"reference_name": name,
				"status": "Open",
			},
		)
	)


def is_mentioned(rule: Rule, doctype: str, name: str, user: str) -> bool:
	return bool(frappe.db.exists(rule.mention_table, {"parent": name, "parenttype": doctype, "user": user}))


def parent_links(row, rule: Rule) -> list[tuple[str, str]]:
	links = [(parent, row.get(field)) for field, parent in rule.parents if row.get(field)]
	if rule.dynamic_parent:
		dt_field, name_field = rule.dynamic_parent
		parent, name = row.get(dt_field), row.get(name_field)
		if parent in RULES and name:
			links.append((parent, name))
	return links


def stored(doctype: str, name: str):
	"""The stored fields the rules read (query builder: `frappe.db.get_value` runs each field name
	through sqlparse, the costliest part of a permission check)."""
	if not name or not isinstance(name, str | int):
		return None
	table = frappe.qb.DocType(doctype)
	fields = [table[field] for field in RULES[doctype].stored_fields()]
	rows = frappe.qb.from_(table).select(*fields).where(table.name == name).limit(1).run(as_dict=True)
	return rows[0] if rows else None


def reaches(doctype: str, row, user: str, depth: int = 0, read: bool = True) -> bool:
	"""Whether `user` reaches the stored record `row` of `doctype` (see `rules`)."""
	rule = RULES[doctype]
	users = reach_users(user)  # the user, and as a team lead their team (teams.py)
	if rule.owner_field and row.get(rule.owner_field) in users:
		return True
	if rule.assignable and is_assigned(doctype, row.name, users):
		return True
	links = parent_links(row, rule)
	if rule.creator_without_parent and not any(row.get(f) for f in rule.link_fields()):
		if row.get("owner") in users:
			return True
	if read and rule.mention_table and is_mentioned(rule, doctype, row.name, user):
		return True
	if depth >= MAX_DEPTH:
		return False
	return any(can_reach(parent, name, user, depth + 1, read) for parent, name in links)


def can_reach(doctype: str, name: str, user: str | None = None, depth: int = 0, read: bool = True) -> bool:
	"""Whether `user` reaches the stored record `doctype` `name` (False when it does not exist)."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return True
	if doctype not in RULES:
		return True
	if not has_crm_role(user):
		return False
	row = stored(doctype, name)
	return bool(row) and reaches(doctype, row, user, depth, read)


def has_permission(doc, ptype: str = "read", user: str | None = None, debug: bool = False) -> bool | None:
	"""`has_permission` hook: None (role permissions decide) for unrestricted users, else True/False."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return None
	rule = RULES.get(doc.doctype)
	if rule is None:
		return None
	if not has_crm_role(user):
		return False
	read = ptype in READ_TYPES
	row = None if doc.is_new() else stored(doc.doctype, doc.name)
	if row is not None and not reaches(doc.doctype, row, user, read=read):
		return False
	if read:
		return row is not None or doc.is_new()
	for parent, name in parent_links(doc, rule):
		if not can_reach(parent, name, user, 1, read=False):
			return False
	return all(can_reach(target, name, user, 1) for target, name in new_links(doc, rule))


def new_links(doc, rule: Rule) -> list[tuple[str, str]]:
	"""Other links of the edited document to CRM records (an opportunity's contact...), where they
	changed: a record cannot be pointed at a CRM record its editor does not reach."""
	fields = {
		df.fieldname: df.options
		for df in doc.meta.get_link_fields()
		if df.options in RULES
		and df.fieldname not in rule.link_fields()
		and df.fieldname not in rule.protected
	}
	if not fields:
		return []
	before = (
		{} if doc.is_new() else (frappe.db.get_value(doc.doctype, doc.name, list(fields), as_dict=True) or {})
	)
	return [
		(target, doc.get(fieldname))
		for fieldname, target in fields.items()
		if doc.get(fieldname) and doc.get(fieldname) != before.get(fieldname)
	]
