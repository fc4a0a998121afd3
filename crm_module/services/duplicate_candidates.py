"""Likely duplicate customers, leads and contacts among the records the user reaches (the rules are
`crm_module.domain.duplicates`): read with `frappe.get_list`, so a rep sees only pairs of their own."""

import frappe
from frappe import _

from crm_module import constants
from crm_module.domain.duplicates import candidate_pairs, company_key, email_key, phone_key
from crm_module.utils import throw_input

MAX_PAIRS = 500
TITLES = {constants.CUSTOMER: "company_name", constants.LEAD: "lead_name", constants.CONTACT: "full_name"}


def records_of(doctype: str) -> list[dict]:
	"""Every record of `doctype` the session user reaches, with the values the keys are made from."""
	if doctype == constants.CONTACT:
		rows = frappe.get_list(
			doctype, fields=["name", "full_name", "email_id", "phone"], limit_page_length=0
		)
		names = [row.name for row in rows]
		emails, phones = {}, {}
		if names:
			for row in frappe.get_all(
				constants.EMAIL_ADDRESS, filters={"parent": ("in", names)}, fields=["parent", "email_id"]
			):
				emails.setdefault(row.parent, []).append(row.email_id)
			for row in frappe.get_all(
				constants.PHONE_NUMBER, filters={"parent": ("in", names)}, fields=["parent", "phone"]
			):
				phones.setdefault(row.parent, []).append(row.phone)
		for row in rows:
			row["emails"] = [row.email_id, *emails.get(row.name, [])]
			row["phones"] = [row.phone, *phones.get(row.name, [])]
		return rows
	company = "company_name"
	title = TITLES[doctype]
	rows = frappe.get_list(doctype, fields=["name", title, company, "email_id", "phone"], limit_page_length=0)
	for row in rows:
		row["emails"], row["phones"] = [row.email_id], [row.phone]
	return rows


def find_candidates(doctype: str) -> list[dict]:
	"""Pairs of likely duplicates (at most 500), most reasons first: ``{a, b, a_title, b_title, reasons}``."""
	if doctype not in TITLES:
		throw_input(_("doctype must be one of {0}, got {1}").format(", ".join(TITLES), doctype))
	rows = records_of(doctype)
	keys = {
		"email": lambda row: [email_key(value) for value in row["emails"]],
		"phone": lambda row: [phone_key(value) for value in row["phones"]],
	}
	if doctype != constants.CONTACT:
		keys["company"] = lambda row: [company_key(row.get("company_name"))]
	titles = {row.name: row.get(TITLES[doctype]) for row in rows}
	pairs = candidate_pairs(rows, keys)[:MAX_PAIRS]
	return [{**pair, "a_title": titles.get(pair["a"]), "b_title": titles.get(pair["b"])} for pair in pairs]
