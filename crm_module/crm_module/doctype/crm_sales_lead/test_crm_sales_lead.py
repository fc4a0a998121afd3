"""Leads: duplicate guard (warn/block), hand assignment keeps lead_owner in sync, conversion-only status."""

import frappe
from frappe.desk.form import assign_to

from crm_module import constants
from crm_module.exceptions import CRMDuplicateError, CRMInputError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


class TestCRMSalesLead(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		# an address of this run only: duplicates left on a shared site by other runs must not count
		cls.email = f"dana.{frappe.generate_hash(length=8)}@dup.example.com"
		with f.as_user(cls.rep_a):
			cls.lead = f.make_lead("Dana Dup", email_id=cls.email, phone="+14155550170").name
			cls.customer = f.make_customer("Dup Co").name

	def tearDown(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
		frappe.clear_messages()

	def test_duplicate_warns_naming_the_existing_lead(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
		frappe.clear_messages()
		with f.as_user(self.rep_a):
			dup = f.make_lead("Dana Again", email_id=self.email.replace("@dup", "@DUP"))
		self.assertTrue(dup.name)
		messages = " ".join(m.get("message", "") for m in frappe.get_message_log())
		self.assertIn(self.lead, messages)

	def test_duplicate_message_does_not_name_records_the_caller_cannot_see(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Warn")
		frappe.clear_messages()
		with f.as_user(self.rep_b):
			dup = f.make_lead("Dana Elsewhere", email_id=self.email)
		self.assertTrue(dup.name)
		messages = " ".join(m.get("message", "") for m in frappe.get_message_log())
		self.assertNotIn(self.lead, messages)
		self.assertNotIn("Dana Dup", messages)
		self.assertIn("a record you cannot see", messages)
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Block")
		with f.as_user(self.rep_b), self.assertRaises(CRMDuplicateError) as caught:
			f.make_lead("Dana Blocked", phone="+14155550170")
		self.assertNotIn(self.lead, str(caught.exception))

	def test_duplicate_blocked_for_leads_and_contacts(self):
		frappe.db.set_single_value(constants.SETTINGS, "duplicate_policy", "Block")
		leads, contacts = frappe.db.count(constants.LEAD), frappe.db.count(constants.CONTACT)
		with f.as_user(self.rep_a):
			with self.assertRaises(CRMDuplicateError) as ctx:
				f.make_lead("Phone Twin", phone="(415) 555-0170")
			self.assertIn(self.lead, str(ctx.exception))
			with self.assertRaises(CRMDuplicateError):
				f.make_contact(self.customer, "Dana", emails=[{"email_id": self.email}])
		self.assertEqual(
			(frappe.db.count(constants.LEAD), frappe.db.count(constants.CONTACT)), (leads, contacts)
		)
		# saving the existing lead unchanged is not a duplicate of itself
		frappe.get_doc(constants.LEAD, self.lead).save()

	def test_hand_assignment_and_owner_change_stay_in_sync(self):
		with f.as_user(self.rep_a):
			lead = f.make_lead("Hand Assigned").name
		assign_to.add(
			{"assign_to": [self.rep_b], "doctype": constants.LEAD, "name": lead, "description": "take it"}
		)
		self.assertEqual(frappe.db.get_value(constants.LEAD, lead, "lead_owner"), self.rep_b)
		with f.as_user(self.boss):
			doc = frappe.get_doc(constants.LEAD, lead)
			doc.lead_owner = self.rep_a
			doc.save()
		todos = frappe.get_all(
			"ToDo", filters={"reference_name": lead, "status": "Open"}, pluck="allocated_to"
		)
		self.assertEqual(todos, [self.rep_a])
		self.assertEqual(frappe.db.get_value(constants.LEAD, lead, "lead_owner"), self.rep_a)
		self.assertEqual(
			frappe.db.count(
				"Notification Log", {"for_user": self.rep_a, "document_name": lead, "type": "Assignment"}
			),
			1,
		)

	def test_converted_only_through_conversion(self):
		doc = frappe.get_doc(constants.LEAD, self.lead)
		doc.status = "Converted"
		self.assertRaises(CRMInputError, doc.save)
		self.assertEqual(frappe.db.get_value(constants.LEAD, self.lead, "status"), "New")
