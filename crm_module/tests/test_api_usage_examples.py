"""The specification's five "Usage Examples", run over HTTP against the whitelisted endpoints."""

from frappe.utils import today

from crm_module import constants
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_lead, make_opportunity


class TestUsageExamples(CRMAPITestCase):
	prefix = "usage"

	def test_1_create_customer_with_profile(self):
		profile = {
			"segment": "vip",
			"lifecycleStage": "customer",
			"companyName": "Acme Corp",
			"industry": "Technology",
			"healthScore": 85,
			"engagementLevel": "high",
		}
		# the health score is the health job's: a rep cannot set it, a manager (acting for the rep) can
		self.assertFails(
			self.post("customers.post", self.rep_a, {"action": "profile", "data": profile}),
			403,
			"health_score",
		)
		created = self.assertOk(
			self.post(
				"customers.post", self.manager, {"action": "profile", "userId": self.rep_a, "data": profile}
			)
		)
		self.assertEqual(created["companyName"], "Acme Corp")
		self.assertEqual(created["lifecycleStage"], "Customer")
		self.assertEqual(created["engagementLevel"], "High")
		self.assertEqual(created["healthScore"], 85)
		self.assertEqual(created["accountOwner"], self.rep_a)
		# update the same profile by id (createOrUpdateCustomerProfile)
		updated = self.assertOk(
			self.post(
				"customers.post",
				self.rep_a,
				{"action": "profile", "customerId": created["name"], "data": {"segment": "enterprise"}},
			)
		)
		self.assertEqual(updated["segment"], "enterprise")
		self.assertEqual(
			self.count(constants.CUSTOMER, company_name="Acme Corp", account_owner=self.rep_a), 1
		)
		# v2 answers {"data": ...}
		reply = self.get("customers.get", self.rep_a, version="v2", customerId=created["name"])
		self.assertEqual(reply.status, 200, reply.text)
		self.assertEqual(reply.json["data"]["segment"], "enterprise")
		self.assertNotIn("message", reply.json)

	def test_2_record_interaction(self):
		body = {
			"customerId": self.customer_a,
			"interactionType": "call",
			"subject": "Product Demo Discussion",
			"description": "Discussed feature requirements and pricing",
			"durationMinutes": 30,
			"outcome": "positive",
			"nextStep": "Send proposal",
			"conductedBy": "John Smith",
			"sentiment": "positive",
		}
		interaction = self.assertOk(self.post("interactions.post", self.rep_a, body))
		self.assertEqual(interaction["customer"], self.customer_a)
		self.assertEqual(interaction["interactionType"], "Call")
		self.assertEqual(interaction["outcome"], "Positive")
		self.assertEqual(interaction["durationMinutes"], 30)
		self.assertEqual(interaction["conductedBy"], "John Smith")
		history = self.assertOk(self.get("interactions.get", self.rep_a, customerId=self.customer_a))
		self.assertEqual([row["name"] for row in history], [interaction["name"]])

	def test_3_create_sales_opportunity(self):
		body = {
			"action": "create",
			"data": {
				"customerId": self.customer_a,
				"name": "Enterprise License Deal",
				"value": 250000,
				"probabilityPercent": 60,
				"stage": "proposal",
				"expectedCloseDate": "2024-12-31T00:00:00.000Z",  # JSON of new Date('2024-12-31')
				"source": "inbound",
			},
		}
		opportunity = self.assertOk(self.post("opportunities.post", self.rep_a, body))
		self.assertEqual(opportunity["opportunityName"], "Enterprise License Deal")
		self.assertEqual(opportunity["stage"], "Proposal - Default")
		self.assertEqual(opportunity["pipeline"], constants.DEFAULT_PIPELINE)
		self.assertEqual(opportunity["probabilityPercent"], 60)
		self.assertEqual(opportunity["value"], 250000)
		self.assertEqual(str(opportunity["expectedCloseDate"]), "2024-12-31")
		self.assertEqual(opportunity["source"], "Inbound")
		self.assertEqual(opportunity["status"], "Open")

	def test_4_score_lead(self):
		with as_user(self.rep_a):
			lead = make_lead("Lead 789").name
		scores = {
			"engagementScore": 85,
			"fitScore": 75,
			"activityScore": 90,
			"totalScore": 250,
			"grade": "A",
			"scoringDate": today(),
		}
		score = self.assertOk(
			self.post("leads.post", self.rep_a, {"action": "score", "leadId": lead, "data": scores})
		)
		self.assertEqual((score["engagementScore"], score["fitScore"], score["activityScore"]), (85, 75, 90))
		self.assertEqual((score["totalScore"], score["grade"]), (250, "A"))
		self.assertEqual(str(score["scoringDate"]), today())
		self.assertEqual(self.count(constants.LEAD_SCORE, lead=lead), 1)

	def test_5_fetch_dashboard(self):
		# rep B's figures are this test's own (the other examples work as rep A): the committed customer
		# B, one active lead and one open deal
		with as_user(self.rep_b):
			make_lead("Usage Lead B", source="Website")
			make_opportunity(self.customer_b, "Usage deal B", 4000, "Proposal")
		reply = self.get("dashboard.get", self.rep_b, version="v2", userId=self.rep_b)
		self.assertEqual(reply.status, 200, reply.text)
		data = reply.json["data"]
		for key in (
			"totalCustomers",
			"totalLeads",
			"totalOpportunities",
			"pipelineValue",
			"conversionRate",
			"averageDealSize",
			"recentInteractions",
			"topOpportunities",
			"stagePipeline",
			"leadsBySource",
		):
			self.assertIn(key, data)
		self.assertEqual(
			[data[key] for key in ("totalCustomers", "totalLeads", "totalOpportunities", "conversionRate")],
			[1, 1, 1, 0],
		)
		self.assertEqual((data["pipelineValue"], data["averageDealSize"]), (4000, 4000))
		self.assertEqual(data["leadsBySource"], {"website": 1})
		self.assertEqual(data["stagePipeline"]["proposal"], 4000)
		self.assertEqual([o["opportunityName"] for o in data["topOpportunities"]], ["Usage deal B"])
		self.assertEqual(data["recentInteractions"], [])
		# v1 answers the same figures as {"message": ...}
		v1 = self.get("dashboard.get", self.rep_b, userId=self.rep_b)
		self.assertEqual(v1.json["message"], data)
