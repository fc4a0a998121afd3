"""Base class for HTTP tests: real requests through Frappe's WSGI app (werkzeug test client).

Each request runs in its own thread, so it gets its own `frappe.local` and database connection, exactly
like a request to the server; the fixtures are therefore committed, and everything the class created
(CRM records made since `setUpClass`) is deleted again by a class cleanup. Users authenticate with an
API key and secret (``Authorization: token key:secret``); ``user=None`` sends a guest request.
"""

import json
from threading import Thread
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, get_test_client, now_datetime

from crm_module import constants as c
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_user

KEEP = frozenset({c.PIPELINE, c.PIPELINE_STAGE, c.SETTINGS})


class Reply:
	def __init__(self, response):
		self.status = response.status_code
		self.text = response.get_data(as_text=True)
		try:
			self.json = json.loads(self.text)
		except ValueError:
			self.json = {}

	@property
	def message(self):
		return self.json.get("message", self.json.get("data"))

	@property
	def error(self) -> str:
		"""The error text of a failed call (``_server_messages``, ``exception`` or v2 ``errors``)."""
		parts = [str(self.json.get("exception", ""))]
		for raw in json.loads(self.json.get("_server_messages") or "[]"):
			parts.append(str(json.loads(raw).get("message", raw)))
		parts += [
			str(e.get("message", "")) + str(e.get("exception", "")) for e in self.json.get("errors", [])
		]
		return " ".join(parts)


class CRMAPITestCase(IntegrationTestCase):
	"""Rep A and rep B (CRM User), a CRM manager and one committed customer per rep."""

	prefix = "api"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.started = add_to_date(now_datetime(), seconds=-1)
		cls.addClassCleanup(cls.purge)  # also runs when a subclass's setUpClass fails
		cls.client = get_test_client(use_cookies=False)
		cls.rep_a = make_user(f"crm.{cls.prefix}.a@example.com", (c.ROLE_USER,))
		cls.rep_b = make_user(f"crm.{cls.prefix}.b@example.com", (c.ROLE_USER,))
		cls.manager = make_user(f"crm.{cls.prefix}.mgr@example.com", (c.ROLE_MANAGER,))
		cls.tokens = {user: cls.api_token(user) for user in (cls.rep_a, cls.rep_b, cls.manager)}
		with as_user(cls.rep_a):
			cls.customer_a = make_customer(f"{cls.prefix} A Corp").name
		with as_user(cls.rep_b):
			cls.customer_b = make_customer(f"{cls.prefix} B Corp").name
		frappe.db.commit()

	@classmethod
	def purge(cls):
		"""Delete every CRM record created since the class started (the fixtures were committed)."""
		frappe.db.rollback()
		for doctype in frappe.get_all("DocType", filters={"module": c.MODULE, "issingle": 0}, pluck="name"):
			if doctype not in KEEP:
				frappe.db.delete(doctype, {"creation": (">=", cls.started)})
		frappe.db.commit()

	@staticmethod
	def api_token(user: str) -> str:
		doc = frappe.get_doc("User", user)
		doc.api_key = doc.api_key or frappe.generate_hash(length=15)
		secret = frappe.generate_hash(length=15)
		doc.api_secret = secret
		doc.save(ignore_permissions=True)
		return f"{doc.api_key}:{secret}"

	def call(self, http_method: str, path: str, user: str | None, params=None, body=None) -> Reply:
		"""One HTTP request as `user` (None: guest); JSON `body` for POST, query `params` for GET."""
		kwargs = {"headers": self.auth(user), "query_string": params}
		if body is not None:
			kwargs["json"] = body
		return self.raw(http_method, path, **kwargs)

	def auth(self, user: str | None) -> dict:
		return {"Authorization": f"token {self.tokens[user]}"} if user else {}

	def raw(self, http_method: str, path: str, **kwargs) -> Reply:
		"""One request through the WSGI app in its own thread (own `frappe.local` and connection)."""
		frappe.db.commit()
		result, site = {}, frappe.local.site

		def run():
			with patch("frappe.app.get_site_name", return_value=site):
				result["response"] = self.client.open(path, method=http_method, **kwargs)

		thread = Thread(target=run)
		thread.start()
		thread.join()
		frappe.db.commit()  # a fresh snapshot: see what the request wrote
		return Reply(result["response"])

	def get(self, method: str, user: str | None, version: str = "", **params) -> Reply:
		return self.call("GET", self.path(method, version), user, params=params)

	def post(self, method: str, user: str | None, body: dict | None = None, version: str = "") -> Reply:
		return self.call("POST", self.path(method, version), user, body=body or {})

	@staticmethod
	def path(method: str, version: str = "") -> str:
		prefix = f"/api/{version}/method/" if version else "/api/method/"
		return prefix + (
			method if method.startswith(("crm_module.", "frappe.")) else f"crm_module.api.{method}"
		)

	def assertFails(self, reply: Reply, status: int, *words: str):
		"""The call failed with `status` and its error names every one of `words`."""
		self.assertEqual(reply.status, status, reply.text[:2000])
		for word in words:
			self.assertIn(word, reply.error, reply.text[:2000])

	def assertOk(self, reply: Reply):
		self.assertEqual(reply.status, 200, reply.text[:2000])
		return reply.message

	def count(self, doctype: str, **filters) -> int:
		return frappe.db.count(doctype, filters)
