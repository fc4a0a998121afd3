"""Internal notes: mentions fill the table and notify once, customer derived, pinned first, timeline."""

import frappe

from crm_module import constants
from crm_module.services import notes
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


def mention_span(user: str) -> str:
	return (
		f'<span class="mention" data-id="{user}" data-value="{user}" data-denotation-char="@">@{user}</span>'
	)


class TestCRMInternalNote(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		with f.as_user(cls.rep_a):
			cls.customer = f.make_customer("Noted Co").name
			cls.contact = f.make_contact(cls.customer, "Nora").name

	def mention_logs(self, note: str, user: str) -> int:
		return frappe.db.count(
			"Notification Log",
			{"document_type": constants.NOTE, "document_name": note, "for_user": user, "type": "Mention"},
		)

	def test_parse_mentions(self):
		html = f"<p>Hi {mention_span(self.rep_b)} and @{self.boss}, ping @{self.rep_b}</p>"
		self.assertEqual(notes.parse_mentions(html), [self.rep_b, self.boss])
		self.assertEqual(notes.parse_mentions("mail me at someone@example.com"), [])

	def test_mentions_notify_each_new_user_once(self):
		with f.as_user(self.rep_a):
			note = frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": constants.CONTACT,
					"reference_name": self.contact,
					"content": f"<p>Please call back {mention_span(self.rep_b)} @nobody@example.com</p>",
				}
			).insert()
		self.assertEqual(note.customer, self.customer)
		self.assertEqual(note.title, f"Please call back @{self.rep_b} @nobody@example.com")
		self.assertEqual([m.user for m in note.mentions], [self.rep_b])
		self.assertEqual(self.mention_logs(note.name, self.rep_b), 1)
		self.assertTrue(
			frappe.db.exists(
				constants.TIMELINE,
				{"customer": self.customer, "activity_type": "Note Added", "reference_name": note.name},
			)
		)
		with f.as_user(self.rep_a):
			note.content += f"<p>also @{self.boss}</p>"
			note.save()
		self.assertEqual([m.user for m in note.mentions], [self.rep_b, self.boss])
		self.assertEqual(self.mention_logs(note.name, self.rep_b), 1)
		self.assertEqual(self.mention_logs(note.name, self.boss), 1)
		# the mentioned rep can read the note
		with f.as_user(self.rep_b):
			self.assertTrue(frappe.has_permission(constants.NOTE, "read", note.name))

	def test_pinned_first(self):
		with f.as_user(self.rep_a):
			names = [
				frappe.get_doc(
					{
						"doctype": constants.NOTE,
						"reference_doctype": constants.CUSTOMER,
						"reference_name": self.customer,
						"content": text,
					}
				)
				.insert()
				.name
				for text in ("first", "second", "third")
			]
			notes.set_pinned(names[0], True)
			listed = [n.name for n in notes.get_notes(constants.CUSTOMER, self.customer)]
			self.assertEqual(listed[:3], [names[0], names[2], names[1]])
			notes.set_pinned(names[0], False)
			self.assertEqual(
				[n.name for n in notes.get_notes(constants.CUSTOMER, self.customer)][:3], names[::-1]
			)
