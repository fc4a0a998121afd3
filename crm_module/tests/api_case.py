"""Base class for HTTP tests: real requests through Frappe's WSGI app (werkzeug test client).

Each request runs through Frappe's own API test helper (`frappe.tests.test_api.make_request`): a thread
of its own, so it gets its own `frappe.local` and database connection, exactly like a request to the
server. The fixtures are therefore committed. Users authenticate with an API key and secret
(``Authorization: token key:secret``); ``user=None`` sends a guest request.

Cleanup is by name: while the class runs, every row inserted in this process (by the fixtures, the test
itself or the application serving a request: `Document.db_insert`, `Database.bulk_insert` and the app's
`bulk.insert_rows`) is recorded, and the class cleanup deletes exactly those rows again (CRM records and
the framework rows about them, see `CreatedRows`, plus their access-index rows), never anything another
person made on a shared site.

Frappe's `FrappeAPITestCase` itself is not the base class: its client keeps cookies across requests
(one shared jar for every user of the class) and its ``get``/``post`` take a URL rather than the
``(method, user)`` these tests call; only its request helper is reused.
"""

import json
from collections import defaultdict
from unittest.mock import patch

import frappe
from frappe.database.database import Database
from frappe.model.base_document import BaseDocument
from frappe.tests.test_api import make_request
from frappe.utils import get_datetime, get_test_client

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.settings import clear_settings_cache
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_user

# framework rows that only describe or attach to a record: deleted when this class inserted them
FRAMEWORK_ROWS = frozenset(
	{
		"Comment",
		"Deleted Document",
		"DocShare",
		"File",
		"Notification Log",
		"Tag",
		"Tag Link",
		"ToDo",
		"Version",
	}
)


class CreatedRows:
	"""(doctype, name, creation) of every row inserted in this process between `start` and `stop`, from
	any thread; `delete` removes those rows that are still stored with that creation time.

	The creation time guards against names used twice: a row whose insert was rolled back (a refused
	request) gives its naming-series number back, and a row inserted with that name later by someone
	else has another creation time. Users are never deleted (the fixtures reuse them by e-mail), nor
	are log rows."""

	def __init__(self):
		self.rows: list[tuple[str, str, object]] = []
		self.patches = []

	def start(self) -> None:
		rows, db_insert, bulk_insert = self.rows, BaseDocument.db_insert, Database.bulk_insert
		insert_rows = bulk.insert_rows

		def recording_db_insert(doc, *args, **kwargs):
			result = db_insert(doc, *args, **kwargs)
			rows.append((doc.doctype, doc.name, doc.creation))
			return result

		def record(doctype, fields, values) -> list[tuple]:
			values = [tuple(row) for row in values]
			if "name" in fields:
				name_at = list(fields).index("name")
				creation_at = list(fields).index("creation") if "creation" in fields else None
				rows.extend(
					(doctype, row[name_at], row[creation_at] if creation_at is not None else None)
					for row in values
				)
			return values

		def recording_bulk_insert(db, doctype, fields, values, *args, **kwargs):
			return bulk_insert(db, doctype, fields, record(doctype, fields, values), *args, **kwargs)

		def recording_insert_rows(doctype, fields, values, *args, **kwargs):
			return insert_rows(doctype, fields, record(doctype, fields, values), *args, **kwargs)

		self.patches = [
			patch.object(BaseDocument, "db_insert", recording_db_insert),
			patch.object(Database, "bulk_insert", recording_bulk_insert),
			patch.object(bulk, "insert_rows", recording_insert_rows),  # the app's own (timeline rows)
		]
		for recorder in self.patches:
			recorder.start()

	def stop(self) -> None:
		for recorder in reversed(self.patches):
			recorder.stop()
		self.patches = []

	@staticmethod
	def deletable(doctype: str) -> bool:
		if doctype in FRAMEWORK_ROWS:
			return True
		meta = frappe.get_meta(doctype)
		return meta.module == constants.MODULE and not meta.issingle

	def by_doctype(self) -> dict[str, dict[str, object]]:
		"""{doctype: {name: creation}} of the recorded rows that `delete` may remove."""
		found: dict[str, dict[str, object]] = defaultdict(dict)
		for doctype, name, creation in self.rows:
			if name:
				found[doctype][name] = creation
		return {
			doctype: rows
			for doctype, rows in found.items()
			if frappe.db.exists("DocType", doctype) and self.deletable(doctype)
		}

	def delete(self) -> dict[str, int]:
		"""Delete the recorded rows still stored with their recorded creation time; {doctype: count}."""
		deleted: dict[str, list[str]] = {}
		gone: dict[str, list[str]] = {}  # recorded rows deleted meanwhile (by a test or the application)
		# File last: its controller (which also removes the file from disk) is the one step that can fail
		for doctype, created in sorted(self.by_doctype().items(), key=lambda item: item[0] == "File"):
			stored = dict(stored_creation(doctype, list(created)))
			mine = [
				name
				for name, creation in stored.items()
				if created[name] is None or get_datetime(creation) == get_datetime(created[name])
			]
			gone[doctype] = [name for name in created if name not in stored]
			if doctype == "File":
				for name in mine:
					frappe.delete_doc(
						doctype, name, force=True, ignore_permissions=True, delete_permanently=True
					)
			else:
				delete_rows(doctype, mine)
			if mine:
				deleted[doctype] = mine
		# their rows in the access index were written by SQL, not recorded: drop them as a delete would,
		# also for recorded rows that a test or the application deleted meanwhile
		for doctype in gone:
			access_index.forget(doctype, deleted.get(doctype, []) + gone[doctype])
		for doctype in deleted:
			frappe.clear_document_cache(doctype)
		return {doctype: len(names) for doctype, names in deleted.items()}


def chunks(names: list[str], size: int = 500):
	for start in range(0, len(names), size):
		yield names[start : start + size]


def stored_creation(doctype: str, names: list[str]) -> list[tuple[str, object]]:
	table = frappe.qb.DocType(doctype)
	rows = []
	for chunk in chunks(names):
		rows += frappe.qb.from_(table).select(table.name, table.creation).where(table.name.isin(chunk)).run()
	return rows


def delete_rows(doctype: str, names: list[str]) -> None:
	table = frappe.qb.DocType(doctype)
	for chunk in chunks(names):
		frappe.qb.from_(table).delete().where(table.name.isin(chunk)).run()


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
		cls.created = CreatedRows()
		cls.created.start()
		cls.addClassCleanup(cls.delete_created)  # also runs when a subclass's setUpClass fails
		cls.client = get_test_client(use_cookies=False)
		cls.rep_a = make_user(f"crm.{cls.prefix}.a@example.com", (constants.ROLE_USER,))
		cls.rep_b = make_user(f"crm.{cls.prefix}.b@example.com", (constants.ROLE_USER,))
		cls.manager = make_user(f"crm.{cls.prefix}.mgr@example.com", (constants.ROLE_MANAGER,))
		cls.tokens = {user: cls.api_token(user) for user in (cls.rep_a, cls.rep_b, cls.manager)}
		with as_user(cls.rep_a):
			cls.customer_a = make_customer(f"{cls.prefix} A Corp").name
		with as_user(cls.rep_b):
			cls.customer_b = make_customer(f"{cls.prefix} B Corp").name
		frappe.db.commit()

	@classmethod
	def delete_created(cls):
		"""Delete exactly the rows this class inserted (the fixtures were committed)."""
		cls.created.stop()
		frappe.db.rollback()
		cls.deleted = cls.created.delete()
		frappe.db.commit()
		# the rows went without their controllers: drop what was cached from them
		clear_stage_cache()
		clear_settings_cache()
		metrics_cache.invalidate()

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
		response = make_request(
			target=self.client.open,
			args=(path,),
			kwargs={"method": http_method, **kwargs},
			site=frappe.local.site,
		)
		frappe.db.commit()  # a fresh snapshot: see what the request wrote
		return Reply(response)

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
