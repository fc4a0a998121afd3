"""The access policy, rule by rule, on documents (the HTTP matrix in test_permission_matrix.py covers
the paths): access follows owner fields and open assignments, writes are judged on the stored record,
grants (ToDo, share, file, tag) need write access, system fields are the app's."""

import frappe
from frappe.desk.form.assign_to import add as assign
from frappe.desk.form.assign_to import remove as unassign

from crm_module import constants
from crm_module.access.conditions import get_query_conditions
from crm_module.exceptions import CRMInputError, CRMProtectedFieldError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


def visible(doctype: str, name: str) -> bool:
	return name in frappe.get_list(doctype, filters={"name": name}, pluck="name")


class TestAccessRules(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		cls.plain = f.make_user("crm.plain.desk@example.com", ("Blogger",))
		with f.as_user(cls.rep_a):
			cls.customer = f.make_customer("Rules Alpha").name
			cls.contact = f.make_contact(
				cls.customer, "Rita", emails=[{"email_id": "rita@alpha.example.com"}]
			).name
			cls.lead = f.make_lead("Rules Lead").name

	def test_new_records_belong_to_their_creator(self):
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, self.customer, "account_owner"), self.rep_a)
		self.assertEqual(frappe.db.get_value(constants.LEAD, self.lead, "lead_owner"), self.rep_a)

	def test_a_rep_cannot_give_a_new_record_to_someone_else(self):
		with f.as_user(self.rep_b), self.assertRaisesRegex(CRMProtectedFieldError, "account_owner"):
			f.make_customer("Gift Ltd", account_owner=self.rep_a)
		self.assertFalse(frappe.db.exists(constants.CUSTOMER, {"company_name": "Gift Ltd"}))

	def test_owner_fields_change_only_by_a_manager(self):
		with f.as_user(self.rep_a):
			doc = frappe.get_doc(constants.CUSTOMER, self.customer)
			doc.account_owner = self.rep_b
			self.assertRaisesRegex(CRMProtectedFieldError, "account_owner", doc.save)
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, self.customer, "account_owner"), self.rep_a)

	def test_an_edit_is_judged_on_the_stored_record(self):
		"""rep B writes itself into A's customer: the hook sees the stored owner, not the edit."""
		with f.as_user(self.rep_b):
			doc = frappe.get_doc(constants.CUSTOMER, self.customer)
			doc.account_owner = self.rep_b
			doc.industry = "Hijacked"
			self.assertRaises(frappe.PermissionError, doc.save)
			doc = frappe.get_doc(constants.CUSTOMER, self.customer)
			doc._assign = frappe.as_json([self.rep_b])
			self.assertFalse(doc.has_permission("write"))
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, self.customer, ["account_owner", "industry"]),
			(self.rep_a, None),
		)

	def test_the_creator_keeps_nothing_after_reassignment(self):
		with f.as_user(self.rep_a):
			customer = f.make_customer("Handed Over").name
			contact = f.make_contact(customer, "Hank").name
		with f.as_user(self.boss):
			doc = frappe.get_doc(constants.CUSTOMER, customer)
			doc.account_owner = self.rep_b
			doc.save()
		with f.as_user(self.rep_a):
			self.assertFalse(frappe.has_permission(constants.CUSTOMER, "read", customer))
			self.assertFalse(frappe.has_permission(constants.CONTACT, "read", contact))
			self.assertFalse(visible(constants.CONTACT, contact))
		with f.as_user(self.rep_b):
			self.assertTrue(visible(constants.CONTACT, contact))

	def test_system_fields_are_the_apps(self):
		for doctype, name, fieldname, value in (
			(constants.CUSTOMER, self.customer, "health_score", 99),
			(constants.CUSTOMER, self.customer, "source_lead", self.lead),
			(constants.LEAD, self.lead, "latest_score", 250),
			(constants.LEAD, self.lead, "converted_customer", self.customer),
			(constants.CUSTOMER, self.customer, "_assign", '["crm.rep2@example.com"]'),
		):
			with self.subTest(fieldname=fieldname), f.as_user(self.rep_a):
				doc = frappe.get_doc(doctype, name)
				doc.set(fieldname, value)
				self.assertRaisesRegex(CRMProtectedFieldError, fieldname, doc.save)
		with f.as_user(self.rep_a), self.assertRaisesRegex(CRMProtectedFieldError, "conversion_probability"):
			f.make_lead("Pre-scored", conversion_probability=100)

	def test_field_types_are_checked_before_anything_is_written(self):
		with f.as_user(self.rep_a):
			for fieldname, value in (
				("annual_revenue", "abc"),
				("industry", {"nested": 1}),
				("description", "x" * 70000),
				("custom_data", "{not json"),
			):
				with self.subTest(fieldname=fieldname):
					doc = frappe.get_doc(constants.CUSTOMER, self.customer)
					doc.set(fieldname, value)
					self.assertRaisesRegex(CRMInputError, fieldname, doc.save)
			with self.assertRaisesRegex(CRMInputError, "follow_up_date"):
				f.make_lead("Bad date", follow_up_date="2024-13-45")

	def test_assignment_grants_while_open_and_only_from_someone_who_may_write(self):
		with f.as_user(self.rep_a):
			customer = f.make_customer("Assigned Co").name
		with f.as_user(self.rep_b):
			self.assertRaises(
				frappe.PermissionError,
				frappe.get_doc(
					{
						"doctype": "ToDo",
						"allocated_to": self.rep_b,
						"reference_type": constants.CUSTOMER,
						"reference_name": customer,
						"description": "mine now",
					}
				).insert,
			)
			self.assertRaises(
				frappe.PermissionError,
				assign,
				{"assign_to": [self.rep_b], "doctype": constants.CUSTOMER, "name": customer},
			)
			self.assertFalse(visible(constants.CUSTOMER, customer))
		with f.as_user(self.rep_a):
			assign({"assign_to": [self.rep_b], "doctype": constants.CUSTOMER, "name": customer})
		self.assertFalse(
			frappe.db.exists("DocShare", {"share_doctype": constants.CUSTOMER, "share_name": customer})
		)
		with f.as_user(self.rep_b):
			self.assertTrue(visible(constants.CUSTOMER, customer))
			self.assertTrue(frappe.has_permission(constants.CUSTOMER, "write", customer))
		with f.as_user(self.rep_a):
			unassign(constants.CUSTOMER, customer, self.rep_b)
		with f.as_user(self.rep_b):
			self.assertFalse(visible(constants.CUSTOMER, customer))
			self.assertFalse(frappe.has_permission(constants.CUSTOMER, "read", customer))
			# re-opening the cancelled ToDo does not bring the access back
			todo = frappe.get_doc("ToDo", {"reference_name": customer, "allocated_to": self.rep_b})
			todo.status = "Open"
			self.assertRaises(frappe.PermissionError, todo.save)

	def test_crm_users_cannot_share(self):
		from frappe.share import add as share

		with f.as_user(self.rep_a):
			self.assertRaises(frappe.PermissionError, share, constants.CUSTOMER, self.customer, self.rep_b)
		self.assertFalse(frappe.db.exists("DocShare", {"share_name": self.customer, "user": self.rep_b}))

	def test_mentions_let_read_not_write(self):
		with f.as_user(self.rep_a):
			note = frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": constants.CUSTOMER,
					"reference_name": self.customer,
					"content": "Ask @crm.rep2@example.com",
					"mentions": [{"user": self.rep_b}],
				}
			).insert()
		with f.as_user(self.rep_b):
			self.assertTrue(frappe.has_permission(constants.NOTE, "read", note.name))
			self.assertTrue(visible(constants.NOTE, note.name))
			self.assertFalse(frappe.has_permission(constants.NOTE, "write", note.name))

	def test_child_rows_follow_their_parent(self):
		with f.as_user(self.rep_b):
			rows = frappe.get_list(
				constants.EMAIL_ADDRESS,
				parent_doctype=constants.CONTACT,
				fields=["email_id"],
				filters={"parent": self.contact},
			)
			self.assertEqual(rows, [])
		with f.as_user(self.rep_a):
			rows = frappe.get_list(
				constants.EMAIL_ADDRESS, parent_doctype=constants.CONTACT, fields=["email_id"]
			)
			self.assertIn("rita@alpha.example.com", [r.email_id for r in rows])

	def private_file(self, file_name: str, content: str):
		return frappe.get_doc(
			{
				"doctype": "File",
				"file_name": file_name,
				"content": content,
				"attached_to_doctype": constants.CUSTOMER,
				"attached_to_name": self.customer,
				"is_private": 1,
			}
		)

	def test_files_follow_the_record(self):
		with f.as_user(self.rep_b):
			self.assertRaises(frappe.PermissionError, self.private_file("planted.txt", "x").insert)
		with f.as_user(self.rep_a):
			mine = self.private_file("contract.txt", "secret terms").insert()
		with f.as_user(self.rep_b):
			self.assertFalse(frappe.has_permission("File", "read", mine.name))
			self.assertEqual(frappe.get_list("File", filters={"attached_to_name": self.customer}), [])

	def test_users_without_a_crm_role_see_nothing(self):
		self.assertEqual(get_query_conditions(constants.CUSTOMER, self.plain), "(1=0)")
		with f.as_user(self.plain):
			self.assertRaises(frappe.PermissionError, frappe.get_list, constants.CUSTOMER)
			self.assertFalse(frappe.has_permission(constants.CUSTOMER, "read", self.customer))


class TestErasureIsNotBlocked(IntegrationTestCase):
	def test_deleting_the_only_score_rows_then_their_parents(self):
		lead = f.make_lead("Only Score", ignore_permissions=True).name
		score = frappe.get_doc(
			{
				"doctype": constants.LEAD_SCORE,
				"lead": lead,
				"scoring_date": frappe.utils.today(),
				"engagement_score": 10,
				"fit_score": 10,
				"activity_score": 10,
			}
		).insert(ignore_permissions=True)
		customer = f.make_customer("Only Health", ignore_permissions=True).name
		health = frappe.get_doc(
			{
				"doctype": constants.HEALTH_SCORE,
				"customer": customer,
				"score_date": frappe.utils.today(),
				"health_score": 50,
				"engagement_score": 50,
				"activity_score": 50,
				"satisfaction_score": 50,
			}
		).insert(ignore_permissions=True)
		frappe.delete_doc(constants.LEAD_SCORE, score.name, ignore_permissions=True)
		frappe.delete_doc(constants.HEALTH_SCORE, health.name, ignore_permissions=True)
		self.assertEqual(frappe.db.get_value(constants.LEAD, lead, "latest_score"), 0)
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, customer, "health_score"), 0)
		frappe.delete_doc(constants.LEAD, lead, ignore_permissions=True)
		frappe.delete_doc(constants.CUSTOMER, customer, ignore_permissions=True)
		self.assertFalse(
			frappe.db.exists(constants.LEAD, lead) or frappe.db.exists(constants.CUSTOMER, customer)
		)
