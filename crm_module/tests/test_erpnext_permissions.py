"""ERPNext hand-offs under ERPNext's permissions (crm_module/services/integrations/erpnext_handoff.py).

The ERPNext Customer of a converted lead and the Quotation / Sales Order of a won opportunity are made by
the rep whose action leads to them, with ERPNext's permission checks: a rep with only the CRM User role
gets neither (the conversion and the won opportunity still save, the record's timeline says why in plain
words, nothing of the ERPNext side is left); a rep who also has ERPNext's Sales User role gets them, as
their owner. A refusal after part of the ERPNext side was written (the Customer made, the Quotation
refused) leaves none of it. Runs on a site with ERPNext; elsewhere it skips and says why."""

from unittest.mock import patch

import frappe

from crm_module import constants
from crm_module.services.conversion import convert_lead
from crm_module.services.integrations import erpnext_handoff
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_lead, make_opportunity, make_user, stage
from crm_module.tests.test_migrations import ensure_erpnext_basics

TAG = frappe.generate_hash(length=6)


def comments(doctype: str, name: str) -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": doctype, "reference_name": name, "comment_type": "Info"},
		pluck="content",
		order_by="creation asc",
	)


class TestERPNextHandOffPermissions(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.installed = "erpnext" in frappe.get_installed_apps()

	def setUp(self):
		if not self.installed:
			self.skipTest("ERPNext is not installed on this site")
		frappe.set_user("Administrator")
		self.basics = ensure_erpnext_basics()
		# a rep with the CRM role only, and one who may also sell in ERPNext
		self.crm_only = make_user(f"crm.handoff.plain.{TAG}@example.com", (constants.ROLE_USER,))
		self.seller = make_user(f"crm.handoff.seller.{TAG}@example.com", (constants.ROLE_USER, "Sales User"))
		self.settings(create_erpnext_customer=1, erpnext_won_document="Quotation")

	def settings(self, **values) -> None:
		values.setdefault("erpnext_deal_item", self.basics.item)
		for field, value in values.items():
			frappe.db.set_single_value(constants.SETTINGS, field, value)

	# ------------------------------------------------------------------ lead conversion

	def convert_as(self, user: str, company: str) -> dict:
		with as_user(user):
			lead = make_lead(f"Milton {TAG}", company_name=company).name
			return convert_lead(lead)

	def test_a_rep_without_an_erpnext_role_converts_but_gets_no_erpnext_customer(self):
		company = f"Initrode Plain {TAG}"
		result = self.convert_as(self.crm_only, company)
		self.assertIsNone(result["erpnext_customer"])
		self.assertFalse(frappe.db.exists("Customer", {"customer_name": company}))
		self.assertEqual(frappe.db.get_value(constants.LEAD, result["lead"], "status"), "Converted")
		profile = frappe.db.get_value(
			constants.CUSTOMER, result["customer"], ["company_name", "erpnext_customer"]
		)
		self.assertEqual(tuple(profile), (company, None))
		expected = (
			f"No ERPNext Customer was made for {company}: {self.crm_only} is not allowed to create an "
			"ERPNext Customer (ERPNext's permissions: a role such as Sales User allows it)."
		)
		self.assertEqual(result["erpnext_note"], expected)
		self.assertEqual(comments(constants.LEAD, result["lead"]), [expected])
		self.assertEqual(comments(constants.CUSTOMER, result["customer"]), [expected])

	def test_a_sales_user_converts_and_owns_the_erpnext_customer(self):
		company = f"Initrode Seller {TAG}"
		result = self.convert_as(self.seller, company)
		self.assertIsNone(result["erpnext_note"])
		customer = frappe.db.get_value(
			"Customer", result["erpnext_customer"], ["customer_name", "owner"], as_dict=True
		)
		self.assertEqual((customer.customer_name, customer.owner), (company, self.seller))
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, result["customer"], "erpnext_customer"),
			result["erpnext_customer"],
		)
		self.assertEqual(comments(constants.LEAD, result["lead"]), [])

	# ------------------------------------------------------------------ won opportunity

	def win_as(self, user: str, company: str, erpnext_customer: str | None = None):
		"""The rep's own customer and opportunity, then the rep saves it as won."""
		with as_user(user):
			customer = make_customer(company).name
			if erpnext_customer:
				frappe.db.set_value(constants.CUSTOMER, customer, "erpnext_customer", erpnext_customer)
			opp = make_opportunity(customer, f"Deal {company}", 1234.5)
			opp.reload()
			opp.stage = stage("Closed Won")
			opp.save()
		opp.reload()
		return opp

	def test_a_rep_without_an_erpnext_role_wins_but_drafts_no_quotation(self):
		company = f"Initech Plain {TAG}"
		erpnext_name = (
			frappe.get_doc({"doctype": "Customer", "customer_name": company, "customer_type": "Company"})
			.insert(ignore_permissions=True)
			.name
		)
		opp = self.win_as(self.crm_only, company, erpnext_name)
		self.assertEqual((opp.status, opp.erpnext_sales_document), ("Won", None))
		self.assertEqual(frappe.db.count("Quotation", {"party_name": erpnext_name}), 0)
		self.assertEqual(
			comments(constants.OPPORTUNITY, opp.name),
			[
				f"No ERPNext Quotation drafted for this won opportunity: {self.crm_only} is not allowed to "
				"create an ERPNext Quotation (ERPNext's permissions: a role such as Sales User allows it)."
			],
		)

	def test_a_sales_user_wins_and_owns_the_draft_and_its_customer(self):
		company = f"Initech Seller {TAG}"
		opp = self.win_as(self.seller, company)  # no ERPNext Customer yet: made on the way
		self.assertEqual(opp.erpnext_sales_doctype, "Quotation")
		quotation = frappe.db.get_value(
			"Quotation", opp.erpnext_sales_document, ["owner", "party_name", "docstatus"], as_dict=True
		)
		erpnext_name = frappe.db.get_value("Customer", {"customer_name": company}, "name")
		self.assertEqual(
			(quotation.owner, quotation.party_name, quotation.docstatus), (self.seller, erpnext_name, 0)
		)
		self.assertEqual(frappe.db.get_value("Customer", erpnext_name, "owner"), self.seller)
		self.assertEqual(
			comments(constants.OPPORTUNITY, opp.name),
			[f"Draft ERPNext Quotation {opp.erpnext_sales_document} made for this won opportunity."],
		)

	def test_a_refused_draft_leaves_no_erpnext_customer_behind(self):
		"""The Customer is made first, then ERPNext refuses the Quotation: the Customer goes too."""
		company = f"Initech Half {TAG}"
		values = erpnext_handoff.sales_document_values

		def without_items(*args):
			return {**values(*args), "items": []}

		frappe.local.message_log = []
		with patch.object(erpnext_handoff, "sales_document_values", side_effect=without_items):
			opp = self.win_as(self.seller, company)
		self.assertEqual((opp.status, opp.erpnext_sales_document), ("Won", None))
		self.assertFalse(frappe.db.exists("Customer", {"customer_name": company}))
		self.assertFalse(frappe.db.get_value(constants.CUSTOMER, opp.customer, "erpnext_customer"))
		(note,) = comments(constants.OPPORTUNITY, opp.name)
		self.assertTrue(
			note.startswith("No ERPNext Quotation drafted for this won opportunity: ERPNext refused it ("),
			note,
		)
		self.assertEqual(frappe.local.message_log, [])  # ERPNext's own error popup is not shown

	def test_a_deadlock_in_the_hand_off_is_not_swallowed(self):
		company = f"Initech Locked {TAG}"
		with (
			patch.object(
				erpnext_handoff, "sales_document_values", side_effect=frappe.QueryDeadlockError("deadlock")
			),
			self.assertRaises(frappe.QueryDeadlockError),
		):
			self.win_as(self.seller, company)
