"""Row-level isolation: two CRM Users never see or change each other's records; managers see all."""

import frappe

from crm_module import constants
from crm_module.permissions import get_query_conditions
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


class TestRowLevelIsolation(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		with f.as_user(cls.rep_a):
			cls.customer_a = f.make_customer("Alpha Ltd").name
			cls.contact_a = f.make_contact(cls.customer_a, "Alice").name
			cls.interaction_a = f.make_interaction(cls.customer_a, "Alpha call").name
			cls.lead_a = f.make_lead("Lead of A").name
		with f.as_user(cls.rep_b):
			cls.customer_b = f.make_customer("Beta Ltd").name
			cls.contact_b = f.make_contact(cls.customer_b, "Bob").name
			cls.lead_b = f.make_lead("Lead of B").name

	def test_lists_show_only_own_records(self):
		with f.as_user(self.rep_a):
			self.assertIn(self.customer_a, frappe.get_list(constants.CUSTOMER, pluck="name"))
			self.assertNotIn(self.customer_b, frappe.get_list(constants.CUSTOMER, pluck="name"))
			self.assertEqual(frappe.get_list(constants.CONTACT, filters={"customer": self.customer_b}), [])
			self.assertNotIn(self.lead_b, frappe.get_list(constants.LEAD, pluck="name"))
		with f.as_user(self.rep_b):
			self.assertNotIn(self.customer_a, frappe.get_list(constants.CUSTOMER, pluck="name"))
			self.assertNotIn(self.interaction_a, frappe.get_list(constants.INTERACTION, pluck="name"))

	def test_reading_anothers_record_is_refused(self):
		with f.as_user(self.rep_b):
			for doctype, name in (
				(constants.CUSTOMER, self.customer_a),
				(constants.CONTACT, self.contact_a),
				(constants.INTERACTION, self.interaction_a),
				(constants.LEAD, self.lead_a),
			):
				self.assertFalse(frappe.has_permission(doctype, "read", name), f"{doctype} {name}")
				self.assertRaises(
					frappe.PermissionError, frappe.get_doc(doctype, name).check_permission, "read"
				)

	def test_changing_anothers_record_is_refused(self):
		with f.as_user(self.rep_b):
			doc = frappe.get_doc(constants.CUSTOMER, self.customer_a)
			doc.industry = "Hijacked"
			self.assertRaises(frappe.PermissionError, doc.save)
		self.assertNotEqual(frappe.db.get_value(constants.CUSTOMER, self.customer_a, "industry"), "Hijacked")

	def test_cannot_attach_records_to_anothers_customer(self):
		with f.as_user(self.rep_b):
			self.assertRaises(frappe.PermissionError, f.make_contact, self.customer_a, "Mallory")
			self.assertRaises(frappe.PermissionError, f.make_interaction, self.customer_a, "Sneaky call")
		self.assertFalse(frappe.db.exists(constants.CONTACT, {"first_name": "Mallory"}))

	def test_children_follow_their_customer(self):
		with f.as_user(self.rep_a):
			self.assertTrue(frappe.has_permission(constants.CONTACT, "read", self.contact_a))
			self.assertTrue(frappe.has_permission(constants.INTERACTION, "write", self.interaction_a))

	def test_assignment_grants_access(self):
		from frappe.desk.form.assign_to import add as assign

		with f.as_user(self.rep_a):
			lead = f.make_lead("Shared lead").name
		assign({"assign_to": [self.rep_b], "doctype": constants.LEAD, "name": lead, "description": "help"})
		with f.as_user(self.rep_b):
			self.assertIn(lead, frappe.get_list(constants.LEAD, pluck="name"))
			self.assertTrue(frappe.has_permission(constants.LEAD, "write", lead))

	def test_manager_sees_everything(self):
		with f.as_user(self.boss):
			names = frappe.get_list(constants.CUSTOMER, pluck="name")
			self.assertIn(self.customer_a, names)
			self.assertIn(self.customer_b, names)
			self.assertEqual(get_query_conditions(constants.CUSTOMER, self.boss), "")

	def test_link_search_respects_isolation(self):
		from frappe.desk.search import search_link

		with f.as_user(self.rep_b):
			results = search_link(constants.CUSTOMER, "Alpha")
			self.assertFalse([r for r in results if r.get("value") == self.customer_a])

	def test_report_view_respects_isolation(self):
		from frappe.desk.reportview import get_count

		with f.as_user(self.rep_b):
			frappe.local.form_dict = frappe._dict(
				doctype=constants.CUSTOMER, filters={"name": self.customer_a}
			)
			self.assertEqual(get_count(), 0)

	def test_assignment_match_is_exact(self):
		"""`_` and `%` in an e-mail are not LIKE wildcards: crm.a_b@ must not see what crm.aXb@ is assigned."""
		from frappe.desk.form.assign_to import add as assign

		holder = f.make_user("crm.aXb@example.com")
		lookalike = f.make_user("crm.a_b@example.com")
		with f.as_user(self.boss):
			lead = f.make_lead("Assigned exactly").name
		assign({"assign_to": [holder], "doctype": constants.LEAD, "name": lead, "description": "yours"})
		with f.as_user(holder):
			self.assertIn(lead, frappe.get_list(constants.LEAD, pluck="name"))
		with f.as_user(lookalike):
			self.assertNotIn(lead, frappe.get_list(constants.LEAD, pluck="name"))
			self.assertFalse(frappe.has_permission(constants.LEAD, "read", lead))
