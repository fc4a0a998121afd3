"""The desk's email composer offers a CRM User the mirrored Contacts of the CRM contacts they may read, and
no other rep's (issue 20, `crm_module/access/composer.py` behind `frappe.email.get_contact_list`). Runs
with or without ERPNext: CRM contacts are mirrored to Frappe Contacts either way."""

import frappe
from frappe.email import get_contact_list as frappe_get_contact_list

from crm_module import constants
from crm_module.access.composer import get_contact_list
from crm_module.services.integrations import erp_sync
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_contact, make_customer, manager, rep


class TestComposerRecipients(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		frappe.flags.crm_sync_test = True
		if not erp_sync.enabled():
			frappe.db.set_single_value(constants.SETTINGS, "sync_with_erpnext", 1)
		self.rep_a, self.rep_b = rep(1), rep(2)
		self.tag = TAG = frappe.generate_hash(length=6)
		self.contacts = {}
		for user, label in ((self.rep_a, "Anna"), (self.rep_b, "Bela")):
			profile = make_customer(f"Composer {label} {TAG}", ignore_permissions=True, account_owner=user)
			crm = make_contact(
				profile.name,
				f"{label}{TAG}",
				ignore_permissions=True,
				last_name=f"Mailer{TAG}",
				emails=[
					{"email_id": f"{label.lower()}.{TAG}@example.com", "is_primary": 1},
					{"email_id": f"{label.lower()}.home.{TAG}@example.com", "is_primary": 0},
				],
			)
			crm.reload()
			self.assertTrue(crm.frappe_contact)
			self.contacts[user] = crm

	def tearDown(self):
		frappe.flags.crm_sync_test = False
		frappe.set_user("Administrator")

	def offered(self, user: str, txt: str) -> list[tuple[str, str]]:
		with as_user(user):
			return [(row["value"], row["description"]) for row in get_contact_list(txt)]

	def test_a_rep_is_offered_their_contacts_mirror_and_not_another_reps(self):
		TAG = self.tag
		anna = [
			(f"anna.{TAG}@example.com", f"Anna{TAG} Mailer{TAG}"),
			(f"anna.home.{TAG}@example.com", f"Anna{TAG} Mailer{TAG}"),
		]
		# Frappe's own list offers a plain CRM User nothing (no role of theirs reads Contact)
		with as_user(self.rep_a):
			self.assertEqual(frappe_get_contact_list(f"Anna{TAG}"), [])
		self.assertEqual(self.offered(self.rep_a, f"Anna{TAG}"), anna)
		self.assertEqual(self.offered(self.rep_a, f"anna.{TAG}@exa"), anna[:1])
		mailers = self.offered(self.rep_a, f"Mailer{TAG}")
		self.assertEqual(mailers, anna)
		self.assertEqual(self.offered(self.rep_b, f"Anna{TAG}"), [])
		self.assertEqual(self.offered(self.rep_b, f"anna.{TAG}"), [])
		self.assertEqual(
			self.offered(self.rep_b, f"Bela{TAG}"),
			[
				(f"bela.{TAG}@example.com", f"Bela{TAG} Mailer{TAG}"),
				(f"bela.home.{TAG}@example.com", f"Bela{TAG} Mailer{TAG}"),
			],
		)

	def test_whoever_reads_contact_keeps_frappes_list_once(self):
		TAG = self.tag
		found = self.offered(manager(), f"Anna{TAG}")
		self.assertEqual(
			sorted(found),
			sorted(
				[
					(f"anna.{TAG}@example.com", f"Anna{TAG} Mailer{TAG}"),
					(f"anna.home.{TAG}@example.com", f"Anna{TAG} Mailer{TAG}"),
				]
			),
		)
		self.assertEqual(sorted(self.offered("Administrator", f"Anna{TAG}")), found)

	def test_a_contact_not_mirrored_is_not_offered(self):
		TAG, crm = self.tag, self.contacts[self.rep_a]
		frappe.db.set_value(constants.CONTACT, crm.name, "frappe_contact", None, update_modified=False)
		self.assertEqual(self.offered(self.rep_a, f"Anna{TAG}"), [])

	def test_recipient_filters_name_only_contact_and_its_rows(self):
		TAG = self.tag
		anna = f"anna.{TAG}@example.com"
		link = [["Dynamic Link", "link_doctype", "=", "Supplier"]]  # narrows: no mirror links a Supplier
		with as_user(self.rep_a):
			offered = get_contact_list(
				f"anna.{TAG}@exa",
				extra_filters=frappe.as_json([["Contact", "first_name", "=", f"Anna{TAG}"]]),
			)
			self.assertEqual([row["value"] for row in offered], [anna])
			self.assertEqual(get_contact_list(f"anna.{TAG}@exa", extra_filters=frappe.as_json(link)), [])
			for other in ([["User", "api_key", "like", "%"]], [["Has Role", "role", "=", "System Manager"]]):
				with self.assertRaises(frappe.ValidationError):
					get_contact_list(f"anna.{TAG}@exa", extra_filters=frappe.as_json(other))
