"""Findings of the HTTP sweep over the newer doctypes and endpoints (CRM Catalog Product, CRM Opportunity
Line, CRM Web Lead Settings, CRM Sync Issue, my_day, forecast.learned, web_lead.submit), as real requests.

* A child row sent with the *name* of another record's row is written over that row and moved under the
  record being saved (Frappe updates child rows by name alone): rep B took rep A's opportunity lines (and
  contact emails) through B's own opportunity (contact) by PUT, v2 PATCH, `frappe.client.save`, savedocs,
  `frappe.client.set_value` and `frappe.client.insert`. Every such write is now refused (403) and A's row
  stays where and as it was; B's own rows still save by name.
* A guest's web lead with a control character (NUL...) in a field was stored; it is now refused with 400
  naming the field, and no lead is written.
"""

import frappe

from crm_module import constants
from crm_module.services import web_lead
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_contact, make_opportunity

LINE, OPP = constants.OPPORTUNITY_LINE, constants.OPPORTUNITY
METHOD = "crm_module.api.web_lead.submit"


def line(name: str, qty: float = 2, rate: float = 50) -> dict:
	return {"item_type": constants.CATALOG_PRODUCT, "product_name": name, "qty": qty, "rate": rate}


class TestForeignChildRows(CRMAPITestCase):
	prefix = "sweepnew"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		with as_user(cls.rep_a):
			opp = make_opportunity(cls.customer_a, "Sweep A deal", 0, lines=[line("A's line")])
			cls.opp_a, cls.line_a = opp.name, opp.lines[0].name
			contact = make_contact(cls.customer_a, "Ann", emails=[{"email_id": "ann@sweep-a.example"}])
			cls.contact_a, cls.email_a = contact.name, contact.emails[0].name
		with as_user(cls.rep_b):
			opp = make_opportunity(cls.customer_b, "Sweep B deal", 0, lines=[line("B's line")])
			cls.opp_b, cls.line_b = opp.name, opp.lines[0].name
			cls.contact_b = make_contact(
				cls.customer_b, "Ben", emails=[{"email_id": "ben@sweep-b.example"}]
			).name
		frappe.db.commit()

	def stored_line(self, name: str) -> tuple:
		return tuple(
			frappe.db.get_value(LINE, name, ["parent", "parenttype", "product_name", "qty", "rate"]) or ()
		)

	def put_back(self, stored: tuple) -> None:
		parent, parenttype, product_name, qty, rate = stored
		values = {"parent": parent, "parenttype": parenttype, "product_name": product_name}
		frappe.db.set_value(LINE, self.line_a, {**values, "qty": qty, "rate": rate}, update_modified=False)
		frappe.db.delete(LINE, {"parent": self.opp_b, "name": ("!=", self.line_b)})
		frappe.db.commit()

	def b_doc(self, doctype: str = OPP, name: str | None = None) -> dict:
		return frappe.get_doc(doctype, name or self.opp_b).as_dict(convert_dates_to_str=True)

	def foreign_line(self) -> dict:
		return {"name": self.line_a, **line("stolen", 1, 1)}

	def paths(self):
		"""(label, request) of every way B sends A's line name inside B's own opportunity (a new record's rows
		get new names on insert: POST makes a new line and leaves A's alone)."""

		def lines():
			return [*self.b_doc()["lines"], self.foreign_line()]

		def with_lines():
			return {**self.b_doc(), "lines": lines()}

		resource = f"/api/resource/{OPP}/{self.opp_b}"
		yield "PUT /api/resource", lambda: self.call("PUT", resource, self.rep_b, body={"lines": lines()})
		yield (
			"PATCH /api/v2/document",
			lambda: self.call(
				"PATCH", f"/api/v2/document/{OPP}/{self.opp_b}", self.rep_b, body={"lines": lines()}
			),
		)
		yield "frappe.client.save", lambda: self.post("frappe.client.save", self.rep_b, {"doc": with_lines()})
		yield (
			"savedocs",
			lambda: self.post(
				"frappe.desk.form.save.savedocs",
				self.rep_b,
				{"doc": frappe.as_json(with_lines()), "action": "Save"},
			),
		)
		yield (
			"frappe.client.set_value",
			lambda: self.post(
				"frappe.client.set_value",
				self.rep_b,
				{"doctype": OPP, "name": self.opp_b, "fieldname": {"lines": lines()}},
			),
		)
		row = {"doctype": LINE, "parent": self.opp_b, "parenttype": OPP, "parentfield": "lines"}
		yield (
			"frappe.client.insert",
			lambda: self.post("frappe.client.insert", self.rep_b, {"doc": {**row, **self.foreign_line()}}),
		)
		new_opportunity = {
			"customer": self.customer_b,
			"opportunity_name": "Sweep B steal",
			"expected_close_date": "2030-01-01",
			"lines": [self.foreign_line()],
		}
		yield (
			"POST /api/resource",
			lambda: self.call("POST", f"/api/resource/{OPP}", self.rep_b, body=new_opportunity),
		)

	def test_another_reps_line_cannot_be_taken_through_an_own_opportunity(self):
		before = self.stored_line(self.line_a)
		self.assertEqual(before, (self.opp_a, OPP, "A's line", 2.0, 50.0))
		taken = []
		for label, request in self.paths():
			reply = request()
			after = self.stored_line(self.line_a)
			refused = reply.status == 403 or (label.startswith("POST") and reply.status == 200)
			if not refused or after != before:
				taken.append(f"{label}: {reply.status} {after}")
				self.put_back(before)  # judge every path on its own
			self.assertEqual(frappe.db.get_value(OPP, self.opp_a, "value"), 100.0, label)
		self.assertEqual(taken, [])
		self.assertEqual(
			frappe.get_all(LINE, filters={"parent": self.opp_b}, pluck="product_name"), ["B's line"]
		)
		self.assertEqual(frappe.get_all(LINE, filters={"name": self.line_a}, pluck="parent"), [self.opp_a])

	def test_a_managers_line_cannot_be_taken_either(self):
		with as_user(self.manager):
			opp = make_opportunity(self.customer_a, "Sweep manager deal", 0, lines=[line("M's line")])
		frappe.db.commit()
		body = {"lines": [*self.b_doc()["lines"], {"name": opp.lines[0].name, **line("stolen", 1, 1)}]}
		reply = self.call("PUT", f"/api/resource/{OPP}/{self.opp_b}", self.rep_b, body=body)
		self.assertFails(reply, 403, "lines", "another record")
		self.assertEqual(self.stored_line(opp.lines[0].name), (opp.name, OPP, "M's line", 2.0, 50.0))

	def test_another_reps_contact_email_cannot_be_taken(self):
		contact = self.b_doc(constants.CONTACT, self.contact_b)
		emails = [*contact["emails"], {"name": self.email_a, "email_id": "stolen@sweep-b.example"}]
		reply = self.call(
			"PUT", f"/api/resource/{constants.CONTACT}/{self.contact_b}", self.rep_b, body={"emails": emails}
		)
		self.assertFails(reply, 403, "emails", "another record")
		self.assertEqual(
			frappe.db.get_value(constants.EMAIL_ADDRESS, self.email_a, ["parent", "email_id"]),
			(self.contact_a, "ann@sweep-a.example"),
		)

	def test_own_rows_still_save_by_name(self):
		lines = self.b_doc()["lines"]
		lines[0]["qty"] = 3
		reply = self.call("PUT", f"/api/resource/{OPP}/{self.opp_b}", self.rep_b, body={"lines": lines})
		self.assertOk(reply)
		self.assertEqual(self.stored_line(self.line_b), (self.opp_b, OPP, "B's line", 3.0, 50.0))
		self.assertEqual(frappe.db.get_value(OPP, self.opp_b, "value"), 150.0)


class TestBulkAssign(CRMAPITestCase):
	"""The list view's bulk "Assign To" (`assign_to.add_multiple`, `name` a JSON list of names) works on CRM
	records the user may assign, and a filter in place of a name is still refused."""

	prefix = "sweepassign"
	METHOD = "/api/method/frappe.desk.form.assign_to.add_multiple"

	def assign(self, user: str, names) -> object:
		body = {"doctype": OPP, "name": names, "assign_to": [self.manager], "bulk_assign": True}
		return self.call("POST", self.METHOD, user, body=body)

	def assigned(self, name: str) -> list[str]:
		return frappe.get_all(
			"ToDo",
			filters={"reference_type": OPP, "reference_name": name, "status": "Open"},
			pluck="allocated_to",
		)

	def test_bulk_assign_of_own_deals(self):
		with as_user(self.rep_a):
			deals = [make_opportunity(self.customer_a, f"Bulk {i}", 10).name for i in range(2)]
		frappe.db.commit()
		self.assertOk(self.assign(self.rep_a, frappe.as_json(deals)))
		self.assertEqual([self.assigned(d) for d in deals], [[self.manager], [self.manager]])

	def test_names_must_be_a_list_of_names(self):
		for names in ('{"customer": "x"}', '[{"name": ["like", "%"]}]', "[1, 2]"):
			self.assertFails(self.assign(self.rep_a, names), 400, "list of document names")


class TestCatalogAssign(CRMAPITestCase):
	"""A catalog product is read-only to a rep: they may not assign it (nor notify anybody of it)."""

	prefix = "sweepcatalog"

	def test_a_rep_cannot_assign_a_catalog_product(self):
		frappe.db.delete("ToDo", {"reference_type": constants.CATALOG_PRODUCT, "reference_name": "SWEEP-W1"})
		frappe.db.delete(constants.CATALOG_PRODUCT, {"name": "SWEEP-W1"})
		product = frappe.get_doc(
			{
				"doctype": constants.CATALOG_PRODUCT,
				"product_name": "Sweep Widget",
				"product_code": "SWEEP-W1",
				"price": 5,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		body = {"doctype": constants.CATALOG_PRODUCT, "name": product.name, "assign_to": [self.rep_b]}
		reply = self.call("POST", "/api/method/frappe.desk.form.assign_to.add", self.rep_a, body=body)
		self.assertFails(reply, 403, product.name)
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": product.name}), 0)
		self.assertOk(
			self.call("POST", "/api/method/frappe.desk.form.assign_to.add", self.manager, body=body)
		)
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": product.name, "status": "Open"}), 1)


class TestWebLeadControlCharacters(CRMAPITestCase):
	prefix = "sweepweb"
	IP = "10.77.0.1"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		saved = frappe.get_doc(web_lead.SETTINGS)
		cls.saved = {
			"enabled": saved.enabled,
			"consent_text": saved.consent_text,
			"fields": [(r.fieldname, r.label, r.required) for r in saved.form_fields],
		}
		cls.addClassCleanup(cls.restore)
		saved.enabled, saved.consent_text = 1, ""
		saved.set("form_fields", [])
		for fieldname in ("lead_name", "email_id", "company_name"):
			saved.append(
				"form_fields", {"fieldname": fieldname, "required": int(fieldname != "company_name")}
			)
		saved.save(ignore_permissions=True)
		frappe.db.commit()

	@classmethod
	def restore(cls):
		settings = frappe.get_doc(web_lead.SETTINGS)
		settings.enabled, settings.consent_text = cls.saved["enabled"], cls.saved["consent_text"]
		settings.set("form_fields", [])
		for fieldname, label, required in cls.saved["fields"]:
			settings.append("form_fields", {"fieldname": fieldname, "label": label, "required": required})
		settings.save(ignore_permissions=True)
		frappe.db.commit()

	def tearDown(self):
		frappe.cache.delete(frappe.cache.make_key(f"rl:{METHOD}:{self.IP}"))

	def submit(self, body: dict):
		headers = {"X-Forwarded-For": self.IP, "Accept": "application/json"}
		return self.raw("POST", f"/api/method/{METHOD}", headers=headers, json=body)

	def test_control_characters_are_refused_naming_the_field(self):
		for field, value in (
			("lead_name", "Nul\x00Name"),
			("company_name", "Bell\x07Co"),
			("lead_name", "Esc\x1b[31m"),
		):
			email = f"ctl.{field}.{ord(value[3])}@sweep-web.example"
			body = {"lead_name": "Clean Name", "email_id": email, field: value}
			reply = self.submit(body)
			self.assertFails(reply, 400, field, "control character")
			self.assertEqual(frappe.db.count(constants.LEAD, {"email_id": email}), 0)

	def test_other_characters_are_kept(self):
		email = "ctl.ok@sweep-web.example"
		reply = self.submit(
			{"lead_name": "Zoë O'Brien-Łukasz", "email_id": email, "company_name": "Café 東京"}
		)
		self.assertOk(reply)
		self.assertEqual(
			frappe.db.get_value(constants.LEAD, {"email_id": email}, ["lead_name", "company_name"]),
			("Zoë O'Brien-Łukasz", "Café 東京"),
		)
