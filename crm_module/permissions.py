"""Row-level isolation: a CRM User reaches only what they own or are assigned to, and its children.

One rule table (`RULES`) drives both halves of Frappe's permission hooks, so lists, reports,
`/api/resource`, link search (`permission_query_conditions`) and single documents (`has_permission`)
always agree:

* a record is *owned* by a user when one of its user fields names them (creator, account owner, lead
  owner, opportunity owner...) or, for top-level records, when it is assigned to them (`_assign`);
* a record is *reachable through a parent* when one of its parent links points to a record the user
  can reach (a customer's contacts, interactions, opportunities, health scores...);
* for writes (create, write, delete...) every parent the record links to must be reachable too, so a
  rep cannot attach data to another rep's customer.

CRM Managers, System Managers and Administrator are not restricted.
"""

from dataclasses import dataclass

import frappe

from crm_module import constants as c

READ_TYPES = frozenset({"read", "select", "print", "email", "report", "export", "share"})


@dataclass(frozen=True)
class Rule:
	user_fields: tuple[str, ...] = ()
	parents: tuple[tuple[str, str], ...] = ()  # (link field, parent doctype)
	dynamic_parent: tuple[str, str] | None = None  # (doctype field, name field)
	assignable: bool = False
	mention_table: str | None = None  # child doctype with a `user` column naming mentioned users


RULES: dict[str, Rule] = {
	c.CUSTOMER: Rule(user_fields=("owner", "account_owner"), assignable=True),
	c.LEAD: Rule(user_fields=("owner", "lead_owner"), assignable=True),
	c.OPPORTUNITY: Rule(
		user_fields=("owner", "opportunity_owner"), parents=(("customer", c.CUSTOMER),), assignable=True
	),
	c.CONTACT: Rule(user_fields=("owner",), parents=(("customer", c.CUSTOMER),)),
	c.INTERACTION: Rule(
		user_fields=("owner",),
		parents=(("customer", c.CUSTOMER), ("lead", c.LEAD), ("opportunity", c.OPPORTUNITY)),
	),
	c.TIMELINE: Rule(user_fields=("performed_by",), parents=(("customer", c.CUSTOMER), ("lead", c.LEAD))),
	c.HEALTH_SCORE: Rule(parents=(("customer", c.CUSTOMER),)),
	c.DEAL_STAGE: Rule(parents=(("opportunity", c.OPPORTUNITY),)),
	c.LEAD_SCORE: Rule(parents=(("lead", c.LEAD),)),
	c.NOTE: Rule(
		user_fields=("owner",),
		dynamic_parent=("reference_doctype", "reference_name"),
		mention_table="CRM Note Mention",
	),
	c.TAGGED_ITEM: Rule(user_fields=("owner",), dynamic_parent=("reference_doctype", "reference_name")),
}

# Nesting limit for parent sub-queries (interaction -> opportunity -> customer is depth 2).
MAX_DEPTH = 3


def is_unrestricted(user: str | None = None) -> bool:
	"""Managers and administrators see every CRM record."""
	user = user or frappe.session.user
	if user == "Administrator":
		return True
	return bool(c.MANAGER_ROLES.intersection(frappe.get_roles(user)))


# ---------------------------------------------------------------- list / report / search conditions


def assigned_pattern(user: str) -> str:
	"""LIKE pattern matching `user` exactly inside the JSON list kept in `_assign` (wildcards escaped)."""
	literal = user.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
	return f'%"{literal}"%'


def _condition(doctype: str, user: str, depth: int = 0) -> str:
	rule = RULES[doctype]
	table = f"`tab{doctype}`"
	quoted = frappe.db.escape(user)
	parts = [f"{table}.`{fieldname}` = {quoted}" for fieldname in rule.user_fields]
	if rule.assignable:
		parts.append(f"{table}.`_assign` like {frappe.db.escape(assigned_pattern(user))}")
	if rule.mention_table:
		parts.append(
			f"{table}.`name` in (select `parent` from `tab{rule.mention_table}` where `user` = {quoted})"
		)
	if depth < MAX_DEPTH:
		for link_field, parent in rule.parents:
			sub = _condition(parent, user, depth + 1)
			parts.append(f"{table}.`{link_field}` in (select `name` from `tab{parent}` where {sub})")
		if rule.dynamic_parent:
			dt_field, name_field = rule.dynamic_parent
			for parent in c.TAGGABLE_DOCTYPES:
				sub = _condition(parent, user, depth + 1)
				parts.append(
					f"({table}.`{dt_field}` = {frappe.db.escape(parent)} and {table}.`{name_field}` in "
					f"(select `name` from `tab{parent}` where {sub}))"
				)
	return "(" + " or ".join(parts or ["1=0"]) + ")"


def get_query_conditions(doctype: str, user: str | None = None) -> str:
	user = user or frappe.session.user
	if is_unrestricted(user):
		return ""
	return _condition(doctype, user)


def _make_query_hook(doctype: str):
	def hook(user: str | None = None, doctype: str = doctype) -> str:
		return get_query_conditions(doctype, user)

	hook.__name__ = "query_" + frappe.scrub(doctype)
	return hook


# Named module-level hooks referenced from hooks.py (one per doctype, same rule table).
query_customer = _make_query_hook(c.CUSTOMER)
query_lead = _make_query_hook(c.LEAD)
query_opportunity = _make_query_hook(c.OPPORTUNITY)
query_contact = _make_query_hook(c.CONTACT)
query_interaction = _make_query_hook(c.INTERACTION)
query_timeline = _make_query_hook(c.TIMELINE)
query_health_score = _make_query_hook(c.HEALTH_SCORE)
query_deal_stage = _make_query_hook(c.DEAL_STAGE)
query_lead_score = _make_query_hook(c.LEAD_SCORE)
query_note = _make_query_hook(c.NOTE)
query_tagged_item = _make_query_hook(c.TAGGED_ITEM)


# ---------------------------------------------------------------- single documents


def _owns(doc, rule: Rule, user: str) -> bool:
	if any(doc.get(fieldname) == user for fieldname in rule.user_fields):
		return True
	if rule.assignable and user in frappe.parse_json(doc.get("_assign") or "[]"):
		return True
	if rule.mention_table:
		return any(row.user == user for row in doc.get("mentions") or [])
	return False


def _parent_links(doc, rule: Rule) -> list[tuple[str, str]]:
	links = [(parent, doc.get(link_field)) for link_field, parent in rule.parents if doc.get(link_field)]
	if rule.dynamic_parent:
		dt_field, name_field = rule.dynamic_parent
		parent, name = doc.get(dt_field), doc.get(name_field)
		if parent in RULES and name:
			links.append((parent, name))
	return links


def can_access(doctype: str, name_or_doc, user: str | None = None, depth: int = 0) -> bool:
	"""True when `user` can read the record under the isolation rules (no role check)."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return True
	rule = RULES.get(doctype)
	if rule is None:
		return True
	doc = name_or_doc
	if isinstance(name_or_doc, str):
		doc = frappe.get_doc(doctype, name_or_doc) if frappe.db.exists(doctype, name_or_doc) else None
		if doc is None:
			return False
	if _owns(doc, rule, user):
		return True
	if depth >= MAX_DEPTH:
		return False
	return any(can_access(parent, name, user, depth + 1) for parent, name in _parent_links(doc, rule))


def has_permission(doc, ptype: str = "read", user: str | None = None) -> bool | None:
	"""`has_permission` hook for every isolated doctype.

	Returns None (defer to role permissions) for unrestricted users, otherwise True/False.
	"""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return None
	rule = RULES.get(doc.doctype)
	if rule is None:
		return None
	is_new = doc.is_new() if hasattr(doc, "is_new") else False
	if not is_new and not can_access(doc.doctype, doc, user):
		return False
	if ptype in READ_TYPES:
		return True
	# writes: every linked parent must be reachable as well
	for parent, name in _parent_links(doc, rule):
		if not can_access(parent, name, user, 1):
			return False
	return True


def check_access(doctype: str, name: str, ptype: str = "read") -> None:
	"""Raise 404 for missing records and 403 for records outside the caller's reach."""
	from crm_module.exceptions import CRMNotFoundError

	if not frappe.db.exists(doctype, name):
		frappe.throw(
			frappe._("{0} {1} not found").format(frappe._(doctype), frappe.bold(name)), CRMNotFoundError
		)
	doc = frappe.get_doc(doctype, name)
	if not doc.has_permission(ptype):
		frappe.throw(
			frappe._("You do not have access to {0} {1}").format(frappe._(doctype), frappe.bold(name)),
			frappe.PermissionError,
		)
