"""Likely duplicate customers, leads and contacts among the records the user reaches (the rules are
`crm_module.domain.duplicates`).

The database forms the groups: one GROUP BY per kind of key (the stored `company_key`, the email, the
phone; a contact's every email and phone row) over the records the user reaches — the same row rules as every list (`access.conditions`, set-based) — keeping the keys shared by
2 to `MAX_GROUP` records. Only those groups reach Python, so 100,000 accounts cost a few index scans, not
100,000 rows."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.access.conditions import get_query_conditions
from crm_module.domain.duplicates import MAX_GROUP, pairs_from_groups
from crm_module.utils import throw_input

MAX_PAIRS = 500
MAX_GROUPS = 5000
TITLES = {constants.CUSTOMER: "company_name", constants.LEAD: "lead_name", constants.CONTACT: "full_name"}
SEPARATOR = "\x1f"


def grouped(kind: str, table: str, record: str, key: str, where: str) -> list[tuple[str, list[str]]]:
	"""(kind, records) for every `key` value shared by 2..MAX_GROUP records of `table`. Emails and phones
	are stored normalised (lower-case domain, E.164) and compared case-insensitively by the column's
	collation, so the GROUP BY reads the column's own index."""
	rows = frappe.db.sql(
		f"select group_concat(distinct `{record}` separator %(sep)s) from `{table}` "
		f"where ifnull(`{key}`, '') != ''{where} group by `{key}` "
		f"having count(distinct `{record}`) between 2 and {MAX_GROUP} limit {MAX_GROUPS}",
		{"sep": SEPARATOR},
	)
	return [(kind, names.split(SEPARATOR)) for (names,) in rows]


def groups_of(doctype: str) -> list[tuple[str, list[str]]]:
	condition = get_query_conditions(doctype, sets_only=True)
	if doctype == constants.CONTACT:
		# a contact's email_id and phone are its primary rows: the rows are every address it has
		where = f" and `parenttype` = {frappe.db.escape(doctype)}"
		if condition:
			where += f" and `parent` in (select `name` from `tab{doctype}` where {condition})"
		return grouped("email", f"tab{constants.EMAIL_ADDRESS}", "parent", "email_id", where) + grouped(
			"phone", f"tab{constants.PHONE_NUMBER}", "parent", "phone", where
		)
	where = f" and {condition}" if condition else ""
	return [
		group
		for kind, key in (("company", "company_key"), ("email", "email_id"), ("phone", "phone"))
		for group in grouped(kind, f"tab{doctype}", "name", key, where)
	]


def find_candidates(doctype: str) -> list[dict]:
	"""Pairs of likely duplicates (at most 500), most reasons first: ``{a, b, a_title, b_title, reasons}``."""
	if doctype not in TITLES:
		throw_input(_("doctype must be one of {0}, got {1}").format(", ".join(TITLES), doctype))
	pairs = pairs_from_groups(groups_of(doctype))[:MAX_PAIRS]
	names = {name for pair in pairs for name in (pair["a"], pair["b"])}
	titles = dict(
		frappe.get_all(
			doctype, filters={"name": ("in", list(names))}, fields=["name", TITLES[doctype]], as_list=True
		)
		if names
		else []
	)
	return [{**pair, "a_title": titles.get(pair["a"]), "b_title": titles.get(pair["b"])} for pair in pairs]
