"""Hundreds of generated malformed requests against `/api/resource` of each CRM doctype a rep writes,
and the app's own endpoints: wrong types, out-of-range numbers, impossible dates, 100 KB strings,
injection strings, unknown links, malformed JSON, mass assignment of owner / docstatus / name /
creation. Every answer is below 500, every refusal names what was wrong, and a refused request leaves
every CRM table exactly as it was."""

import json

import frappe

from crm_module import constants
from crm_module.access.rules import CHILD_PARENTS, RULES
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_contact, make_interaction, make_lead, make_opportunity

BIG = "x" * 100_000
INJECTION = ("' OR 1=1 --", "`; DROP TABLE `tabCRM Contact`; --", "<script>alert(1)</script>")
BAD_VALUES = {
	"text": [{"nested": 1}, [1, 2], True, BIG],
	"number": ["abc", {"n": 1}, [1], "1e400", 1e20],
	"date": ["2024-13-45", "yesterday", "2024-02-30", {"d": 1}],
	"select": ["Not An Option", {"s": 1}, [1]],
	"link": [{"name": ["like", "%"]}, ["x"], "Does-Not-Exist-XYZ"],
	"check": ["maybe", {"c": 1}],
	"json": ["{not json", "[1, 2"],
	"table": ["not a list", [1, 2], [{"email_id": {"x": 1}}]],
}
KIND = {
	"Data": "text",
	"Small Text": "text",
	"Text": "text",
	"Long Text": "text",
	"Text Editor": "text",
	"Phone": "text",
	"Int": "number",
	"Float": "number",
	"Currency": "number",
	"Percent": "number",
	"Date": "date",
	"Datetime": "date",
	"Select": "select",
	"Link": "link",
	"Dynamic Link": "link",
	"Check": "check",
	"JSON": "json",
	"Table": "table",
	"Table MultiSelect": "table",
}
MASS_ASSIGNMENT = [
	("owner", "crm.bad.b@example.com"),
	("creation", "2001-01-01 00:00:00"),
	("docstatus", 1),
	("docstatus", 2),
	("docstatus", "abc"),
	("idx", "abc"),
	("name", "CRM-HIJACK-1"),
	("_assign", '["crm.bad.b@example.com"]'),
]
WRITABLE = (
	constants.CUSTOMER,
	constants.LEAD,
	constants.OPPORTUNITY,
	constants.CONTACT,
	constants.INTERACTION,
	constants.NOTE,
	constants.TAGGED_ITEM,
)


class TestBadInput(CRMAPITestCase):
	prefix = "bad"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		with as_user(cls.rep_a):
			cls.own = {
				constants.CUSTOMER: cls.customer_a,
				constants.LEAD: make_lead("Bad Input Lead").name,
				constants.OPPORTUNITY: make_opportunity(cls.customer_a, "Bad Input Deal", 100).name,
				constants.CONTACT: make_contact(cls.customer_a, "Bad").name,
				constants.INTERACTION: make_interaction(cls.customer_a, "Bad Input Call").name,
			}
			cls.own[constants.NOTE] = (
				frappe.get_doc(
					{
						"doctype": constants.NOTE,
						"reference_doctype": constants.CUSTOMER,
						"reference_name": cls.customer_a,
						"content": "n",
					}
				)
				.insert()
				.name
			)
			if not frappe.db.exists(constants.TAG, "badinput"):
				frappe.get_doc({"doctype": constants.TAG, "tag_name": "badinput"}).insert(
					ignore_permissions=True
				)
			cls.own[constants.TAGGED_ITEM] = (
				frappe.get_doc(
					{
						"doctype": constants.TAGGED_ITEM,
						"tag": "badinput",
						"reference_doctype": constants.CONTACT,
						"reference_name": cls.own[constants.CONTACT],
					}
				)
				.insert()
				.name
			)
		frappe.db.commit()

	# ------------------------------------------------------------------ generation

	def valid_body(self, doctype: str) -> dict:
		today, now = frappe.utils.today(), frappe.utils.now()
		return {
			constants.CUSTOMER: {"company_name": "Bad Input New Co"},
			constants.LEAD: {"lead_name": "Bad Input New Lead"},
			constants.OPPORTUNITY: {"opportunity_name": "Bad New", "customer": self.customer_a, "value": 5},
			constants.CONTACT: {"first_name": "New", "customer": self.customer_a},
			constants.INTERACTION: {
				"interaction_type": "Call",
				"subject": "s",
				"interaction_date": now,
				"customer": self.customer_a,
			},
			constants.NOTE: {
				"reference_doctype": constants.CUSTOMER,
				"reference_name": self.customer_a,
				"content": "n",
			},
			constants.TAGGED_ITEM: {
				"tag": "badinput",
				"reference_doctype": constants.LEAD,
				"reference_name": self.own[constants.LEAD],
			},
		}[doctype] | ({"follow_up_date": today} if doctype == constants.LEAD else {})

	def cases(self):
		"""(label, method, path, body) for every generated malformed request."""
		for doctype in WRITABLE:
			meta = frappe.get_meta(doctype)
			fields = [df for df in meta.fields if df.fieldtype in KIND and not df.hidden][:14]
			for df in fields:
				for value in BAD_VALUES[KIND[df.fieldtype]]:
					label = f"{doctype}.{df.fieldname}={json.dumps(value)[:30]}"
					yield (
						"create " + label,
						"POST",
						f"/api/resource/{doctype}",
						self.valid_body(doctype) | {df.fieldname: value},
					)
					yield (
						"update " + label,
						"PUT",
						f"/api/resource/{doctype}/{self.own[doctype]}",
						{df.fieldname: value},
					)
			for fieldname, value in MASS_ASSIGNMENT:
				label = f"{doctype}.{fieldname}={value}"
				yield (
					"mass create " + label,
					"POST",
					f"/api/resource/{doctype}",
					self.valid_body(doctype) | {fieldname: value},
				)
				yield (
					"mass update " + label,
					"PUT",
					f"/api/resource/{doctype}/{self.own[doctype]}",
					{fieldname: value},
				)
				yield (
					"mass v2 " + label,
					"PATCH",
					f"/api/v2/document/{doctype}/{self.own[doctype]}",
					{fieldname: value},
				)
			for text in INJECTION if self.text_field(doctype) else ():
				yield (
					f"injection {doctype}",
					"PUT",
					f"/api/resource/{doctype}/{self.own[doctype]}",
					{self.text_field(doctype): text},
				)
			yield f"unknown id {doctype}", "PUT", f"/api/resource/{doctype}/Does-Not-Exist-XYZ", {"x": 1}
		for method, body in self.app_cases():
			yield (
				f"app {method} {json.dumps(body)[:40]}",
				"POST",
				f"/api/method/crm_module.api.{method}",
				body,
			)

	@staticmethod
	def text_field(doctype: str) -> str:
		fields = frappe.get_meta(doctype).fields
		return next(
			(df.fieldname for df in fields if df.fieldtype in ("Data", "Small Text") and not df.read_only),
			None,
		)

	def app_cases(self):
		for data in (
			{"companyName": {"x": 1}},
			{"annualRevenue": "abc"},
			{"healthScore": 500},
			{"custom": 1},
			"[1,2",
			5,
		):
			yield "customers.post", {"action": "profile", "data": data}
		for data in (
			{"probabilityPercent": 150},
			{"value": -5},
			{"expectedCloseDate": "2024-13-45"},
			{"stage": {"x": 1}},
		):
			yield (
				"opportunities.post",
				{
					"action": "create",
					"data": {"customerId": self.customer_a, "name": "o", "value": 1, **data},
				},
			)
		for data in (
			{"type": "telepathy"},
			{"date": "yesterday"},
			{"durationMinutes": "abc"},
			{"subject": ["a"]},
		):
			yield "interactions.post", {"customerId": self.customer_a, "subject": "s", "type": "call", **data}
		for data in (
			{"name": {"x": 1}},
			{"email": "not-an-email"},
			{"status": "exploded"},
			{"followUpDate": "2024-02-30"},
		):
			yield "leads.post", {"action": "create", "data": {"name": "L", **data}}
		yield "sales.convert_lead", {"lead": self.own[constants.LEAD], "opportunity": "{not json"}
		yield (
			"sales.convert_lead",
			{"lead": self.own[constants.LEAD], "opportunity": {"forecast_amount": 1e9}},
		)
		yield "sales.convert_lead", {"lead": ["x"]}

	# ------------------------------------------------------------------ the run

	def state(self) -> str:
		counts = {dt: frappe.db.count(dt) for dt in (*RULES, *CHILD_PARENTS)}
		rows = {
			dt: frappe.db.sql(f"select * from `tab{dt}` where name = %s", name, as_dict=True)
			for dt, name in self.own.items()
		}
		return frappe.as_json({"counts": counts, "rows": rows})

	def test_malformed_requests(self):
		problems, refused, total = [], 0, 0
		for label, method, path, body in self.cases():
			total += 1
			before = self.state()
			reply = self.call(method, path, self.rep_a, body=body)
			if reply.status >= 500:
				problems.append(f"{label}: {reply.status} {reply.error[:200]}")
			elif reply.status >= 400:
				refused += 1
				if self.state() != before:
					problems.append(f"{label}: refused with {reply.status} but something was written")
			elif "create" in label:
				self.call("DELETE", f"{path}/{(reply.message or {}).get('name')}", self.manager)
		print(
			f"\nbad input: {total} malformed requests, {refused} refused with a 4xx, {len(problems)} problems"
		)
		# a floor on the generator's coverage (this test's own requests, not a site-wide total): the
		# exact number changes with every field a doctype gains, the floor catches a generator gone quiet
		self.assertGreaterEqual(total, 500)
		self.assertEqual(problems, [], "\n".join(problems))

	def test_refusals_name_the_field(self):
		for path, body, words in (
			(
				f"/api/resource/{constants.CUSTOMER}/{self.customer_a}",
				{"annual_revenue": "abc"},
				("annual_revenue", "number"),
			),
			(
				f"/api/resource/{constants.CONTACT}",
				{"first_name": "X", "customer": self.customer_a, "emails": "nope"},
				("emails",),
			),
			(
				f"/api/resource/{constants.LEAD}/{self.own[constants.LEAD]}",
				{"follow_up_date": "2024-13-45"},
				("follow_up_date",),
			),
			(
				f"/api/resource/{constants.OPPORTUNITY}/{self.own[constants.OPPORTUNITY]}",
				{"stage": {"x": 1}},
				("stage",),
			),
			(
				f"/api/resource/{constants.CUSTOMER}/{self.customer_a}",
				{"custom_data": "{oops"},
				("custom_data", "JSON"),
			),
		):
			with self.subTest(body=body):
				reply = self.call("PUT" if path.count("/") > 3 else "POST", path, self.rep_a, body=body)
				self.assertFails(reply, 400, *words)
