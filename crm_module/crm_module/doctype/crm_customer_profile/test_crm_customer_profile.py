import frappe

from crm_module.exceptions import CRMInputError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


class TestCRMCustomerProfile(IntegrationTestCase):
	def test_seed_example_profile(self):
		rep = f.rep(1)
		with f.as_user(rep):
			doc = f.make_customer(
				"Acme Corp",
				segment="VIP",
				lifecycle_stage="Customer",
				industry="Technology",
				engagement_level="High",
			)
		self.assertTrue(doc.name.startswith("CRM-CUST-"))
		self.assertEqual(doc.account_owner, rep, "account owner defaults to the creating user")
		self.assertEqual(doc.status, "Active")

	def test_health_score_range(self):
		with self.assertRaises(CRMInputError) as ctx:
			f.make_customer("Bad Health", health_score=101, ignore_permissions=True)
		self.assertIn("health_score", str(ctx.exception))

	def test_custom_data_must_be_an_object(self):
		self.assertRaises(
			(CRMInputError, frappe.ValidationError),
			f.make_customer,
			"Bad JSON",
			custom_data="[1, 2]",
			ignore_permissions=True,
		)
		doc = f.make_customer("Good JSON", custom_data='{"erp_id": 42}', ignore_permissions=True)
		self.assertEqual(frappe.parse_json(doc.custom_data)["erp_id"], 42)

	def test_email_and_phone_normalised(self):
		doc = f.make_customer(
			"Normal Co",
			email_id=" Sales@Normal.Example.com ",
			phone="+1 (415) 555-0101",
			ignore_permissions=True,
		)
		self.assertEqual(doc.email_id, "Sales@normal.example.com")
		self.assertEqual(doc.phone, "+14155550101")
