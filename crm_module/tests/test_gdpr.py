"""GDPR: Frappe's Personal Data Deletion Request redacts a person's data in leads and contacts."""

import frappe

from crm_module import constants as c
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

EMAIL = "erase.me@gdpr-example.com"


class TestPersonalDataDeletion(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# the request e-mails the person; mails are only queued in tests, but queueing needs an outbox
		if not frappe.db.exists("Email Account", {"default_outgoing": 1}):
			frappe.get_doc(
				{
					"doctype": "Email Account",
					"email_account_name": "CRM GDPR Test Outbox",
					"email_id": "outbox@gdpr-example.com",
					"enable_outgoing": 1,
					"default_outgoing": 1,
					"smtp_server": "smtp.invalid",
					"no_smtp_authentication": 1,
				}
			).insert(ignore_permissions=True)

	def test_deletion_request_redacts_leads_and_contacts(self):
		lead = f.make_lead("Erase Me", email_id=EMAIL, phone="+14155550199", ignore_permissions=True).name
		customer = f.make_customer("Kept Company", ignore_permissions=True).name
		contact = f.make_contact(
			customer, "Erase", last_name="Me", emails=[{"email_id": EMAIL}], ignore_permissions=True
		).name

		# the person asking has a website account (that is how Frappe verifies the request)
		if not frappe.db.exists("User", EMAIL):
			frappe.get_doc(
				{"doctype": "User", "email": EMAIL, "first_name": "Erase", "user_type": "Website User"}
			).insert(ignore_permissions=True)
		request = frappe.get_doc({"doctype": "Personal Data Deletion Request", "email": EMAIL}).insert(
			ignore_permissions=True
		)
		request.status = "Pending Approval"
		request.save(ignore_permissions=True)
		request.trigger_data_deletion()

		lead_row = frappe.db.get_value(c.LEAD, lead, ["lead_name", "phone", "email_id"], as_dict=True)
		self.assertNotEqual(lead_row.lead_name, "Erase Me")
		self.assertNotIn("4155550199", lead_row.phone or "")
		self.assertNotIn(EMAIL, lead_row.email_id or "")
		contact_row = frappe.db.get_value(
			c.CONTACT, contact, ["first_name", "full_name", "email_id"], as_dict=True
		)
		self.assertNotEqual(contact_row.first_name, "Erase")
		self.assertNotIn(EMAIL, contact_row.email_id or "")
		self.assertFalse(frappe.db.exists("CRM Email Address", {"email_id": EMAIL}))
		# the company is not personal data and stays
		self.assertEqual(frappe.db.get_value(c.CUSTOMER, customer, "company_name"), "Kept Company")
