"""Frappe Webhooks on CRM documents, signed (issue 21 §4; services/integrations/webhooks.py).

A loopback HTTP receiver (127.0.0.1, a free port) records what Frappe sends. Frappe queues a document's
webhooks for after the commit (`flush_webhook_execution_queue`) and, under tests, runs the job at once
(`enqueue(..., now=frappe.flags.in_test)`); the tests call the flush themselves instead of committing.
"""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import frappe
from frappe.integrations.doctype.webhook import flush_webhook_execution_queue
from frappe.integrations.doctype.webhook.webhook import WEBHOOK_SECRET_HEADER

from crm_module import constants
from crm_module.services.insights import health
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

SECRET = "crm-webhook-test-secret-8d1f"
RED_CONDITION = 'doc.risk_level == "Red" and doc.has_value_changed("risk_level")'


class Receiver(BaseHTTPRequestHandler):
	received: list[dict] = []

	def do_POST(self):
		body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
		Receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
		self.send_response(200)
		self.send_header("Content-Type", "text/plain")
		self.end_headers()
		self.wfile.write(b"ok")

	def log_message(self, *args):
		pass


def signature(secret: str, body: bytes) -> str:
	"""What a receiver computes to check a Frappe webhook: base64(HMAC-SHA256(secret, raw body))."""
	return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class TestWebhooks(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
		cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
		cls.thread.start()
		cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
		cls.rep = f.rep(1)
		frappe.set_user("Administrator")
		cls.hooks = [
			cls.webhook(
				constants.LEAD,
				"after_insert",
				"/lead-created",
				webhook_json='{"event": "lead_created", "name": "{{ doc.name }}", '
				'"lead_name": "{{ doc.lead_name }}", "email": "{{ doc.email_id }}", '
				'"owner": "{{ doc.lead_owner }}"}',
			),
			cls.webhook(
				constants.OPPORTUNITY,
				"on_update",
				"/opportunity-won",
				condition='doc.status == "Won"',
				data=(
					("name", "name"),
					("opportunity_name", "deal"),
					("value", "value"),
					("customer", "customer"),
					("status", "status"),
				),
			),
			cls.webhook(
				constants.CUSTOMER,
				"on_update",
				"/customer-red",
				condition=RED_CONDITION,
				data=(
					("name", "name"),
					("company_name", "company"),
					("risk_level", "risk"),
					("health_score", "score"),
				),
			),
		]

	@classmethod
	def webhook(cls, doctype, event, path, condition=None, data=(), webhook_json=None):
		doc = frappe.get_doc(
			{
				"doctype": "Webhook",
				"name": f"CRM test {path}",
				"webhook_doctype": doctype,
				"webhook_docevent": event,
				"request_url": cls.base + path,
				"request_method": "POST",
				"condition": condition,
				"request_structure": "JSON" if webhook_json else "Form URL-Encoded",
				"webhook_json": webhook_json,
				"webhook_data": [{"fieldname": field, "key": key} for field, key in data],
				"enable_security": 1,
				"webhook_secret": SECRET,
				"enabled": 1,
			}
		).insert()
		return doc.name

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for name in cls.hooks:
			frappe.delete_doc("Webhook", name, force=True)
		frappe.cache.delete_value("webhooks")
		cls.server.shutdown()
		cls.server.server_close()
		super().tearDownClass()

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.local._webhook_queue = []
		Receiver.received.clear()

	def sent(self) -> list[dict]:
		"""Run the webhook jobs queued since the last call; what the receiver got, each signature checked."""
		flush_webhook_execution_queue()
		received = list(Receiver.received)
		Receiver.received.clear()
		for request in received:
			body = request["body"]
			self.assertEqual(request["headers"][WEBHOOK_SECRET_HEADER], signature(SECRET, body))
			self.assertNotEqual(request["headers"][WEBHOOK_SECRET_HEADER], signature(SECRET + "x", body))
			request["json"] = json.loads(body)
		return received

	def test_lead_created(self):
		with f.as_user(self.rep):
			lead = f.make_lead("Hook Lead", email_id="hook.lead@example.com")
		sent = self.sent()
		self.assertEqual([r["path"] for r in sent], ["/lead-created"])
		self.assertEqual(
			sent[0]["json"],
			{
				"event": "lead_created",
				"name": lead.name,
				"lead_name": "Hook Lead",
				"email": "hook.lead@example.com",
				"owner": self.rep,
			},
		)
		log = frappe.get_all(
			"Webhook Request Log", filters={"reference_document": lead.name}, fields=["response", "url"]
		)
		self.assertEqual([(r.response, r.url) for r in log], [("ok", f"{self.base}/lead-created")])
		# an update of the lead is not "created"
		lead.reload()
		lead.job_title = "CTO"
		lead.save()
		self.assertEqual(self.sent(), [])

	def test_opportunity_won(self):
		customer = f.make_customer("Hook Deal Corp", account_owner=self.rep, ignore_permissions=True)
		opportunity = f.make_opportunity(customer.name, "Hook Deal", value=48000, ignore_permissions=True)
		opportunity.stage = f.stage("Negotiation")
		opportunity.save()
		self.assertEqual(self.sent(), [])  # still open: the condition holds back
		opportunity.stage = f.stage("Closed Won")
		opportunity.save()
		self.assertEqual(opportunity.status, "Won")
		sent = self.sent()
		self.assertEqual([r["path"] for r in sent], ["/opportunity-won"])
		self.assertEqual(
			sent[0]["json"],
			{
				"name": opportunity.name,
				"deal": "Hook Deal",
				"value": 48000.0,
				"customer": customer.name,
				"status": "Won",
			},
		)

	def test_customer_turned_red_by_the_health_run(self):
		# no activity at all: health 15, Red (see test_scoring_health_segments)
		customer = f.make_customer("Hook Risk Corp", account_owner=self.rep, ignore_permissions=True)
		self.assertEqual(self.sent(), [])  # a new customer is not Red yet
		result = health.compute_all_health_scores(names=[customer.name])
		self.assertEqual(result["fell_red"], 1)
		sent = self.sent()
		self.assertEqual([r["path"] for r in sent], ["/customer-red"])
		self.assertEqual(
			sent[0]["json"],
			{"name": customer.name, "company": "Hook Risk Corp", "risk": "Red", "score": 15},
		)
		# scored again the same day, and saved while still Red: no news, nothing sent
		health.compute_all_health_scores(names=[customer.name])
		doc = frappe.get_doc(constants.CUSTOMER, customer.name)
		doc.industry = "Logistics"
		doc.save()
		self.assertEqual(self.sent(), [])

	def test_a_disabled_webhook_sends_nothing(self):
		customer = f.make_customer("Hook Quiet Corp", ignore_permissions=True)
		frappe.db.set_value("Webhook", self.hooks[2], "enabled", 0)
		frappe.cache.delete_value("webhooks")
		try:
			result = health.compute_all_health_scores(names=[customer.name])
			self.assertEqual(result["fell_red"], 1)
			self.assertEqual(self.sent(), [])
		finally:
			frappe.db.set_value("Webhook", self.hooks[2], "enabled", 1)
			frappe.cache.delete_value("webhooks")

	def test_only_system_managers_configure_webhooks(self):
		crm_manager = f.manager()
		self.assertFalse(frappe.has_permission("Webhook", "create", user=crm_manager))
		self.assertFalse(frappe.has_permission("Webhook", "read", user=crm_manager))
		with f.as_user(crm_manager), self.assertRaises(frappe.PermissionError):
			frappe.get_doc(
				{
					"doctype": "Webhook",
					"name": "CRM test by a CRM Manager",
					"webhook_doctype": constants.LEAD,
					"webhook_docevent": "after_insert",
					"request_url": self.base + "/manager",
					"request_structure": "Form URL-Encoded",
					"webhook_data": [{"fieldname": "name", "key": "name"}],
				}
			).insert()
