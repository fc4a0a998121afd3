"""Service layer: dashboard figures on a hand-computed fixture, fixed query counts, seed-style payloads."""

from contextlib import contextmanager

import frappe
from frappe.utils import add_days, today

from crm_module import constants
from crm_module.exceptions import CRMInputError, CRMNotFoundError
from crm_module.services import contacts, customers, interactions, leads, opportunities
from crm_module.services.insights import scoring
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting import metrics
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import (
	as_user,
	make_customer,
	make_interaction,
	make_lead,
	make_opportunity,
	make_user,
)
from crm_module.utils import default_currency


def backdate(doctype: str, name: str, days: int, **values) -> None:
	frappe.db.set_value(
		doctype, name, {"creation": add_days(today(), -days), **values}, update_modified=False
	)
	metrics_cache.invalidate()  # direct database writes bypass the document hooks


@contextmanager
def counting_queries():
	"""Yield a list that ends up holding every query run inside the block."""
	queries: list[str] = []
	original = frappe.db.__class__.sql

	def sql(self, *args, **kwargs):
		queries.append(str(args[0]))
		return original(self, *args, **kwargs)

	frappe.db.__class__.sql = sql
	try:
		yield queries
	finally:
		frappe.db.__class__.sql = original


class TestDashboardFigures(IntegrationTestCase):
	"""Rep X's data (below) and some of rep Y's, which X must never see."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.x = make_user("crm.svc.x@example.com")
		cls.y = make_user("crm.svc.y@example.com")
		cls.mgr = make_user("crm.svc.mgr@example.com", (constants.ROLE_MANAGER,))
		with as_user(cls.mgr):  # a manager's own dashboard counts the whole site: measure it first
			cls.site_before = metrics.get_dashboard()
		with as_user(cls.x):
			# customers: C1 and C2 active, C3 inactive -> totalCustomers = 2
			c1, c2 = make_customer("X One").name, make_customer("X Two").name
			c3 = make_customer("X Three", status="Inactive").name
			# retention over the last 90 days: C1 and C3 existed before (at start = 2), C2 is new (new = 1),
			# active now = C1 + C2 = 2 -> (2 - 1) / 2 = 50.0 %
			backdate(constants.CUSTOMER, c1, 200)
			backdate(constants.CUSTOMER, c3, 200)
			# leads: 7 in all; active (New, Contacted, Qualified) = 4; converted = 1 -> 1 / 7 = 14.29 %
			for status, source in [
				("New", "Website"),
				("New", "Website"),
				("Contacted", "Referral"),
				("Qualified", ""),
				("Lost", "Event"),
				("Unqualified", "Referral"),
			]:
				make_lead(f"X {status} {source}", status=status, source=source)
			converted = make_lead("X Converted", source="Website").name
			frappe.db.set_value(constants.LEAD, converted, {"status": "Converted", "converted_customer": c1})
			# open: 1000 (Prospecting) + 3000 (Proposal, 60 %) + 500.50 (Proposal) = 4500.50 in 3 deals
			make_opportunity(c1, "X Small", 1000, "Prospecting")
			cls.big = make_opportunity(c1, "X Big", 3000, "Proposal", probability_percent=60).name
			make_opportunity(c2, "X Odd", 500.50, "Proposal")
			# closed: won 2000 (10 days) and 4000 (20 days), lost 7000 (30 days)
			for name, value, stage_name, days in [
				("X Won A", 2000, "Closed Won", 10),
				("X Won B", 4000, "Closed Won", 20),
				("X Lost", 7000, "Closed Lost", 30),
			]:
				opp = make_opportunity(c2, name, value, stage_name, win_loss_reason="price")
				backdate(constants.OPPORTUNITY, opp.name, days, actual_close_date=today())
			# interactions, newest first: today, yesterday, 2 days ago
			for days, subject in [(2, "oldest"), (0, "newest"), (1, "middle")]:
				make_interaction(c1, subject, interaction_date=add_days(today(), -days) + " 10:00:00")
		with as_user(cls.y):
			cy = make_customer("Y Corp").name
			make_lead("Y Lead", source="Website")
			make_opportunity(cy, "Y Huge", 99999, "Negotiation")
			make_interaction(cy, "Y call")

	def test_dashboard_of_rep_x_is_exact(self):
		with as_user(self.x):
			data = metrics.get_dashboard()
		self.assertEqual(data["total_customers"], 2)
		self.assertEqual(data["active_leads"], 4)
		self.assertEqual(data["open_opportunities"], 3)
		self.assertEqual(data["pipeline_value"], 4500.50)
		self.assertEqual(data["average_open_deal_size"], 1500.17)  # 4500.50 / 3 = 1500.1666...
		self.assertEqual(data["conversion_rate"], 14.29)  # 1 / 7 x 100 = 14.2857...
		# only active leads, so the values add up to active_leads (4)
		self.assertEqual(data["leads_by_source"], {"website": 2, "referral": 1, "unknown": 1})
		# every open stage of every pipeline is listed; other pipelines on the site (a demo's) hold none of X's
		expected = {"prospecting": 1000.0, "qualification": 0.0, "proposal": 3500.50, "negotiation": 0.0}
		self.assertEqual({k: v for k, v in data["stage_pipeline"].items() if k in expected}, expected)
		self.assertEqual(sum(data["stage_pipeline"].values()), 4500.50)
		self.assertEqual(
			[o["opportunity_name"] for o in data["top_opportunities"]], ["X Big", "X Small", "X Odd"]
		)
		top = data["top_opportunities"][0]
		self.assertEqual((top["stage"], top["probability_percent"], top["value"]), ("Proposal", 60, 3000.0))
		self.assertEqual([i["subject"] for i in data["recent_interactions"]], ["newest", "middle", "oldest"])
		self.assertEqual(data["recent_interactions"][0]["customer_name"], "X One")
		conversion = data["conversion_metrics"]
		self.assertEqual(conversion["lead_to_customer_rate"], 14.29)
		self.assertEqual(conversion["win_rate"], 66.67)  # 2 won / (2 won + 1 lost)
		self.assertEqual(conversion["average_won_deal_size"], 3000.0)  # (2000 + 4000) / 2 won
		self.assertEqual(conversion["average_sales_cycle_days"], 20.0)  # (10 + 20 + 30) / 3 closed
		# 3 open x 66.67 % x 3000 / 20 days = 300.015 -> 300.02 per day
		self.assertEqual(conversion["pipeline_velocity"], 300.02)
		self.assertEqual(conversion["customer_retention_rate"], 50.0)
		# opportunities without a currency take the site's default one
		self.assertEqual(data["currencies"], [default_currency()])
		self.assertFalse(data["mixed_currencies"])

	def test_manager_sees_the_reps_dashboard_and_more_of_their_own(self):
		with as_user(self.x):
			as_rep = metrics.get_dashboard()
		with as_user(self.mgr):
			self.assertEqual(metrics.get_dashboard(self.x), as_rep)
			own = metrics.get_dashboard()
		# the site's open deals before the fixture, plus X's 3 (4500.50) and Y's 1 (99999)
		self.assertEqual(own["open_opportunities"], self.site_before["open_opportunities"] + 3 + 1)
		self.assertAlmostEqual(
			own["pipeline_value"], self.site_before["pipeline_value"] + 4500.50 + 99999, places=2
		)
		with as_user(self.y):
			self.assertEqual(metrics.get_dashboard()["pipeline_value"], 99999.0)

	def test_mixed_currencies_are_flagged(self):
		with as_user(self.x):
			frappe.db.set_value(constants.OPPORTUNITY, self.big, "currency", "EUR")
			frappe.db.set_value(constants.OPPORTUNITY, {"opportunity_name": "X Small"}, "currency", "USD")
			metrics_cache.invalidate()  # direct database writes bypass the document hooks
			data = metrics.get_dashboard()
			pipeline = opportunities.get_sales_pipeline()
		self.assertTrue(data["mixed_currencies"])
		# the other deals carry the site currency (USD here, INR on a fresh ERPNext site)
		self.assertEqual(data["currencies"], sorted({"EUR", "USD", default_currency()}))
		self.assertTrue(pipeline["mixed_currencies"])

	def test_sales_pipeline_breakdown(self):
		with as_user(self.x):
			pipeline = opportunities.get_sales_pipeline()
		rows = {row.stage_name: row for row in pipeline["stages"]}
		self.assertEqual(list(rows), ["Prospecting", "Qualification", "Proposal", "Negotiation"])
		self.assertEqual((rows["Proposal"]["count"], float(rows["Proposal"]["value"])), (2, 3500.50))
		# forecast: 3000 x 60 % + 500.50 x 50 % (stage default) = 1800 + 250.25
		self.assertEqual(float(rows["Proposal"]["forecast"]), 2050.25)
		self.assertEqual(float(pipeline["total_value"]), 4500.50)
		self.assertEqual(pipeline["pipeline"], constants.DEFAULT_PIPELINE)

	def test_conversion_metrics_and_leads_by_source_alone(self):
		with as_user(self.x):
			self.assertEqual(metrics.get_leads_by_source(), {"website": 2, "referral": 1, "unknown": 1})
			self.assertEqual(metrics.get_conversion_metrics()["win_rate"], 66.67)
			# a window that excludes everything created before today: only C2, the 3 open deals, ...
			window = metrics.get_aggregates(None, from_date=today())
		self.assertEqual(window["total_customers"], 1)
		self.assertEqual(window["won_count"], 0)  # the closed deals were created 10-30 days ago


class TestDashboardQueryCount(IntegrationTestCase):
	def fill(self, user: str, n: int) -> None:
		with as_user(user):
			customer = make_customer(f"Q {user}").name
			for i in range(n):
				make_lead(f"Q lead {i}", source="Website" if i % 2 else "Referral")
				make_opportunity(customer, f"Q deal {i}", 100 + i, "Proposal" if i % 2 else "Prospecting")
				make_interaction(customer, f"Q call {i}")

	def measure(self, user: str) -> int:
		"""Queries of a cold dashboard (the figures computed, not read from the cache)."""
		with as_user(user):
			metrics.compute_dashboard()  # warm caches (roles, defaults, meta)
			with counting_queries() as queries:
				metrics.compute_dashboard()
			# 6 aggregates, and for a rep two bounded probes of the access index (how many interactions
			# and opportunities the rep reaches decides how the latest and the largest are read)
			with self.assertQueryCount(8):
				metrics.compute_dashboard()
		return len(queries)

	def test_warm_reads_come_from_the_cache_and_any_write_shows_at_once(self):
		rep = make_user("crm.cache.rep@example.com")
		self.fill(rep, 2)
		with as_user(rep):
			cold = metrics.get_dashboard()
			with counting_queries() as queries:
				warm = metrics.get_dashboard()
			self.assertEqual(warm, cold)
			self.assertLessEqual(len(queries), 1, queries)  # at most the read-permission check
			make_lead("Cache buster", source="Website")
			self.assertEqual(metrics.get_dashboard()["active_leads"], cold["active_leads"] + 1)
		other = make_user("crm.cache.other@example.com")
		with as_user(other):  # per user: another rep's cached figures are never served
			self.assertEqual(metrics.get_dashboard()["active_leads"], 0)

	def test_same_number_of_queries_for_5_and_50_records(self):
		small, large = make_user("crm.q5@example.com"), make_user("crm.q50@example.com")
		self.fill(small, 5)
		self.fill(large, 50)
		self.assertEqual(self.measure(small), self.measure(large))


class TestSeedPayloads(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = make_user("crm.svc.a@example.com")
		cls.b = make_user("crm.svc.b@example.com")
		with as_user(cls.a):
			cls.customer = make_customer("Payload Corp").name
		with as_user(cls.b):
			cls.other = make_customer("Other Corp").name

	def test_contact_with_lists_of_emails_and_phones(self):
		with as_user(self.a):
			contact = contacts.create_contact(
				self.customer,
				{
					"firstName": "Ada",
					"lastName": "Lovelace",
					"emails": ["ADA@Acme.com", {"email": "ada@home.org", "type": "personal"}],
					"phones": [{"phone": "+1 415 555 0100", "type": "office", "isPrimary": True}],
				},
			)
			self.assertEqual(contact["full_name"], "Ada Lovelace")
			self.assertEqual([e["email_id"] for e in contact["emails"]], ["ADA@acme.com", "ada@home.org"])
			self.assertEqual(contact["emails"][1]["email_type"], "Personal")
			self.assertEqual(contact["email_id"], "ADA@acme.com")  # first row becomes primary
			self.assertEqual(contact["phones"][0]["phone_type"], "Office")
			updated = contacts.update_contact(contact["name"], {"email": "ada@new.io", "jobTitle": "CTO"})
			self.assertEqual([e["email_id"] for e in updated["emails"]], ["ada@new.io"])
			listed = contacts.get_contacts(self.customer)
		self.assertEqual([row["name"] for row in listed], [contact["name"]])
		self.assertEqual(listed[0]["job_title"], "CTO")
		self.assertEqual(len(listed[0]["phones"]), 1)

	def test_opportunity_stage_mapping_and_update(self):
		with as_user(self.a):
			opp = opportunities.create_opportunity(
				{"customerId": self.customer, "name": "Deal", "value": 10, "stage": "NEGOTIATION"}
			)
			self.assertEqual((opp["stage"], opp["probability_percent"]), ("Negotiation - Default", 75))
			moved = opportunities.update_opportunity(opp["name"], {"stage": "closed won"})
			self.assertEqual((moved["status"], moved["probability_percent"]), ("Won", 100))
			first = opportunities.create_opportunity({"customerId": self.customer, "name": "D2", "value": 1})
			self.assertEqual(first["stage"], "Prospecting - Default")
			with self.assertRaisesRegex(CRMInputError, "stage"):
				opportunities.create_opportunity(
					{"customerId": self.customer, "name": "D3", "value": 1, "stage": "won-ish"}
				)
			self.assertEqual(
				[o["name"] for o in opportunities.get_opportunities_by_customer(self.customer)],
				[first["name"], opp["name"]],  # open first
			)

	def test_invalid_payloads_write_nothing(self):
		before = frappe.db.count(constants.OPPORTUNITY)
		cases = [
			(
				{"customerId": self.customer, "name": "D", "value": 1, "probabilityPercent": 120},
				"probabilityPercent",
			),
			({"customerId": self.customer, "name": "D", "value": -5}, "value"),
			({"customerId": self.customer, "name": "D", "value": "lots"}, "value"),
			({"customerId": self.customer, "name": "D", "value": 1, "colour": "red"}, "colour"),
			({"customerId": self.customer, "name": "D", "value": 1, "status": "Won"}, "status"),
			(
				{"customerId": self.customer, "name": "D", "value": 1, "expectedCloseDate": "soon"},
				"expectedCloseDate",
			),
			({"name": "D", "value": 1}, "customerId"),
		]
		with as_user(self.a):
			for payload, word in cases:
				with self.subTest(word=word), self.assertRaisesRegex(CRMInputError, word):
					opportunities.create_opportunity(payload)
			with self.assertRaisesRegex(CRMNotFoundError, "customerId"):
				opportunities.create_opportunity({"customerId": "CRM-CUST-NOPE", "name": "D", "value": 1})
			with self.assertRaisesRegex(frappe.PermissionError, "customerId"):
				opportunities.create_opportunity({"customerId": self.other, "name": "D", "value": 1})
		self.assertEqual(frappe.db.count(constants.OPPORTUNITY), before)

	def test_interactions_and_history_limit(self):
		with as_user(self.a):
			for i in range(3):
				interactions.record_interaction(
					{"customerId": self.customer, "type": "email", "subject": f"s{i}", "sentiment": "neutral"}
				)
			self.assertEqual(len(interactions.get_interaction_history(self.customer, limit=2)), 2)
			with self.assertRaisesRegex(CRMInputError, "limit"):
				interactions.get_interaction_history(self.customer, limit=0)
			with self.assertRaisesRegex(CRMInputError, "customerId"):
				interactions.record_interaction({"subject": "orphan"})
			with self.assertRaisesRegex(frappe.PermissionError, "customerId"):
				interactions.get_interaction_history(self.other)

	def test_leads_and_scoring(self):
		with as_user(self.a):
			lead = leads.create_lead({"name": "Grace", "email": "grace@navy.mil", "source": "website"})
			self.assertEqual((lead["lead_owner"], lead["source"]), (self.a, "Website"))
			leads.update_lead(lead["name"], {"status": "contacted"})
			self.assertEqual([row.name for row in leads.get_leads("Contacted")], [lead["name"]])
			self.assertEqual(leads.get_leads("lost"), [])
			score = scoring.score_lead(
				lead["name"], {"engagementScore": 85, "fitScore": 75, "activityScore": 90}
			)
			self.assertEqual((score["total_score"], score["grade"]), (250, "A"))
			self.assertEqual(frappe.db.get_value(constants.LEAD, lead["name"], "latest_grade"), "A")
			for bad, word in [
				({"engagementScore": 101, "fitScore": 1, "activityScore": 1}, "engagement_score"),
				({"engagementScore": 85, "fitScore": 75, "activityScore": 90, "grade": "E"}, "grade"),
				({"mood": 3}, "mood"),
			]:
				with self.subTest(word=word), self.assertRaisesRegex(CRMInputError, word):
					scoring.score_lead(lead["name"], bad)
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": lead["name"]}), 1)

	def test_customer_profile_create_update_and_isolation(self):
		with as_user(self.a):
			with self.assertRaisesRegex(frappe.PermissionError, "health_score"):
				customers.create_or_update_customer_profile(
					None, {"companyName": "Scored Co", "healthScore": 85}
				)
		with as_user(make_user("crm.svc.mgr@example.com", (constants.ROLE_MANAGER,))):
			profile = customers.create_or_update_customer_profile(
				None, {"companyName": "Seed Co", "lifecycleStage": "customer", "healthScore": 85}, user=self.a
			)
		with as_user(self.a):
			self.assertEqual((profile["lifecycle_stage"], profile["account_owner"]), ("Customer", self.a))
			customers.create_or_update_customer_profile(profile["name"], {"industry": "Tech"})
			self.assertEqual(customers.get_customer_profile(profile["name"])["industry"], "Tech")
			# the health job maintains the score: a rep cannot change it afterwards
			with self.assertRaisesRegex(frappe.PermissionError, "health_score"):
				customers.create_or_update_customer_profile(profile["name"], {"healthScore": 40})
		with as_user(make_user("crm.svc.mgr@example.com", (constants.ROLE_MANAGER,))):
			with self.assertRaisesRegex(CRMInputError, "health_score"):
				customers.create_or_update_customer_profile(profile["name"], {"healthScore": 101})
		self.assertEqual(frappe.db.get_value(constants.CUSTOMER, profile["name"], "health_score"), 85)
		with as_user(self.a):
			with self.assertRaises(frappe.PermissionError):
				customers.get_customer_profile(self.other)
			with self.assertRaises(frappe.PermissionError):
				customers.create_or_update_customer_profile(self.other, {"industry": "Hacked"})
		self.assertIsNone(frappe.db.get_value(constants.CUSTOMER, self.other, "industry"))
