"""The HTTP test base class cleans up by name: what its fixtures, its tests and the requests they make
inserted is deleted when the class ends; a record someone else inserted meanwhile stays, even one that
took over a name the class had rolled back."""

import unittest

import frappe

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_opportunity


def exists(doctype: str, name: str) -> bool:
	return bool(frappe.db.exists(doctype, name))


class TestCleanupByName(IntegrationTestCase):
	def test_the_class_deletes_what_it_made_and_nothing_else(self):
		seen = {}

		class Probe(CRMAPITestCase):
			prefix = "probe"

			def test_make_records(self):
				seen["fixtures"] = (self.customer_a, self.customer_b)
				reply = self.call(
					"POST",
					f"/api/resource/{constants.CUSTOMER}",
					self.rep_a,
					body={"company_name": "Probe Web"},
				)
				seen["http"] = self.assertOk(reply)["name"]
				with as_user(self.rep_a):
					seen["opportunity"] = make_opportunity(self.customer_a, "Probe deal", 10).name
				frappe.db.commit()
				# a refused write gives its name back; another person's insert then takes that name
				seen["rolled_back"] = make_customer("Probe rolled back", ignore_permissions=True).name
				frappe.db.rollback()
				self.created.stop()  # as in another process: not recorded
				try:
					seen["foreign"] = make_customer("Someone else's Co", ignore_permissions=True).name
					frappe.db.commit()
				finally:
					self.created.start()

		result = unittest.TestResult()
		unittest.defaultTestLoader.loadTestsFromTestCase(Probe).run(result)
		if "foreign" in seen:
			self.addCleanup(self.remove, seen["foreign"])
		self.assertTrue(result.wasSuccessful(), result.errors + result.failures)

		self.assertTrue(exists(constants.CUSTOMER, seen["foreign"]), "another person's record was deleted")
		self.assertEqual(seen["foreign"], seen["rolled_back"], "the name guard was not exercised")
		for customer in (*seen["fixtures"], seen["http"]):
			self.assertFalse(exists(constants.CUSTOMER, customer), customer)
		self.assertFalse(exists(constants.OPPORTUNITY, seen["opportunity"]))
		for doctype, field in ((constants.DEAL_STAGE, "opportunity"), (constants.TIMELINE, "reference_name")):
			self.assertEqual(frappe.db.count(doctype, {field: seen["opportunity"]}), 0, doctype)
		self.assertEqual(Probe.deleted[constants.CUSTOMER], 3)
		made = [*seen["fixtures"], seen["http"], seen["opportunity"]]
		self.assertEqual(frappe.db.count(constants.RECORD_ACCESS, {"record_name": ("in", made)}), 0)

	@staticmethod
	def remove(customer: str) -> None:
		frappe.db.delete(constants.CUSTOMER, {"name": customer})
		access_index.forget(constants.CUSTOMER, [customer])
		frappe.db.commit()
