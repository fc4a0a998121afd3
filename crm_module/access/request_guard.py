"""`before_request`: what a request asks Frappe's generic write paths to write into a CRM doctype is
type-checked before Frappe builds a document from it.

Frappe reads link fields and child tables while it builds the document (a dict in a Link field becomes
a database filter, a string for a table field a TypeError), long before any document hook runs, so
`input_types` alone would come too late for those: they would answer 500. Here they answer 400 naming
the field. Covered: `/api/resource/<doctype>` and `/api/v2/document/<doctype>` writes, and
`frappe.client.save / insert / insert_many / set_value` and `frappe.desk.form.save.savedocs`.
"""

import json
from urllib.parse import unquote

import frappe
from frappe import _
from frappe.model import no_value_fields, table_fields

from crm_module.access.input_types import type_problem
from crm_module.access.overrides import is_crm as is_crm_doctype
from crm_module.utils import throw_input

DOC_PARAMS = {
	"frappe.client.save": "doc",
	"frappe.client.insert": "doc",
	"frappe.client.insert_many": "docs",
	"frappe.desk.form.save.savedocs": "doc",
}
STANDARD_TYPES = {
	"idx": "Int",
	"docstatus": "Int",
	"name": "Data",
	"owner": "Data",
	"parent": "Data",
	"parenttype": "Data",
	"parentfield": "Data",
}
WRITES = frozenset({"POST", "PUT", "PATCH"})
# parameters that name one document: Frappe loads `frappe.get_doc(doctype, <dict>)` as "the first row
# matching these filters" *before* checking permission, so a dict there answers 403 or 404 depending
# on another rep's data (an oracle that spells out any field one character at a time)
NAME_PARAMS = ("name", "docname", "doc_name", "dn", "old_name", "new_name")
DOCTYPE_PARAMS = ("doctype", "dt", "reference_doctype")
# the list view's bulk "Assign To": its `name` is a JSON list of names, each loaded as a string
NAMES_LIST_METHOD = "frappe.desk.form.assign_to.add_multiple"


def check_request() -> None:
	request = getattr(frappe, "request", None)
	if request is None:
		return
	check_names()
	if request.method not in WRITES:
		return
	parts = [unquote(p) for p in request.path.split("/") if p]
	if len(parts) >= 3 and parts[0] == "api" and (parts[1] == "resource" or parts[1:3] == ["v2", "document"]):
		doctype = parts[2] if parts[1] == "resource" else (parts[3] if len(parts) > 3 else "")
		if is_crm_doctype(doctype):
			body = frappe.form_dict.get("data", frappe.form_dict)
			check_payload(doctype, parse(body, "data"))
		return
	method = parts[-1] if len(parts) >= 3 and "method" in parts[1:3] else ""
	if method == "frappe.client.set_value":
		check_set_value()
	elif method in DOC_PARAMS:
		param = DOC_PARAMS[method]
		value = frappe.form_dict.get(param)
		if value is None:
			return
		docs = parse(value, param)
		if param == "docs" and not isinstance(docs, list):
			throw_input(_("{0} must be a list of documents").format(param))
		for doc in docs if param == "docs" else [docs]:
			if not isinstance(doc, dict):
				throw_input(_("{0} must be a document (a JSON object)").format(param))
			if is_crm_doctype(doc.get("doctype")):
				check_payload(doc["doctype"], doc)


def check_names() -> None:
	"""A CRM document is named by a string, never by filters."""
	form = frappe.form_dict
	if not any(is_crm_doctype(form.get(p)) for p in DOCTYPE_PARAMS):
		return
	for param in NAME_PARAMS:
		value = form.get(param)
		if param == "name" and called(NAMES_LIST_METHOD):
			names = parse(value, param) if isinstance(value, str) else value
			if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
				throw_input(_("{0} must be a list of document names").format(param))
		elif isinstance(value, dict | list) or (isinstance(value, str) and value.strip()[:1] in ("{", "[")):
			throw_input(_("{0} must be the name of a document").format(param))


def called(method: str) -> bool:
	"""Whether this request calls the whitelisted `method` (/api/method/<method>)."""
	parts = [unquote(p) for p in frappe.request.path.split("/") if p]
	return len(parts) >= 3 and "method" in parts[1:3] and parts[-1] == method


def parse(value, param: str):
	if isinstance(value, str):
		try:
			return json.loads(value)
		except ValueError:
			throw_input(_("{0} must be valid JSON").format(param))
	return value


def check_set_value() -> None:
	doctype = frappe.form_dict.get("doctype")
	if not is_crm_doctype(doctype):
		return
	fieldname = frappe.form_dict.get("fieldname")
	if isinstance(fieldname, str) and fieldname.strip().startswith("{"):
		check_payload(doctype, parse(fieldname, "fieldname"))
	elif isinstance(fieldname, str):
		check_payload(doctype, {fieldname: frappe.form_dict.get("value")})


def check_payload(doctype: str, data) -> None:
	if not isinstance(data, dict):
		throw_input(_("The body must be a JSON object, got {0}").format(type(data).__name__))
	meta = frappe.get_meta(doctype)
	for key, value in data.items():
		if value is None or value == "":
			continue
		df = meta.get_field(key)
		if df is None:
			fieldtype = STANDARD_TYPES.get(key)
			if fieldtype is None:
				continue  # other standard columns and unknown keys: Frappe ignores or guards them
			problem = type_problem(fieldtype, value)
		elif df.fieldtype in table_fields:
			problem = _rows_problem(df.options, value)
		elif df.fieldtype in no_value_fields:
			continue
		else:
			problem = type_problem(df.fieldtype, value, df.length)
		if problem:
			throw_input(_("{0} {1}").format(key, problem))


def _rows_problem(child_doctype: str, rows) -> str | None:
	if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
		return _("must be a list of objects")
	for row in rows:
		check_payload(child_doctype, row)
	return None
