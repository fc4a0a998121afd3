"""crm_module.api.customer_360.get over HTTP: everything about a customer in one read, for whoever may read
the customer, and nothing at all for anyone else."""

import json

import frappe
from frappe.utils import add_days, nowdate

from crm_module import constants
from crm_module.services.insights import health
from crm_module.tests import factories as f
from crm_module.tests.api_case import CRMAPITestCase

METHOD = "customer_360.get"


class TestCustomer360(CRMAPITestCase):
	prefix = "c360"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.plain = f.make_user("crm.c360.plain@example.com", ("Blogger",))
		cls.tokens[cls.plain] = cls.api_token(cls.plain)
		with f.as_user(cls.rep_a):
			cls.contact = f.make_contact(cls.customer_a, "Ada", last_name="Secret", is_primary=1).name
			cls.opportunity = f.make_opportunity(
				cls.customer_a, "C360 secret deal", 1234, stage_name="Proposal"
			).name
			f.make_opportunity(cls.customer_a, "C360 won deal", 99, stage_name="Closed Won")
			cls.pinned = (
				frappe.get_doc(
					{
						"doctype": constants.NOTE,
						"title": "C360 pinned plan",
						"is_pinned": 1,
						"reference_doctype": constants.CUSTOMER,
						"reference_name": cls.customer_a,
						"content": "<p>Renewal <b>strategy</b></p>",
					}
				)
				.insert()
				.name
			)
			frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"title": "C360 loose note",
					"reference_doctype": constants.CUSTOMER,
					"reference_name": cls.customer_a,
					"content": "not pinned",
				}
			).insert()
			cls.interaction = f.make_interaction(
				cls.customer_a,
				"C360 kickoff call",
				next_step="Send the C360 proposal",
				next_step_date=add_days(nowdate(), 2),
			).name
		cls.todo = (
			frappe.get_doc(
				{
					"doctype": "ToDo",
					"allocated_to": cls.rep_a,
					"reference_type": constants.OPPORTUNITY,
					"reference_name": cls.opportunity,
					"date": add_days(nowdate(), 5),
					"description": "C360 security questionnaire",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		for days_ago in (400, 60, 10, 0):
			health.record_health_score(cls.customer_a, add_days(nowdate(), -days_ago))
		frappe.db.commit()

	def test_the_owner_gets_the_whole_picture(self):
		data = self.assertOk(self.get(METHOD, self.rep_a, customer=self.customer_a))
		self.assertEqual((data["customer"], data["company_name"]), (self.customer_a, "c360 A Corp"))

		# health: the latest score with factors and recommendations, a year of daily history oldest first
		latest = data["health"]["latest"]
		self.assertEqual(latest["score_date"], nowdate())
		self.assertEqual(
			set(latest["factors"]) >= {"engagement", "activity", "satisfaction", "weights"}, True
		)
		self.assertIsInstance(latest["recommendations"], list)
		history = [row["score_date"] for row in data["health"]["history"]]
		self.assertEqual(history, [add_days(nowdate(), -d) for d in (60, 10, 0)])  # 400 days is too old
		self.assertEqual(data["health"]["days"], 365)
		ninety = self.assertOk(self.get(METHOD, self.rep_a, customer=self.customer_a, days=30))
		self.assertEqual(len(ninety["health"]["history"]), 2)

		# open opportunities only, with the stage's place in the pipeline
		(opportunity,) = data["opportunities"]
		self.assertEqual(opportunity["name"], self.opportunity)
		self.assertEqual(
			(opportunity["stage_name"], opportunity["step"], opportunity["steps"], opportunity["progress"]),
			("Proposal", 3, 5, 60),  # Prospecting, Qualification, Proposal, Negotiation, Closed Won
		)
		self.assertEqual(
			opportunity["currency"], frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "currency")
		)
		self.assertEqual(data["opportunity_counts"], {"Open": 1, "Won": 1, "Lost": 0})

		self.assertEqual([c["name"] for c in data["contacts"]], [self.contact])
		self.assertEqual(data["contacts"][0]["is_primary"], 1)

		self.assertEqual([n["title"] for n in data["pinned_notes"]], ["C360 pinned plan"])
		self.assertEqual(data["pinned_notes"][0]["text"], "Renewal strategy")

		# the timeline, newest first, with the interaction's type for its icon
		kinds = {row["activity_type"] for row in data["timeline"]}
		self.assertTrue({"Interaction", "Opportunity Created", "Note Added"} <= kinds, kinds)
		call = next(row for row in data["timeline"] if row["reference_name"] == self.interaction)
		self.assertEqual(call["interaction_type"], "Call")
		dates = [row["activity_date"] for row in data["timeline"]]
		self.assertEqual(dates, sorted(dates, reverse=True))

		# follow-ups: the interaction's next step and the open ToDo on the opportunity, soonest first
		self.assertEqual(
			[(row["kind"], row["name"]) for row in data["follow_ups"]],
			[("next_step", self.interaction), ("todo", self.todo)],
		)
		self.assertEqual(data["follow_ups"][1]["reference_title"], "C360 secret deal")

	def test_a_manager_reads_it_too(self):
		data = self.assertOk(self.get(METHOD, self.manager, customer=self.customer_a))
		self.assertEqual(data["customer"], self.customer_a)

	def test_nobody_else_sees_anything(self):
		secrets = (
			"c360 A Corp",
			"C360 secret deal",
			"C360 pinned plan",
			"Secret",
			"C360 kickoff",
			"C360 security",
		)
		for user in (self.rep_b, self.plain, None):
			reply = self.get(METHOD, user, customer=self.customer_a)
			self.assertEqual(reply.status, 403, f"{user}: {reply.text[:500]}")
			for secret in secrets:
				self.assertNotIn(secret, reply.text, user)
		# rep B reads their own customer, and only that
		own = self.assertOk(self.get(METHOD, self.rep_b, customer=self.customer_b))
		self.assertNotIn("C360 secret deal", json.dumps(own))

	def test_errors(self):
		self.assertFails(self.get(METHOD, self.rep_a, customer="CRM-CUST-99999"), 404, "customer")
		self.assertFails(self.get(METHOD, self.rep_a), 400, "customer is required")
		# GET only
		self.assertEqual(self.post(METHOD, self.rep_a, {"customer": self.customer_a}).status, 403)
