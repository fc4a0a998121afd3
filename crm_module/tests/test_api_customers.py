"""crm_module.api.customers over HTTP: success, bad input, isolation."""

from crm_module import constants
from crm_module.tests.api_case import CRMAPITestCase


class TestCustomersAPI(CRMAPITestCase):
	prefix = "cust"

	def test_get_profile_with_contacts(self):
		contact = self.assertOk(
			self.post(
				"customers.post",
				self.rep_a,
				{
					"action": "contact",
					"customerId": self.customer_a,
					"data": {"firstName": "Ada", "emails": ["ada@a.io"]},
				},
			)
		)
		profile = self.assertOk(self.get("customers.get", self.rep_a, customerId=self.customer_a))
		self.assertEqual(profile["name"], self.customer_a)
		self.assertEqual(profile["companyName"], "cust A Corp")
		self.assertEqual([row["name"] for row in profile["contacts"]], [contact["name"]])
		self.assertEqual(profile["contacts"][0]["emails"][0]["emailId"], "ada@a.io")
		# change the contact through contactId
		changed = self.assertOk(
			self.post(
				"customers.post",
				self.rep_a,
				{
					"action": "contact",
					"contactId": contact["name"],
					"jobTitle": "CTO",
					"phones": ["+14155550100"],
				},
			)
		)
		self.assertEqual((changed["jobTitle"], changed["phone"]), ("CTO", "+14155550100"))

	def test_bad_input(self):
		before = (self.count(constants.CUSTOMER), self.count(constants.CONTACT))
		cases = [
			({"action": "profile"}, 400, "companyName"),  # nothing to create from
			({"action": "bogus", "data": {"companyName": "X"}}, 400, "action"),
			({"data": {"companyName": "X"}}, 400, "action"),
			({"action": "profile", "data": "{not json"}, 400, "data"),
			({"action": "profile", "data": [1, 2]}, 417, "data"),
			(
				{"action": "profile", "data": {"companyName": "X", "lifecycleStage": "alien"}},
				400,
				"lifecycleStage",
			),
			({"action": "profile", "data": {"companyName": "X", "annualRevenue": -1}}, 400, "annualRevenue"),
			({"action": "profile", "data": {"companyName": "X", "wings": 2}}, 400, "wings"),
			(
				{"action": "profile", "customerId": "CRM-CUST-00000", "data": {"industry": "X"}},
				404,
				"customerId",
			),
			({"action": "contact", "data": {"firstName": "Ada"}}, 400, "customerId"),
			(
				{"action": "contact", "customerId": self.customer_a, "data": {"lastName": "only"}},
				400,
				"first_name",
			),
			(
				{
					"action": "contact",
					"customerId": self.customer_a,
					"data": {"firstName": "A", "emails": "a@b.c"},
				},
				400,
				"emails",
			),
			(
				{
					"action": "contact",
					"customerId": self.customer_a,
					"data": {"firstName": "A", "emails": ["nope"]},
				},
				400,
				"mail",
			),
		]
		for body, status, word in cases:
			with self.subTest(body=body):
				self.assertFails(self.post("customers.post", self.rep_a, body), status, word)
		self.assertFails(self.get("customers.get", self.rep_a), 400, "customerId")
		self.assertFails(
			self.get("customers.get", self.rep_a, customerId="CRM-CUST-00000"), 404, "customerId"
		)
		self.assertEqual((self.count(constants.CUSTOMER), self.count(constants.CONTACT)), before)

	def test_isolation(self):
		self.assertFails(self.get("customers.get", self.rep_a, customerId=self.customer_b), 403, "customerId")
		reply = self.post(
			"customers.post",
			self.rep_a,
			{"action": "profile", "customerId": self.customer_b, "data": {"industry": "X"}},
		)
		self.assertFails(reply, 403, "customerId")
		reply = self.post(
			"customers.post",
			self.rep_a,
			{"action": "contact", "customerId": self.customer_b, "data": {"firstName": "Spy"}},
		)
		self.assertFails(reply, 403, "customerId")
		self.assertEqual(self.count(constants.CONTACT, customer=self.customer_b), 0)
		# userId naming someone else: only managers
		self.assertFails(
			self.get("customers.get", self.rep_a, customerId=self.customer_a, userId=self.rep_b),
			403,
			"userId",
		)
		self.assertOk(self.get("customers.get", self.manager, customerId=self.customer_b))
		self.assertFails(
			self.get("customers.get", self.manager, customerId=self.customer_b, userId=self.rep_a),
			403,
			"customerId",
		)
		self.assertOk(self.get("customers.get", self.manager, customerId=self.customer_a, userId=self.rep_a))
		self.assertEqual(self.get("customers.get", None, customerId=self.customer_a).status, 403)
		self.assertEqual(
			self.post("customers.post", None, {"action": "profile", "data": {"companyName": "G"}}).status, 403
		)

	def test_manager_creates_for_a_rep(self):
		body = {"action": "profile", "userId": self.rep_b, "data": {"companyName": "For B"}}
		created = self.assertOk(self.post("customers.post", self.manager, body))
		self.assertEqual(created["accountOwner"], self.rep_b)
		self.assertOk(self.get("customers.get", self.rep_b, customerId=created["name"]))

	def test_http_methods_are_enforced(self):
		self.assertEqual(self.post("customers.get", self.rep_a, {"customerId": self.customer_a}).status, 403)
		self.assertEqual(self.get("customers.post", self.rep_a, action="profile").status, 403)
