"""GDPR: Frappe's Personal Data Deletion Request erases a person from every CRM table (and the Version
history), Personal Data Download returns the same records."""

import re

import frappe
from frappe.desk.form.assign_to import add as assign

from crm_module import constants
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

EMAIL = "erase.me@gdpr-example.com"


def ensure_outbox_and_admin() -> None:
	"""Deletion mails the person (queued in tests: needs an outbox) and disables their user (Frappe
	refuses that on a site without any System Manager besides Administrator)."""
	f.make_user("crm.gdpr.sysmgr@example.com", ("System Manager",))
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


def remove_outbox() -> None:
	"""A default outgoing account left behind would make later suites send (and commit) every
	notification they queue."""
	if frappe.db.exists("Email Account", "CRM GDPR Test Outbox"):
		frappe.delete_doc("Email Account", "CRM GDPR Test Outbox", force=True, ignore_permissions=True)
		frappe.db.commit()


def request_deletion(email: str) -> None:
	"""The person asks (a website account is how Frappe verifies them), a manager approves, Frappe erases."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": "Subject", "user_type": "Website User"}
		).insert(ignore_permissions=True)
	request = frappe.get_doc({"doctype": "Personal Data Deletion Request", "email": email}).insert(
		ignore_permissions=True
	)
	request.status = "Pending Approval"
	request.save(ignore_permissions=True)
	request.trigger_data_deletion()


def hits(strings: set[str]) -> list[str]:
	"""Every (table.column: string) where a CRM table, Version, ToDo, Notification Log or Comment still
	holds one of `strings` (case-insensitive)."""
	tables = [
		f"tab{dt}"
		for dt in frappe.get_all("DocType", filters={"module": constants.MODULE, "issingle": 0}, pluck="name")
	]
	tables += ["tabVersion", "tabToDo", "tabNotification Log", "tabComment", "tabDeleted Document"]
	columns = frappe.db.sql(
		"""select table_name, column_name from information_schema.columns
		where table_schema = database() and table_name in %(tables)s
			and data_type in ('char', 'varchar', 'text', 'mediumtext', 'longtext', 'json')""",
		{"tables": tables},
	)
	found = []
	for table, column in columns:
		for value in strings:
			if frappe.db.sql(
				f"select 1 from `{table}` where `{column}` like %(value)s limit 1", {"value": f"%{value}%"}
			):
				found.append(f"{table}.{column}: {value}")
	return found


class TestPersonalDataDeletion(IntegrationTestCase):
	@classmethod
	def tearDownClass(cls):
		remove_outbox()
		super().tearDownClass()

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_outbox_and_admin()

	def test_deletion_request_redacts_leads_and_contacts(self):
		lead = f.make_lead("Erase Me", email_id=EMAIL, phone="+14155550199", ignore_permissions=True).name
		customer = f.make_customer("Kept Company", ignore_permissions=True).name
		contact = f.make_contact(
			customer, "Erase", last_name="Me", emails=[{"email_id": EMAIL}], ignore_permissions=True
		).name

		request_deletion(EMAIL)

		lead_row = frappe.db.get_value(constants.LEAD, lead, ["lead_name", "phone", "email_id"], as_dict=True)
		self.assertNotEqual(lead_row.lead_name, "Erase Me")
		self.assertNotIn("4155550199", lead_row.phone or "")
		self.assertNotIn(EMAIL, lead_row.email_id or "")
		contact_row = frappe.db.get_value(
			constants.CONTACT, contact, ["first_name", "full_name", "email_id"], as_dict=True
		)
		self.assertNotEqual(contact_row.first_name, "Erase")
		self.assertNotIn(EMAIL, contact_row.email_id or "")
		self.assertFalse(frappe.db.exists(constants.EMAIL_ADDRESS, {"email_id": EMAIL}))
		# the company is not personal data and stays
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, customer, "company_name"), "Kept Company")


def make_person() -> dict:
	"""Strings unique to this run (a site may keep what an earlier run committed)."""
	token = frappe.generate_hash(length=6).lower()
	digits = str(int(token, 36) % 10_000).zfill(4)
	return {
		"first": f"Zephyrine{token}",
		"last": f"Quillfeather{token}",
		"email": f"zephyrine.{token}@erase-example.com",
		"email2": f"zq.{token}@erase-example.com",
		"phone": f"+1415555{digits}",
		"phone2": f"+1415556{digits}",
	}


class TestErasureLeavesNoTrace(IntegrationTestCase):
	"""A person across lead -> conversion -> contact with 2 emails and 2 phones -> interactions, notes,
	assignments; after erasure, none of their strings is anywhere in CRM data or its history."""

	@classmethod
	def tearDownClass(cls):
		remove_outbox()
		super().tearDownClass()

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_outbox_and_admin()
		cls.rep, cls.colleague = f.rep(1), f.rep(2)
		cls.person = make_person()

	def build_person(self) -> dict:
		p = self.person
		full = f"{p['first']} {p['last']}"
		with f.as_user(self.rep):
			lead = f.make_lead(
				full, company_name="Erasure Test Co", email_id=p["email"], phone=p["phone"]
			).name
			f.make_interaction(
				None, f"Intro call with {p['first']}", lead=lead, description=f"{full} wants a demo"
			)
			frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": constants.LEAD,
					"reference_name": lead,
					"content": f"{p['first']} asked for pricing, reach her at {p['email']}",
					"mentions": [{"user": self.colleague}],
				}
			).insert()
			assign(
				{
					"assign_to": [self.rep],
					"doctype": constants.LEAD,
					"name": lead,
					"description": f"Call {full}",
				}
			)
			from crm_module.services.conversion import convert_lead

			result = convert_lead(lead, create_opportunity=True)
			contact = frappe.get_doc(constants.CONTACT, result["contact"])
			contact.append("emails", {"email_id": p["email2"]})
			contact.append("phones", {"phone": p["phone2"]})
			contact.save()
			f.make_interaction(
				result["customer"],
				f"Meeting with {full}",
				contact=contact.name,
				next_step=f"Send {p['last']} the contract",
			)
		return result

	def test_download_then_erase(self):
		result = self.build_person()
		p = self.person
		strings = {
			f"{p['first']} {p['last']}",
			p["first"],
			p["last"],
			p["email"],
			p["email2"],
			p["phone"],
			p["phone2"],
		}
		strings |= {s.lstrip("+") for s in strings if s.startswith("+")}
		self.assertTrue(hits(strings), "the fixture must leave traces for the test to mean anything")

		# Personal Data Download returns the CRM records of the person
		if not frappe.db.exists("User", p["email"]):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": p["email"],
					"first_name": p["first"],
					"user_type": "Website User",
				}
			).insert(ignore_permissions=True)
		download = frappe.get_doc({"doctype": "Personal Data Download Request", "user": p["email"]}).insert(
			ignore_permissions=True
		)
		file = frappe.get_last_doc(
			"File", filters={"attached_to_name": download.name, "file_name": ("like", "%CRM%")}
		)
		exported = frappe.parse_json(file.get_content())
		self.assertEqual([row["name"] for row in exported[constants.LEAD]], [result["lead"]])
		self.assertIn(result["contact"], [row["name"] for row in exported[constants.CONTACT]])
		self.assertEqual(len(exported[constants.INTERACTION]), 2)
		frappe.delete_doc("File", file.name, ignore_permissions=True, force=True)

		request_deletion(p["email"])

		self.assertEqual(hits(strings), [])
		# the records stay (aggregates: a converted lead, a customer, an opportunity), anonymised
		self.assertEqual(frappe.db.get_value(constants.LEAD, result["lead"], "status"), "Converted")
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, result["customer"], "company_name"), "Erasure Test Co"
		)
		self.assertEqual(frappe.db.count(constants.EMAIL_ADDRESS, {"parent": result["contact"]}), 0)
		self.assertTrue(
			re.match("Anonymized", frappe.db.get_value(constants.CONTACT, result["contact"], "full_name"))
		)
