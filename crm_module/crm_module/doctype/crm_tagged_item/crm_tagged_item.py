# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A tag on one CRM document; keeps its tag's usage count right on insert, retag and delete."""

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.exceptions import CRMConflictError, CRMNotFoundError
from crm_module.services.tags import recount_usage, require_tag, require_taggable


class CRMTaggedItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		tag: DF.Link
	# end: auto-generated types

	def validate(self):
		require_taggable(self.reference_doctype)
		require_tag(self.tag)
		lock_tags(self.tag, (self.get_doc_before_save() or frappe._dict()).tag)
		if not frappe.db.exists(self.reference_doctype, self.reference_name):
			frappe.throw(
				_("{0} {1} not found (reference_name)").format(
					_(self.reference_doctype), self.reference_name
				),
				CRMNotFoundError,
			)
		clash = frappe.db.exists(
			constants.TAGGED_ITEM,
			{
				"tag": self.tag,
				"reference_doctype": self.reference_doctype,
				"reference_name": self.reference_name,
				"name": ("!=", self.name),
			},
		)
		if clash:
			frappe.throw(
				_("{0} {1} is already tagged {2}").format(
					_(self.reference_doctype), frappe.bold(self.reference_name), frappe.bold(self.tag)
				),
				CRMConflictError,
				title=_("Already Tagged"),
			)

	def on_update(self):
		before = self.get_doc_before_save()
		recount_usage({self.tag, before.tag} if before else {self.tag})

	def on_trash(self):
		lock_tags(self.tag)

	def after_delete(self):
		recount_usage(self.tag)


def lock_tags(*tags: str | None) -> None:
	"""Take the tag rows' write locks before touching their items: concurrent taggings of one tag then
	queue on that row (and each recount sees the others' rows) instead of deadlocking on index gaps."""
	names = sorted({tag for tag in tags if tag})  # always in the same order
	if names:
		frappe.db.sql(
			f"select `name` from `tab{constants.TAG}` where `name` in %(names)s order by `name` for update",
			{"names": names},
		)


def on_doctype_update():
	frappe.db.add_index(constants.TAGGED_ITEM, ["reference_doctype", "reference_name"], "reference_index")
	frappe.db.add_unique(
		constants.TAGGED_ITEM, ["tag", "reference_doctype", "reference_name"], "unique_tag_item"
	)
