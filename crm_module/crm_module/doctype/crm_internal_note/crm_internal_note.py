# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""An internal note on a CRM document: mentions notify, the customer is derived, a timeline entry is added."""

from frappe import _
from frappe.model.document import Document
from frappe.utils import strip_html

from crm_module import constants
from crm_module.services.notes import customer_of, existing_users, notify_mentions, parse_mentions
from crm_module.services.tags import require_taggable
from crm_module.services.timeline import record_activity_timeline


class CRMInternalNote(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_note_mention.crm_note_mention import CRMNoteMention

		content: DF.TextEditor
		customer: DF.Link | None
		is_pinned: DF.Check
		mentions: DF.TableMultiSelect[CRMNoteMention]
		note_type: DF.Literal["General", "Call", "Meeting", "Follow-up", "Important"]
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		title: DF.Data | None
	# end: auto-generated types

	def validate(self):
		require_taggable(self.reference_doctype)
		self.customer = customer_of(self.reference_doctype, self.reference_name)
		if not (self.title or "").strip():
			text = " ".join(strip_html(self.content or "").split())
			self.title = (text[:77] + "...") if len(text) > 80 else text or _("Note")
		self.set_mentions()

	def set_mentions(self):
		"""Mentions = users picked in the table plus users mentioned in the content (enabled users only)."""
		picked = [row.user for row in self.mentions if row.user]
		users = existing_users(list(dict.fromkeys(picked + parse_mentions(self.content))))
		self.set("mentions", [{"user": user} for user in users])

	def after_insert(self):
		lead = self.reference_name if self.reference_doctype == constants.LEAD else None
		if self.customer or lead:
			record_activity_timeline(
				customer=self.customer,
				lead=lead,
				activity_type="Note Added",
				title=_("Note: {0}").format(self.title),
				reference_doctype=self.doctype,
				reference_name=self.name,
				is_important=self.note_type == "Important" or bool(self.is_pinned),
				metadata={"note_type": self.note_type, "on": [self.reference_doctype, self.reference_name]},
			)

	def on_update(self):
		before = self.get_doc_before_save()
		previous = {row.user for row in before.mentions} if before else set()
		notify_mentions(self, [row.user for row in self.mentions if row.user not in previous])
