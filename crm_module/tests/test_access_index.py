"""The access index (`crm_module.access.index`) says exactly what the rule table says, after every kind
of change: new records, reassignment, assignments opened and closed, deletes, and a full rebuild."""

import frappe
from frappe.desk.form import assign_to

from crm_module import constants
from crm_module.access import index
from crm_module.access.records import can_reach
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_contact,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	manager,
	rep,
)


def indexed(user: str) -> set[tuple[str, str]]:
	return {
		(row.record_type, row.record_name)
		for row in frappe.get_all(
			constants.RECORD_ACCESS, filters={"user": user}, fields=["record_type", "record_name"]
		)
	}


class TestAccessIndex(IntegrationTestCase):
	def setUp(self):
		self.a, self.b, self.boss = rep(31), rep(32), manager()
		with as_user(self.a):
			self.customer = make_customer("Index Co").name
			self.contact = make_contact(self.customer, "Ida").name
			self.opportunity = make_opportunity(self.customer, value=500).name
			self.on_customer = make_interaction(self.customer, subject="on customer").name
			self.lead = make_lead("Index Lead").name
			self.on_lead = (
				frappe.get_doc({"doctype": constants.INTERACTION, "lead": self.lead, "subject": "on lead"})
				.insert()
				.name
			)
		self.records = [
			(constants.CUSTOMER, self.customer),
			(constants.CONTACT, self.contact),
			(constants.OPPORTUNITY, self.opportunity),
			(constants.INTERACTION, self.on_customer),
			(constants.LEAD, self.lead),
			(constants.INTERACTION, self.on_lead),
		]
		self.records += [
			(constants.TIMELINE, name)
			for name in frappe.get_all(
				constants.TIMELINE,
				filters={"customer": self.customer},
				pluck="name",
			)
		]

	def assert_index_matches_the_rules(self):
		for user in (self.a, self.b):
			mine = indexed(user)
			for doctype, name in self.records:
				with self.subTest(user=user, record=(doctype, name)):
					self.assertEqual(
						(doctype, name) in mine, can_reach(doctype, name, user, read=False), "index vs rules"
					)

	def test_new_records_are_indexed_for_their_owner(self):
		self.assertGreaterEqual(
			len(self.records), 8
		)  # the opportunity and the interaction wrote timeline rows
		self.assertTrue({record for record in self.records} <= indexed(self.a))
		self.assertFalse({record for record in self.records} & indexed(self.b))
		self.assert_index_matches_the_rules()

	def test_a_reassigned_customer_takes_its_records_along(self):
		with as_user(self.boss):
			doc = frappe.get_doc(constants.CUSTOMER, self.customer)
			doc.account_owner = self.b
			doc.save()
		b = indexed(self.b)
		for record in [(constants.CUSTOMER, self.customer), (constants.CONTACT, self.contact)]:
			self.assertIn(record, b)
			self.assertNotIn(record, indexed(self.a))
		# the opportunity still belongs to A (its owner field), and now reaches B through the customer
		self.assertIn((constants.OPPORTUNITY, self.opportunity), indexed(self.a))
		self.assertIn((constants.OPPORTUNITY, self.opportunity), b)
		self.assert_index_matches_the_rules()

	def test_assignments_open_and_close_access(self):
		with as_user(self.boss):
			assign_to.add({"assign_to": [self.b], "doctype": constants.CUSTOMER, "name": self.customer})
		for record in [(constants.CUSTOMER, self.customer), (constants.INTERACTION, self.on_customer)]:
			self.assertIn(record, indexed(self.b))
		self.assert_index_matches_the_rules()
		with as_user(self.boss):
			assign_to.remove(constants.CUSTOMER, self.customer, self.b)
		for record in [(constants.CUSTOMER, self.customer), (constants.INTERACTION, self.on_customer)]:
			self.assertNotIn(record, indexed(self.b))
		self.assert_index_matches_the_rules()

	def test_a_lead_follows_its_assignee(self):
		"""Assigning a lead makes the assignee its owner when the owner is not assigned (issue 4)."""
		with as_user(self.boss):
			assign_to.add({"assign_to": [self.b], "doctype": constants.LEAD, "name": self.lead})
		self.assertIn((constants.INTERACTION, self.on_lead), indexed(self.b))
		self.assert_index_matches_the_rules()

	def test_a_deleted_record_leaves_the_index(self):
		frappe.delete_doc(constants.CONTACT, self.contact, ignore_permissions=True)
		self.assertNotIn((constants.CONTACT, self.contact), indexed(self.a))

	def test_rebuild_gives_the_same_rows(self):
		with as_user(self.boss):
			assign_to.add({"assign_to": [self.b], "doctype": constants.CUSTOMER, "name": self.customer})
		before = indexed(self.a), indexed(self.b)
		index.rebuild()
		self.assertEqual((indexed(self.a), indexed(self.b)), before)
		self.assert_index_matches_the_rules()
