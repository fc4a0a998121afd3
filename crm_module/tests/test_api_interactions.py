"""crm_module.api.interactions over HTTP: success, bad input, isolation, retries with an Idempotency-Key."""

from unittest.mock import patch

import frappe

from crm_module import constants
from crm_module.services import interactions
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_customer


class TestInteractionsAPI(CRMAPITestCase):
	prefix = "int"

	def record(self, user, **data):
		return self.post(
			"interactions.post", user, {"customerId": self.customer_a, "subject": "Call", **data}
		)

	def test_record_and_history_with_limit(self):
		for i in range(3):
			self.assertOk(
				self.record(self.rep_a, subject=f"call {i}", interactionDate=f"2024-01-0{i + 1} 10:00:00")
			)
		history = self.assertOk(self.get("interactions.get", self.rep_a, customerId=self.customer_a, limit=2))
		self.assertEqual([row["subject"] for row in history], ["call 2", "call 1"])
		self.assertEqual(
			len(self.assertOk(self.get("interactions.get", self.rep_a, customerId=self.customer_a))), 3
		)
		body = {"customerId": self.customer_a, "subject": "via v2", "interactionDate": "2024-01-04 10:00:00"}
		recorded = self.post("interactions.post", self.rep_a, body, version="v2")
		self.assertEqual((recorded.status, recorded.json["data"]["subject"]), (200, "via v2"), recorded.text)
		v2 = self.get("interactions.get", self.rep_a, version="v2", customerId=self.customer_a)
		self.assertEqual(
			[row["subject"] for row in v2.json["data"]], ["via v2", "call 2", "call 1", "call 0"]
		)

	def test_bad_input(self):
		before = self.count(constants.INTERACTION)
		cases = [
			({"interactionType": "telepathy"}, 400, "interactionType"),
			({"durationMinutes": -5}, 400, "durationMinutes"),
			({"durationMinutes": "long"}, 400, "durationMinutes"),
			({"sentiment": "ecstatic"}, 400, "sentiment"),
			({"customerId": None}, 400, "customerId"),
			({"customerId": "CRM-CUST-00000"}, 404, "customerId"),
			({"leadId": "CRM-LEAD-00000"}, 404, "leadId"),
			({"subject": ""}, 400, "subject"),
			({"interactionDate": "last week"}, 400, "interactionDate"),
			({"mood": "ok"}, 400, "mood"),
		]
		for data, status, word in cases:
			with self.subTest(data=data):
				self.assertFails(self.record(self.rep_a, **data), status, word)
		self.assertFails(self.post("interactions.post", self.rep_a, {"data": "{x"}), 400, "data")
		self.assertFails(self.get("interactions.get", self.rep_a), 400, "customerId")
		for limit, status in (("abc", 417), (0, 400), (501, 400)):
			with self.subTest(limit=limit):
				self.assertFails(
					self.get("interactions.get", self.rep_a, customerId=self.customer_a, limit=limit),
					status,
					"limit",
				)
		self.assertEqual(self.count(constants.INTERACTION), before)

	def test_isolation(self):
		self.assertOk(
			self.post("interactions.post", self.rep_b, {"customerId": self.customer_b, "subject": "B call"})
		)
		self.assertFails(self.record(self.rep_a, customerId=self.customer_b), 403, "customerId")
		self.assertFails(
			self.get("interactions.get", self.rep_a, customerId=self.customer_b), 403, "customerId"
		)
		self.assertEqual(
			len(self.assertOk(self.get("interactions.get", self.manager, customerId=self.customer_b))), 1
		)
		reply = self.get("interactions.get", self.manager, customerId=self.customer_b, userId=self.rep_a)
		self.assertFails(reply, 403, "customerId")
		self.assertFails(
			self.get("interactions.get", self.rep_a, customerId=self.customer_a, userId=self.manager),
			403,
			"userId",
		)
		self.assertEqual(self.get("interactions.get", None, customerId=self.customer_a).status, 403)
		self.assertEqual(self.record(None).status, 403)
		self.assertEqual(self.count(constants.INTERACTION, customer=self.customer_b), 1)

	def test_http_methods_are_enforced(self):
		self.assertEqual(
			self.post("interactions.get", self.rep_a, {"customerId": self.customer_a}).status, 403
		)
		self.assertEqual(self.get("interactions.post", self.rep_a, customerId=self.customer_a).status, 403)

	def own_customer(self, user: str, name: str) -> str:
		"""A customer of `user` that only this test logs interactions on."""
		with as_user(user):
			customer = make_customer(name).name
		frappe.db.commit()
		return customer

	def keyed(self, user, key, customer, **data):
		body = {"customerId": customer, "subject": "Call", **data}
		headers = {**self.auth(user), "Idempotency-Key": key}
		return self.raw("POST", self.path("interactions.post"), headers=headers, json=body)

	def test_a_retry_with_the_same_idempotency_key_logs_once(self):
		mine, theirs = (
			self.own_customer(self.rep_a, "int keyed A"),
			self.own_customer(self.rep_b, "int keyed B"),
		)
		first = self.assertOk(self.keyed(self.rep_a, "retry-1", mine, subject="Quarterly call"))
		# the retry answers with the interaction already logged, whatever its body says
		again = self.assertOk(self.keyed(self.rep_a, "retry-1", mine, subject="Something else"))
		self.assertEqual((again["name"], again["subject"]), (first["name"], "Quarterly call"))
		self.assertEqual(self.count(constants.INTERACTION, customer=mine), 1)
		# another key, another user's same key, and posts without a key each log their own
		other = self.assertOk(self.keyed(self.rep_a, "retry-2", mine))
		their = self.assertOk(self.keyed(self.rep_b, "retry-1", theirs))
		self.assertOk(self.record(self.rep_a, customerId=mine))
		self.assertOk(self.record(self.rep_a, customerId=mine))
		self.assertEqual(len({first["name"], other["name"], their["name"]}), 3)
		self.assertEqual(self.count(constants.INTERACTION, customer=mine), 4)
		self.assertEqual(self.count(constants.INTERACTION, customer=theirs), 1)
		self.assertFails(self.keyed(self.rep_a, "k" * 256, mine), 400, "Idempotency-Key")
		# the key is not a field a client sets
		reply = self.record(self.rep_a, customerId=mine, idempotencyKey="retry-3")
		self.assertFails(reply, 400, "idempotencyKey")
		self.assertEqual(self.count(constants.INTERACTION, customer=mine), 4)

	def test_a_retry_racing_the_first_request_answers_with_its_interaction(self):
		mine = self.own_customer(self.rep_a, "int race A")
		first = self.assertOk(self.keyed(self.rep_a, "race-1", mine, subject="First"))
		# the retry looked before the first request had committed, so it inserts too and meets the unique key
		found = interactions.logged_with
		calls = []

		def not_yet(*args, **kwargs):
			calls.append(kwargs.get("for_update", False))
			return None if len(calls) == 1 else found(*args, **kwargs)

		frappe.clear_messages()
		with as_user(self.rep_a), patch.object(interactions, "logged_with", not_yet):
			body = {"customerId": mine, "subject": "Second"}
			answer = interactions.record_interaction(body, self.rep_a, "race-1")
			self.assertEqual(frappe.local.message_log, [])
		frappe.db.commit()
		self.assertEqual(calls, [False, True])
		self.assertEqual((answer["name"], answer["subject"]), (first["name"], "First"))
		self.assertEqual(self.count(constants.INTERACTION, customer=mine), 1)
