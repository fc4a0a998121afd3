"""Products on opportunities (issue 20): lines make the value, rows follow their opportunity, the won deal's
ERPNext draft carries them.

The value of an opportunity with lines is their total to the cent (3 x 19.99 with 10 % off = 53.97), and
the forecast amount follows it; without lines the typed value stands. A line read on its own (list,
`frappe.client.get`, a document permission check) is as reachable as its opportunity: rep B reads none of
rep A's lines. CRM Catalog Product is read by CRM Users and maintained by CRM Managers. On a site with
ERPNext, a won opportunity whose lines are ERPNext Items gets a Quotation with those lines (elsewhere those
tests skip and say why).
"""

import re

import frappe

from crm_module import constants
from crm_module.access.overrides import client_get
from crm_module.exceptions import CRMInputError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

TAG = frappe.generate_hash(length=6).upper()


def line(item: str | None = None, qty=1, rate=0, discount=0, **kwargs) -> dict:
	values = {"qty": qty, "rate": rate, "discount_percent": discount, **kwargs}
	if item:
		values.setdefault("item_type", constants.CATALOG_PRODUCT)
		values["item"] = item
	return values


class TestOpportunityLines(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = f.rep(1), f.rep(2), f.manager()
		with f.as_user(cls.boss):
			cls.widget = cls.product(f"W-{TAG}", "Widget", 19.99)
			cls.retired = cls.product(f"R-{TAG}", "Retired gadget", 5, is_active=0)
		with f.as_user(cls.rep_a):
			cls.customer = f.make_customer(f"Lines Alpha {TAG}").name

	@classmethod
	def product(cls, code: str, name: str, price: float, **kwargs) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": constants.CATALOG_PRODUCT,
					"product_code": code,
					"product_name": name,
					"price": price,
					**kwargs,
				}
			)
			.insert()
			.name
		)

	def opportunity(self, lines: list[dict], value: float = 0, **kwargs):
		with f.as_user(self.rep_a):
			return f.make_opportunity(self.customer, f"Lines {TAG}", value, lines=lines, **kwargs)

	# ------------------------------------------------------------------ the value from the lines

	def test_the_value_is_the_lines_total_to_the_cent(self):
		opp = self.opportunity([line(self.widget, qty=3, discount=10)], value=999, probability_percent=50)
		row = opp.lines[0]
		# the product's name and price fill the line; the amount is 59.97 less 10 % = 53.973 -> 53.97
		self.assertEqual((row.product_name, row.rate, row.amount), ("Widget", 19.99, 53.97))
		self.assertEqual(row.currency, opp.currency)
		stored = frappe.db.get_value(
			constants.OPPORTUNITY, opp.name, ["value", "forecast_amount"], as_dict=True
		)
		self.assertEqual((stored.value, stored.forecast_amount), (53.97, 26.99))  # 26.985 half up

	def test_lines_add_up_and_follow_edits(self):
		opp = self.opportunity(
			[
				line(self.widget, qty=3, discount=10),
				line(product_name="Setup", qty=1, rate=0.125),
				line(product_name="Licences", qty=2, rate=1000, discount=12.5),
			]
		)
		self.assertEqual([r.amount for r in opp.lines], [53.97, 0.13, 1750.0])
		self.assertEqual(opp.value, 1804.10)
		with f.as_user(self.rep_a):
			opp.reload()
			opp.lines[2].qty = 3
			opp.remove(opp.lines[1])
			opp.save()
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, opp.name, "value"), 2678.97)
		with f.as_user(self.rep_a):
			opp.reload()
			opp.lines[0].rate = 20  # a typed rate of an existing line is kept
			opp.save()
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, opp.name, "value"), 54.0 + 2625.0)

	def test_without_lines_the_typed_value_stands(self):
		opp = self.opportunity([], value=1234.56, probability_percent=10)
		stored = frappe.db.get_value(
			constants.OPPORTUNITY, opp.name, ["value", "forecast_amount"], as_dict=True
		)
		self.assertEqual((stored.value, stored.forecast_amount), (1234.56, 123.46))

	def test_bad_lines_are_refused_with_the_row(self):
		for bad, message in (
			(line(self.widget, qty=0), "Row 1: qty must be above 0"),
			(line(self.widget, qty=1, discount=120), "Row 1: discount_percent must be between 0 and 100"),
			(line(self.retired, qty=1), f"Row 1: CRM Catalog Product R-{TAG} is not active"),
			(line(qty=1, rate=5), "Row 1: Product Name (product_name) or Item (item) is required"),
		):
			with self.subTest(message), self.assertRaisesRegex(CRMInputError, re.escape(message)):
				self.opportunity([bad])

	# ------------------------------------------------------------------ access to the lines

	def test_a_rep_cannot_read_another_reps_lines(self):
		opp = self.opportunity([line(self.widget, qty=2, product_name=f"Secret {TAG}")])
		row = opp.lines[0].name
		with f.as_user(self.rep_b):
			self.assertEqual(
				frappe.get_list(
					constants.OPPORTUNITY_LINE,
					parent_doctype=constants.OPPORTUNITY,
					filters={"product_name": f"Secret {TAG}"},
					pluck="name",
				),
				[],
			)
			self.assertFalse(frappe.get_doc(constants.OPPORTUNITY_LINE, row).has_permission("read"))
			# Frappe's own check of a row loaded on its own (print view, getdoc) judges A's opportunity
			loaded = frappe.get_doc(constants.OPPORTUNITY_LINE, row)
			self.assertFalse(frappe.has_permission(constants.OPPORTUNITY_LINE, "print", doc=loaded))
			with self.assertRaises(frappe.PermissionError):
				client_get(constants.OPPORTUNITY_LINE, row, parent=constants.OPPORTUNITY)
			with self.assertRaises(frappe.DoesNotExistError):
				client_get(
					constants.OPPORTUNITY_LINE,
					filters={"product_name": f"Secret {TAG}"},
					parent=constants.OPPORTUNITY,
				)
			# nor add a line to A's opportunity
			doc = frappe.get_doc(constants.OPPORTUNITY, opp.name)
			doc.append("lines", line(self.widget, qty=100))
			self.assertRaises(frappe.PermissionError, doc.save)
		self.assertEqual(frappe.db.count(constants.OPPORTUNITY_LINE, {"parent": opp.name}), 1)
		with f.as_user(self.rep_a):  # positive control: the owner reads the row on every path
			self.assertEqual(
				frappe.get_list(
					constants.OPPORTUNITY_LINE,
					parent_doctype=constants.OPPORTUNITY,
					filters={"product_name": f"Secret {TAG}"},
					pluck="name",
				),
				[row],
			)
			self.assertTrue(frappe.get_doc(constants.OPPORTUNITY_LINE, row).has_permission("read"))
			self.assertEqual(
				client_get(constants.OPPORTUNITY_LINE, row, parent=constants.OPPORTUNITY)["amount"], 39.98
			)

	def test_reps_read_the_catalog_and_managers_maintain_it(self):
		with f.as_user(self.rep_b):
			self.assertTrue(frappe.has_permission(constants.CATALOG_PRODUCT, "read", self.widget))
			self.assertIn(
				self.widget, frappe.get_list(constants.CATALOG_PRODUCT, pluck="name", limit_page_length=0)
			)
			self.assertFalse(frappe.has_permission(constants.CATALOG_PRODUCT, "write", self.widget))
			with self.assertRaises(frappe.PermissionError):
				self.product(f"X-{TAG}", "Rep's own", 1)
		self.assertFalse(frappe.db.exists(constants.CATALOG_PRODUCT, f"X-{TAG}"))
		with f.as_user(self.boss):
			self.assertTrue(frappe.has_permission(constants.CATALOG_PRODUCT, "write", self.widget))


class TestOpportunityLinesERPNext(IntegrationTestCase):
	"""The won deal's Quotation carries the lines (sites with ERPNext only)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.installed = "erpnext" in frappe.get_installed_apps()

	def setUp(self):
		if not self.installed:
			self.skipTest("ERPNext is not installed on this site")
		from crm_module.tests.test_migrations import ensure_erpnext_basics

		frappe.set_user("Administrator")
		self.basics = ensure_erpnext_basics()
		self.widget = self.item(f"CRM-LINE-W-{TAG}", "Line widget")
		self.seller = f.make_user(
			f"crm.lines.seller.{TAG.lower()}@example.com", (constants.ROLE_USER, "Sales User")
		)
		for field, value in (
			("create_erpnext_customer", 1),
			("erpnext_won_document", "Quotation"),
			("erpnext_deal_item", self.basics.item),
		):
			frappe.db.set_single_value(constants.SETTINGS, field, value)

	def item(self, code: str, name: str) -> str:
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": name,
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert(ignore_permissions=True)
		return code

	def win(self, lines: list[dict], value: float = 0):
		with f.as_user(self.seller):
			customer = f.make_customer(f"Lines ERP {TAG} {frappe.generate_hash(length=4)}").name
			opp = f.make_opportunity(customer, f"Lines deal {TAG}", value, lines=lines)
			opp.reload()
			opp.stage = f.stage("Closed Won")
			opp.save()
		opp.reload()
		return opp

	def quotation_items(self, opp) -> list[tuple]:
		self.assertEqual(opp.erpnext_sales_doctype, "Quotation")
		return [
			(r.item_code, r.qty, r.price_list_rate, r.discount_percentage, r.rate, r.amount)
			for r in frappe.get_doc("Quotation", opp.erpnext_sales_document).items
		]

	def test_the_quotation_draft_has_the_same_lines(self):
		opp = self.win(
			[
				line(self.widget, qty=3, rate=19.99, discount=10, item_type="Item"),
				line(self.basics.item, qty=2, rate=250, item_type="Item"),
			]
		)
		self.assertEqual([r.product_name for r in opp.lines], ["Line widget", "CRM deal (services)"])
		self.assertEqual(opp.value, 553.97)
		self.assertEqual(
			self.quotation_items(opp),
			[
				(self.widget, 3.0, 19.99, 10.0, 17.99, 53.97),
				(self.basics.item, 2.0, 250.0, 0.0, 250.0, 500.0),
			],
		)
		self.assertEqual(frappe.db.get_value("Quotation", opp.erpnext_sales_document, "total"), 553.97)

	def test_without_item_lines_the_draft_keeps_the_single_deal_line(self):
		opp = self.win([line(product_name="Custom work", qty=1, rate=1234.5)])
		self.assertEqual(opp.value, 1234.5)
		self.assertEqual(self.quotation_items(opp), [(self.basics.item, 1.0, 0.0, 0.0, 1234.5, 1234.5)])
