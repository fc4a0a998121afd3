import frappe

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


class TestCRMContact(IntegrationTestCase):
	def setUp(self):
		self.customer = f.make_customer("Contact Test Co", ignore_permissions=True).name

	def test_emails_and_phones_are_normalised(self):
		contact = f.make_contact(
			self.customer,
			"Ada",
			last_name="Lovelace",
			emails=[{"email_id": "  Ada@Example.COM ", "email_type": "Work"}],
			phones=[
				{"phone": "(415) 555-0100", "country_code": "+1"},
				{"phone": "020 7946 0958", "country_code": "GB"},
			],
			ignore_permissions=True,
		)
		self.assertEqual(contact.full_name, "Ada Lovelace")
		self.assertEqual(contact.emails[0].email_id, "Ada@example.com")
		self.assertEqual([p.phone for p in contact.phones], ["+14155550100", "+442079460958"])
		# first row becomes primary and is mirrored on the contact for lists and search
		self.assertEqual((contact.email_id, contact.phone), ("Ada@example.com", "+14155550100"))
		self.assertTrue(contact.emails[0].is_primary)

	def test_bad_email_is_rejected_naming_the_field(self):
		with self.assertRaises(CRMInputError) as ctx:
			f.make_contact(self.customer, emails=[{"email_id": "not-an-email"}], ignore_permissions=True)
		self.assertIn("email", str(ctx.exception).lower())
		self.assertFalse(frappe.db.exists(constants.CONTACT, {"customer": self.customer}))

	def test_bad_phone_is_rejected_naming_the_field(self):
		with self.assertRaises(CRMInputError) as ctx:
			f.make_contact(self.customer, phones=[{"phone": "12"}], ignore_permissions=True)
		self.assertIn("phone", str(ctx.exception).lower())

	def test_only_one_primary_email(self):
		with self.assertRaises(CRMInputError) as ctx:
			f.make_contact(
				self.customer,
				emails=[
					{"email_id": "a@example.com", "is_primary": 1},
					{"email_id": "b@example.com", "is_primary": 1},
				],
				ignore_permissions=True,
			)
		self.assertIn("is_primary", str(ctx.exception))

	def test_duplicate_email_rows_rejected(self):
		self.assertRaises(
			CRMInputError,
			f.make_contact,
			self.customer,
			emails=[{"email_id": "a@example.com"}, {"email_id": "A@example.com"}],
			ignore_permissions=True,
		)

	def test_verified_stamps_time(self):
		contact = f.make_contact(
			self.customer, emails=[{"email_id": "v@example.com", "is_verified": 1}], ignore_permissions=True
		)
		self.assertTrue(contact.emails[0].verified_on)

	def test_one_primary_contact_per_customer(self):
		first = f.make_contact(self.customer, "First", ignore_permissions=True)
		self.assertTrue(first.is_primary, "the first contact of a customer is primary")
		second = f.make_contact(self.customer, "Second", ignore_permissions=True)
		self.assertFalse(second.is_primary)
		second.is_primary = 1
		with self.assertRaises(CRMInputError) as ctx:
			second.save(ignore_permissions=True)
		self.assertIn("is_primary", str(ctx.exception))
		first.is_primary = 0
		first.save(ignore_permissions=True)
		second.reload()
		second.is_primary = 1
		second.save(ignore_permissions=True)
		self.assertEqual(
			frappe.db.get_value(constants.CONTACT, {"customer": self.customer, "is_primary": 1}), second.name
		)
