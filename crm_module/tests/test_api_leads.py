"""crm_module.api.leads over HTTP: success, bad input, isolation."""

from crm_module import constants
from crm_module.tests.api_case import CRMAPITestCase

SCORES = {"engagementScore": 85, "fitScore": 75, "activityScore": 90}


class TestLeadsAPI(CRMAPITestCase):
	prefix = "lead"

	def create(self, user, **data):
		return self.post("leads.post", user, {"action": "create", "data": {"name": "Grace", **data}})

	def test_create_update_list_and_score(self):
		lead = self.assertOk(self.create(self.rep_a, email="grace@navy.mil", source="referral"))
		self.assertEqual((lead["leadOwner"], lead["source"], lead["status"]), (self.rep_a, "Referral", "New"))
		self.assertOk(
			self.post(
				"leads.post", self.rep_a, {"action": "update", "leadId": lead["name"], "status": "qualified"}
			)
		)
		self.assertEqual(
			[row["name"] for row in self.assertOk(self.get("leads.get", self.rep_a, status="Qualified"))],
			[lead["name"]],
		)
		new = self.assertOk(self.get("leads.get", self.rep_a, status="new"))
		self.assertNotIn(lead["name"], [row["name"] for row in new])
		self.assertTrue(all(row["status"] == "New" for row in new))
		score = self.assertOk(
			self.post("leads.post", self.rep_a, {"action": "score", "leadId": lead["name"], **SCORES})
		)
		self.assertEqual((score["totalScore"], score["grade"]), (250, "A"))

	def test_bad_input(self):
		lead = self.assertOk(self.create(self.rep_a))["name"]
		before = (self.count(constants.LEAD), self.count(constants.LEAD_SCORE))
		cases = [
			({"action": "create", "data": {"email": "x@y.z"}}, 400, "lead_name"),
			({"action": "create", "data": {"name": "X", "status": "Hot"}}, 400, "status"),
			({"action": "create", "data": {"name": "X", "followUpDate": "tomorrow"}}, 400, "followUpDate"),
			({"action": "create", "data": {"name": "X", "latestScore": 99}}, 400, "latestScore"),
			({"action": "create", "data": "{]"}, 400, "data"),
			({"action": "update", "status": "new"}, 400, "leadId"),
			({"action": "update", "leadId": "CRM-LEAD-00000", "status": "new"}, 404, "leadId"),
			({"action": "update", "leadId": lead, "status": "Converted"}, 400, "status"),
			({"action": "score", "leadId": lead, **SCORES, "fitScore": 120}, 400, "fit_score"),
			({"action": "score", "leadId": lead, **SCORES, "activityScore": -1}, 400, "activity_score"),
			({"action": "score", "leadId": lead, **SCORES, "grade": "E"}, 400, "grade"),
			({"action": "score", "leadId": lead, **SCORES, "grade": "C"}, 400, "grade"),
			({"action": "score", "leadId": lead, **SCORES, "scoringDate": "yesterday"}, 400, "scoring_date"),
			({"action": "score", "leadId": lead, **SCORES, "luck": 7}, 400, "luck"),
			({"action": "score", **SCORES}, 400, "leadId"),
			({"action": "promote", "leadId": lead}, 400, "action"),
		]
		for body, status, word in cases:
			with self.subTest(body=body):
				self.assertFails(self.post("leads.post", self.rep_a, body), status, word)
		self.assertFails(self.get("leads.get", self.rep_a, status="Sleeping"), 400, "status")
		self.assertEqual((self.count(constants.LEAD), self.count(constants.LEAD_SCORE)), before)

	def test_isolation(self):
		lead_b = self.assertOk(self.create(self.rep_b, name="B lead"))["name"]
		self.assertNotIn(lead_b, [row["name"] for row in self.assertOk(self.get("leads.get", self.rep_a))])
		self.assertIn(lead_b, [row["name"] for row in self.assertOk(self.get("leads.get", self.manager))])
		as_b = self.assertOk(self.get("leads.get", self.manager, userId=self.rep_b))
		self.assertEqual([row["name"] for row in as_b], [lead_b])
		for action, extra in (("update", {"status": "contacted"}), ("score", SCORES)):
			with self.subTest(action=action):
				reply = self.post("leads.post", self.rep_a, {"action": action, "leadId": lead_b, **extra})
				self.assertFails(reply, 403, "leadId")
		self.assertEqual(self.count(constants.LEAD_SCORE, lead=lead_b), 0)
		self.assertFails(self.create(self.rep_a, leadOwner=self.rep_b), 403, "lead_owner")
		self.assertFails(self.get("leads.get", self.rep_b, userId=self.rep_a), 403, "userId")
		self.assertEqual(self.get("leads.get", None).status, 403)
		self.assertEqual(self.create(None).status, 403)

	def test_http_methods_are_enforced(self):
		self.assertEqual(self.post("leads.get", self.rep_a, {}).status, 403)
		self.assertEqual(self.get("leads.post", self.rep_a, action="create").status, 403)
