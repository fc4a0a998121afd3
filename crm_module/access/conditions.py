"""The rule table as SQL: the `permission_query_conditions` of every CRM doctype and child table.

Lists, report view, exports, counts, group-by counts, link search, charts and number cards all go
through `frappe.get_list`, which ANDs these conditions; the app's own aggregates use them too.
Who reaches what is read from the access index (`index.py`: owner fields, open ToDos, parents, creators),
never from `_assign`; every condition is a semi-join MariaDB drives from that index.
"""

from math import isqrt

import frappe
from frappe.utils import cint

from crm_module import caching, constants
from crm_module.access.index import INDEXED
from crm_module.access.rules import CHILD_PARENTS, RULES, parents_of
from crm_module.access.teams import reach_users
from crm_module.access.users import has_crm_role, is_unrestricted

NOTHING = "(1=0)"
# from this many reachable rows on, per-row lookups beat sorting the whole reachable set (see below)
LARGE_REACH = 20_000
# one page of a list sorted by a date column: the desk's list and report views and `get_list`
LIST_METHODS = frozenset(
	{"frappe.desk.reportview.get", "frappe.desk.reportview.get_list", "frappe.client.get_list"}
)
DATE_COLUMNS = frozenset({"modified", "creation"})


def reached_names(doctype: str, user: str, count_of: str | None = None) -> str:
	"""Sub-query: names of the `doctype` records `user` reaches, from the access index (`index.py`); with
	`count_of` (a column), the number of access rows for that one record instead (0 when unreached)."""
	users = reach_users(user)  # a team lead reaches what their team reaches (teams.py)
	who = (
		f"`user` = {frappe.db.escape(user)}"
		if len(users) == 1
		else f"`user` in ({', '.join(frappe.db.escape(u) for u in users)})"
	)
	where = f"{who} and `record_type` = {frappe.db.escape(doctype)}"
	table = f"`tab{constants.RECORD_ACCESS}`"
	if count_of:
		return f"select count(*) from {table} where {where} and `record_name` = {count_of}"
	return f"select `record_name` from {table} where {where}"


def reaches_many(doctype: str, user: str, at_least: int = 1000) -> bool:
	"""Whether a restricted `user` reaches at least `at_least` `doctype` records (reads at most that many
	index entries). Queries that want the newest few rows scan a date index only for such users: for
	someone who reaches a handful, walking the index would read most of the table."""
	if is_unrestricted(user) or not has_crm_role(user) or doctype not in INDEXED:
		return False
	found = frappe.db.sql(
		f"select count(*) from ({reached_names(doctype, user)} limit {int(at_least)}) reached"
	)[0][0]
	return found >= at_least


def large_reach(doctype: str, user: str) -> bool:
	"""Whether `user` reaches so many `doctype` records that sorting them all costs more than walking
	the table's own index (remembered for the request)."""
	return remembered("crm_large_reach", (doctype, user), lambda: reaches_many(doctype, user, LARGE_REACH))


def remembered(attribute: str, key: tuple, compute):
	"""`compute()` once per request for `key` (kept in `frappe.local.<attribute>`)."""
	memo = getattr(frappe.local, attribute, None)
	if memo is None:
		memo = {}
		setattr(frappe.local, attribute, memo)
	if key not in memo:
		memo[key] = compute()
	return memo[key]


def walks_dates(doctype: str, user: str) -> bool:
	"""Whether this request is one page of a list sorted by date that walks the date index faster with a
	per-row check than by sorting every reached row: a page of `p` rows read from a table of `n` rows
	costs about p·n/reach per-row lookups against `reach` rows joined and sorted, so the walk wins once
	reach² ≥ 2·p·n. Only the plan changes, never which rows are returned (remembered for the request)."""
	page = list_page_length()
	if not page:
		return False

	def walk_wins() -> bool:
		at_least = max(1000, isqrt(2 * page * table_rows(doctype)))
		return at_least < LARGE_REACH and reaches_many(doctype, user, at_least)

	return remembered("crm_walks_dates", (doctype, user), walk_wins)


def list_page_length() -> int:
	"""The page length when this request lists one page sorted by `modified` or `creation` (0 otherwise)."""
	form = getattr(frappe.local, "form_dict", None) or {}
	if form.get("cmd") not in LIST_METHODS:
		return 0
	first = str(form.get("order_by") or "modified desc").split(",")[0].replace("`", "")
	column = first.rsplit(".", 1)[-1].split()  # "tabCRM Contact.modified desc" -> ["modified", "desc"]
	if not column or column[0] not in DATE_COLUMNS:
		return 0
	given = [form[key] for key in ("page_length", "limit_page_length", "limit") if key in form]
	page = cint(given[0]) if given else 20  # 0: every row (an export)
	return page if 0 < page <= 500 else 0


def table_rows(doctype: str) -> int:
	"""The table's row count as InnoDB estimates it (cached for an hour: it only picks a plan)."""
	return caching.cached(f"crm_module:table_rows:{doctype}", lambda: estimated_rows(doctype), ttl=3600)


def estimated_rows(doctype: str) -> int:
	found = frappe.db.sql(
		"select table_rows from information_schema.tables where table_schema = database() and table_name = %s",
		f"tab{doctype}",
	)
	return cint(found[0][0]) if found else 0


def reach_condition(doctype: str, user: str, read: bool = True, sets_only: bool = False) -> str:
	"""SQL condition on `tab<doctype>` true for the records `user` reaches.

	Indexed doctypes: one semi-join on the access index, which MariaDB drives from that index (a rep's
	few thousand rows, then sorted); for a user who reaches `LARGE_REACH` rows or more, or one page of a
	list sorted by date for a user who reaches enough of the table (`walks_dates`), a per-row lookup in
	the same unique index instead, so the list walks the date index and stops after one page rather than
	sorting thousands of rows. `sets_only` keeps the semi-join (aggregates over everything the user
	reaches want it). Other doctypes: a semi-join per parent (all indexed)."""
	rule = RULES[doctype]
	table = f"`tab{doctype}`"
	if doctype in INDEXED and not sets_only and (large_reach(doctype, user) or walks_dates(doctype, user)):
		parts = [f"({reached_names(doctype, user, count_of=f'{table}.`name`')}) > 0"]
	elif doctype in INDEXED:
		parts = [f"{table}.`name` in ({reached_names(doctype, user)})"]
	else:
		parts = [
			f"{table}.`{link_field}` in ({reached_names(parent, user)})"
			for link_field, parent in rule.parents
		]
		if rule.dynamic_parent:
			dt_field, name_field = rule.dynamic_parent
			parts += [
				f"({table}.`{dt_field}` = {frappe.db.escape(parent)} and {table}.`{name_field}` in "
				f"({reached_names(parent, user)}))"
				for parent in parents_of(doctype)
			]
	if read and rule.mention_table:
		parts.append(
			f"{table}.`name` in (select `parent` from `tab{rule.mention_table}` "
			f"where `user` = {frappe.db.escape(user)} and `parenttype` = {frappe.db.escape(doctype)})"
		)
	return "(" + " or ".join(parts or [NOTHING]) + ")"


def child_condition(child: str, user: str) -> str:
	parent = CHILD_PARENTS[child]
	if parent is None:
		return NOTHING
	table = f"`tab{child}`"
	return (
		f"({table}.`parenttype` = {frappe.db.escape(parent)} and {table}.`parent` in "
		f"(select `name` from `tab{parent}` where {reach_condition(parent, user, sets_only=True)}))"
	)


def get_query_conditions(doctype: str, user: str | None = None, sets_only: bool = False) -> str:
	"""'' for unrestricted users, the rule for CRM Users, nothing at all for users without a CRM role
	(`sets_only`: see `reach_condition`)."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return ""
	if not has_crm_role(user):
		return NOTHING
	if doctype in CHILD_PARENTS:
		return child_condition(doctype, user)
	return reach_condition(doctype, user, sets_only=sets_only)


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
				f"(select `name` from `tab{doctype}` where {reach_condition(doctype, user, sets_only=True)}))"
			)
	return "(" + " or ".join(parts) + ")"


def query_hook(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` hook shared by every CRM doctype (Frappe passes `doctype`)."""
	return get_query_conditions(doctype, user)


def file_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return attached_condition("File", "attached_to_doctype", "attached_to_name", user)


def tag_link_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return attached_condition("Tag Link", "document_type", "document_name", user)
