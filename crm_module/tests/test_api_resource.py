"""Frappe's auto REST API (/api/resource, /api/v2/document) under the row-level isolation."""

import json

import frappe
from frappe.utils import today

from crm_module import constants
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_contact, make_interaction, make_lead, make_opportunity


def records_of(rep: str, customer: str) -> dict[str, str]:
	"""One record of each main doctype belonging to `rep` (through `customer` where it has a parent)."""
	with as_user(rep):
		lead = make_lead(f"Lead of {rep}").name
		opportunity = make_opportunity(customer, f"Deal of {rep}", 100).name
		records = {
			constants.CUSTOMER: customer,
			constants.CONTACT: make_contact(customer, "Ada").name,
			constants.INTERACTION: make_interaction(customer, f"Call of {rep}").name,
			constants.OPPORTUNITY: opportunity,
			constants.LEAD: lead,
		}
	score = {"doctype": constants.LEAD_SCORE, "lead": lead, "grade": "B", "scoring_date": today()}
	score.update(engagement_score=70, fit_score=60, activity_score=70, total_score=200)
	records[constants.LEAD_SCORE] = frappe.get_doc(score).insert(ignore_permissions=True).name
	deal_stage = frappe.db.get_value(constants.DEAL_STAGE, {"opportunity": opportunity})
	if deal_stage:  # written by the opportunity controller on its first stage
		records[constants.DEAL_STAGE] = deal_stage
	return records


class TestResourceAPI(CRMAPITestCase):
	prefix = "res"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = records_of(cls.rep_a, cls.customer_a)
		cls.b = records_of(cls.rep_b, cls.customer_b)
		frappe.db.commit()

	def listed(self, doctype: str, user: str) -> set[str]:
		reply = self.get("frappe.client.get_list", user, doctype=doctype, limit_page_length=0)
		via_resource = self.call("GET", f"/api/resource/{doctype}", user, params={"limit_page_length": 0})
		self.assertEqual(via_resource.status, 200, via_resource.text[:500])
		names = {row["name"] for row in via_resource.json["data"]}
		self.assertEqual(names, {row["name"] for row in self.assertOk(reply)})
		return names

	def test_lists_show_only_own_rows(self):
		for doctype in self.a:
			with self.subTest(doctype=doctype):
				seen_by_a = self.listed(doctype, self.rep_a)
				self.assertIn(self.a[doctype], seen_by_a)
				self.assertNotIn(self.b[doctype], seen_by_a)
				self.assertLessEqual({self.a[doctype], self.b[doctype]}, self.listed(doctype, self.manager))

	def test_get_of_a_foreign_record_is_403(self):
		for doctype in self.a:
			with self.subTest(doctype=doctype):
				for path in (
					f"/api/resource/{doctype}/{self.b[doctype]}",
					f"/api/v2/document/{doctype}/{self.b[doctype]}",
				):
					self.assertEqual(self.call("GET", path, self.rep_a).status, 403, path)
				own = self.call("GET", f"/api/resource/{doctype}/{self.a[doctype]}", self.rep_a)
				self.assertEqual(own.status, 200, own.text[:500])
				as_manager = self.call("GET", f"/api/v2/document/{doctype}/{self.b[doctype]}", self.manager)
				self.assertEqual(as_manager.json["data"]["name"], self.b[doctype])
				self.assertEqual(
					self.call("GET", f"/api/resource/{doctype}/{self.a[doctype]}", None).status, 403
				)

	def test_writes_to_foreign_records_are_refused(self):
		reply = self.call(
			"PUT",
			f"/api/resource/{constants.OPPORTUNITY}/{self.b[constants.OPPORTUNITY]}",
			self.rep_a,
			body={"value": 1},
		)
		self.assertEqual(reply.status, 403, reply.text[:500])
		reply = self.call(
			"POST",
			f"/api/resource/{constants.CONTACT}",
			self.rep_a,
			body={"customer": self.customer_b, "first_name": "Spy"},
		)
		self.assertEqual(reply.status, 403, reply.text[:500])
		reply = self.call("DELETE", f"/api/resource/{constants.LEAD}/{self.b[constants.LEAD]}", self.rep_a)
		self.assertEqual(reply.status, 403, reply.text[:500])
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.b[constants.OPPORTUNITY], "value"), 100
		)
		self.assertEqual(self.count(constants.CONTACT, customer=self.customer_b), 1)
		self.assertTrue(frappe.db.exists(constants.LEAD, self.b[constants.LEAD]))

	def test_own_records_can_be_created_through_resource(self):
		body = {"customer": self.customer_a, "first_name": "Grace", "emails": [{"email_id": "grace@a.io"}]}
		reply = self.call("POST", f"/api/resource/{constants.CONTACT}", self.rep_a, body=body)
		self.assertEqual(reply.status, 200, reply.text[:500])
		self.assertEqual(json.loads(reply.text)["data"]["email_id"], "grace@a.io")
