"""Tags on CRM documents: add/remove a tag, list a document's tags, find the documents with a tag.

`usage_count` of a CRM Tag is recounted (one UPDATE with a sub-select) whenever a CRM Tagged Item is
inserted or deleted, so it is right whichever way the item was created (service, desk, import).
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count

from crm_module import constants
from crm_module.exceptions import CRMNotFoundError
from crm_module.services.common import get_record
from crm_module.utils import throw_input


def require_taggable(doctype: str) -> None:
	if doctype not in constants.TAGGABLE_DOCTYPES:
		throw_input(
			_("Reference Document Type (reference_doctype) must be one of {0}, got {1}").format(
				", ".join(constants.TAGGABLE_DOCTYPES), doctype
			)
		)


def require_tag(tag: str) -> None:
	if not tag or not frappe.db.exists(constants.TAG, tag):
		frappe.throw(_("Tag (tag) {0} does not exist").format(frappe.bold(tag)), CRMNotFoundError)


def add_tag(doctype: str, name: str, tag: str) -> dict:
	"""Tag a document the caller can read; a second identical tag is refused (409)."""
	require_taggable(doctype)
	require_tag(tag)
	get_record(doctype, name, "name")
	item = frappe.get_doc(
		{"doctype": constants.TAGGED_ITEM, "tag": tag, "reference_doctype": doctype, "reference_name": name}
	).insert()
	return {"name": item.name, "tag": tag, "usage_count": usage_count(tag)}


def remove_tag(doctype: str, name: str, tag: str) -> dict:
	"""Remove a tag from a document (404 when the document does not carry it)."""
	require_taggable(doctype)
	get_record(doctype, name, "name")
	item = frappe.db.get_value(
		constants.TAGGED_ITEM, {"tag": tag, "reference_doctype": doctype, "reference_name": name}, "name"
	)
	if not item:
		frappe.throw(
			_("{0} {1} is not tagged {2}").format(_(doctype), frappe.bold(name), frappe.bold(tag)),
			CRMNotFoundError,
		)
	frappe.delete_doc(constants.TAGGED_ITEM, item)
	return {"tag": tag, "usage_count": usage_count(tag)}


def get_document_tags(doctype: str, name: str) -> list[dict]:
	"""The tags of one document with their colour and category, by tag name."""
	require_taggable(doctype)
	get_record(doctype, name, "name")
	item, tag = frappe.qb.DocType(constants.TAGGED_ITEM), frappe.qb.DocType(constants.TAG)
	return (
		frappe.qb.from_(item)
		.join(tag)
		.on(tag.name == item.tag)
		.select(tag.name.as_("tag"), tag.color, tag.category)
		.where((item.reference_doctype == doctype) & (item.reference_name == name))
		.orderby(tag.name)
	).run(as_dict=True)


def get_tagged_names(tag: str, doctype: str) -> list[str]:
	"""Names of the `doctype` documents tagged `tag` that the caller may see (for list-view filters)."""
	require_taggable(doctype)
	return frappe.get_list(
		constants.TAGGED_ITEM,
		filters={"tag": tag, "reference_doctype": doctype},
		pluck="reference_name",
		limit_page_length=0,
	)


def usage_count(tag: str) -> int:
	return frappe.db.get_value(constants.TAG, tag, "usage_count") or 0


def recount_usage(tags: list[str] | str) -> None:
	"""Set `usage_count` of the given tags to their number of tagged items (one UPDATE)."""
	tags = [tags] if isinstance(tags, str) else list(tags)
	if not tags:
		return
	tag, item = frappe.qb.DocType(constants.TAG), frappe.qb.DocType(constants.TAGGED_ITEM)
	count = frappe.qb.from_(item).select(Count("*")).where(item.tag == tag.name)
	frappe.qb.update(tag).set(tag.usage_count, Coalesce(count, 0)).where(tag.name.isin(tags)).run()
