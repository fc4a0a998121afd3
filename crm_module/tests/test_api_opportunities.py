"""crm_module.api.opportunities over HTTP: success, bad input, isolation."""

from crm_module import constants
from crm_module.tests.api_case import CRMAPITestCase


class TestOpportunitiesAPI(CRMAPITestCase):
	prefix = "opp"

	def create(self, user, **data):
		body = {
			"action": "create",
			"data": {"customerId": self.customer_a, "name": "Deal", "value": 1000, **data},
		}
		return self.post("opportunities.post", user, body)

	def test_create_update_list_and_pipeline(self):
		opp = self.assertOk(self.create(self.rep_a, stage="qualification"))
		self.assertEqual((opp["stage"], opp["probabilityPercent"]), ("Qualification - Default", 25))
		updated = self.assertOk(
			self.post(
				"opportunities.post",
				self.rep_a,
				{
					"action": "update",
					"opportunityId": opp["name"],
					"stage": "Closed Lost",
					"winLossReason": "price",
				},
			)
		)
		self.assertEqual((updated["status"], updated["probabilityPercent"]), ("Lost", 0))
		listed = self.assertOk(self.get("opportunities.get", self.rep_a, customerId=self.customer_a))
		self.assertEqual([row["name"] for row in listed], [opp["name"]])
		self.assertEqual(listed[0]["status"], "Lost")
		second = self.assertOk(self.create(self.rep_a, stage="proposal", value=400))
		pipeline = self.assertOk(self.get("opportunities.get", self.rep_a, version="v2"))
		stages = {row["stageName"]: row for row in pipeline["stages"]}
		self.assertEqual((stages["Proposal"]["count"], stages["Proposal"]["value"]), (1, 400))
		self.assertEqual(pipeline["totalValue"], 400)
		self.assertEqual(second["status"], "Open")

	def test_bad_input(self):
		before = self.count(constants.OPPORTUNITY)
		cases = [
			({"probabilityPercent": 101}, 400, "probabilityPercent"),
			({"probabilityPercent": -1}, 400, "probabilityPercent"),
			({"value": -10}, 400, "value"),
			({"value": "a lot"}, 400, "value"),
			({"stage": "signed"}, 400, "stage"),
			({"pipeline": "Nope"}, 400, "pipeline"),
			({"expectedCloseDate": "31/12/2024"}, 400, "expectedCloseDate"),
			({"source": "pigeon"}, 400, "source"),
			({"status": "Won"}, 400, "status"),
			({"customerId": "CRM-CUST-00000"}, 404, "customerId"),
			({"contactId": "CRM-CON-00000"}, 404, "contactId"),
			({"stage": "closed lost"}, 400, "win_loss_reason"),
		]
		for data, status, word in cases:
			with self.subTest(data=data):
				self.assertFails(self.create(self.rep_a, **data), status, word)
		body = {"action": "create", "data": {"value": 5}}
		self.assertFails(self.post("opportunities.post", self.rep_a, body), 400, "customerId")
		self.assertFails(self.post("opportunities.post", self.rep_a, {"action": "close"}), 400, "action")
		self.assertFails(
			self.post("opportunities.post", self.rep_a, {"action": "update", "value": 1}),
			400,
			"opportunityId",
		)
		self.assertFails(
			self.post(
				"opportunities.post", self.rep_a, {"action": "update", "opportunityId": "CRM-OPP-00000"}
			),
			404,
			"opportunityId",
		)
		self.assertFails(
			self.post("opportunities.post", self.rep_a, {"action": "create", "data": "{oops"}), 400, "data"
		)
		self.assertFails(
			self.get("opportunities.get", self.rep_a, customerId="CRM-CUST-00000"), 404, "customerId"
		)
		self.assertFails(self.get("opportunities.get", self.rep_a, pipeline="Nope"), 404, "pipeline")
		self.assertEqual(self.count(constants.OPPORTUNITY), before)

	def test_isolation(self):
		pipeline_a = self.assertOk(self.get("opportunities.get", self.rep_a))
		opp_b = self.assertOk(
			self.post(
				"opportunities.post",
				self.rep_b,
				{"action": "create", "customerId": self.customer_b, "name": "B deal", "value": 777},
			)
		)
		self.assertFails(self.create(self.rep_a, customerId=self.customer_b), 403, "customerId")
		reply = self.post(
			"opportunities.post", self.rep_a, {"action": "update", "opportunityId": opp_b["name"], "value": 1}
		)
		self.assertFails(reply, 403, "opportunityId")
		self.assertFails(
			self.get("opportunities.get", self.rep_a, customerId=self.customer_b), 403, "customerId"
		)
		self.assertEqual(self.assertOk(self.get("opportunities.get", self.rep_a)), pipeline_a)
		self.assertEqual(
			self.assertOk(self.get("opportunities.get", self.manager, userId=self.rep_b))["totalValue"], 777
		)
		self.assertFails(self.get("opportunities.get", self.rep_a, userId=self.rep_b), 403, "userId")
		self.assertEqual(self.get("opportunities.get", None).status, 403)
		self.assertEqual(self.count(constants.OPPORTUNITY, name=opp_b["name"], value=777), 1)

	def test_http_methods_are_enforced(self):
		self.assertEqual(self.post("opportunities.get", self.rep_a, {}).status, 403)
		self.assertEqual(self.get("opportunities.post", self.rep_a, action="create").status, 403)
