"""One currency on every view: install gives the site a default currency (the one the desk formats number
cards, chart tooltips and Kanban cards in), and the script reports name the currency of every money
column, summary and chart."""

from unittest.mock import patch

import frappe
from frappe.desk.query_report import run

from crm_module import constants
from crm_module.setup import install
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase
from crm_module.utils import default_currency


def report(name: str, **filters) -> dict:
	return run(name, filters=filters, ignore_prepared_report=True)


class TestDefaultCurrency(IntegrationTestCase):
	def setUp(self):
		self.before = frappe.db.get_default("currency")

	def tearDown(self):
		# back to the site's own currency; a site that had none keeps the one install gives it
		if self.before:
			frappe.db.set_default("currency", self.before)
		else:
			self.forget_currency()
			install.ensure_currency()
		frappe.db.commit()

	@staticmethod
	def forget_currency():
		"""The site as a fresh install finds it: no setup wizard ever set a currency."""
		frappe.defaults.clear_default("currency", parent="__default")
		if frappe.get_meta("System Settings").has_field("currency"):
			frappe.db.set_single_value("System Settings", "currency", None)
		assert not frappe.db.get_default("currency")

	def test_install_gives_the_site_a_default_currency(self):
		self.forget_currency()
		install.after_install()  # what `bench install-app` runs (and every migrate)
		expected = install.erpnext_company_currency() or install.FALLBACK_CURRENCY
		self.assertEqual(frappe.db.get_default("currency"), expected)
		# what the desk boots with (frappe.boot.sysdefaults), so nothing falls back to the first currency
		self.assertEqual(frappe.defaults.get_defaults().get("currency"), expected)
		self.assertTrue(frappe.db.get_value("Currency", expected, "enabled"))
		if frappe.get_meta("System Settings").has_field("currency"):  # Frappe v16
			self.assertEqual(frappe.db.get_single_value("System Settings", "currency"), expected)
		# new opportunities take it
		self.assertEqual(default_currency(), expected)

	def test_a_currency_already_set_is_kept(self):
		frappe.db.set_default("currency", "EUR")
		self.assertEqual(install.ensure_currency(), "EUR")
		self.assertEqual(frappe.db.get_default("currency"), "EUR")
		self.assertTrue(frappe.db.get_value("Currency", "EUR", "enabled"))

	def test_erpnext_company_currency_comes_before_usd(self):
		self.forget_currency()
		with patch.object(install, "erpnext_company_currency", return_value="EUR"):
			self.assertEqual(install.ensure_currency(), "EUR")
		self.assertEqual(frappe.db.get_default("currency"), "EUR")
		self.forget_currency()
		self.assertEqual(install.ensure_currency(), install.erpnext_company_currency() or "USD")

	def test_install_is_idempotent(self):
		install.ensure_currency()
		first = frappe.db.get_default("currency")
		install.ensure_currency()
		self.assertEqual(frappe.db.get_default("currency"), first)
		self.assertEqual(frappe.db.count("DefaultValue", {"parent": "__default", "defkey": "currency"}), 1)


class TestReportsNameTheirCurrency(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		install.ensure_currency()
		cls.currency = default_currency()
		cls.boss = f.manager()
		with f.as_user(cls.boss):
			customer = f.make_customer("Currency Test Co").name
			f.make_opportunity(customer, "Currency Open", value=1200, stage_name="Proposal")
			won = f.make_opportunity(customer, "Currency Won", value=800, stage_name="Proposal")
			won.stage = f.stage("Closed Won")
			won.win_loss_reason = "Fit"
			won.save()

	def assert_names_currency(self, name: str, result: dict, **filters):
		columns = [c for c in result["columns"] if isinstance(c, dict)]
		rows = [r for r in result["result"] if isinstance(r, dict)]
		self.assertTrue(rows, f"{name} returned no rows")
		money_columns = [c for c in columns if c.get("fieldtype") == "Currency"]
		for column in money_columns:
			key = column.get("options")
			self.assertTrue(key, f"{name}: money column {column['fieldname']} names no currency")
			for row in rows:
				self.assertEqual(row.get(key), self.currency, f"{name}: row without its currency: {row}")
		# rows that say they hold money (one Value column with figures of several kinds)
		for row in rows:
			if row.get("fieldtype") == "Currency":
				self.assertEqual(row.get("currency"), self.currency, f"{name}: {row['metric']}")
		for item in result.get("report_summary") or []:
			if item.get("datatype") == "Currency":
				self.assertEqual(item.get("currency"), self.currency, f"{name}: summary {item['label']}")
		chart = result.get("chart") or {}
		if chart.get("fieldtype") == "Currency":
			self.assertEqual(chart.get(chart.get("options")), self.currency, f"{name}: chart")
		return money_columns, rows

	def test_pipeline_forecast_names_its_currency(self):
		with f.as_user(self.boss):
			result = report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE)
		columns, _rows = self.assert_names_currency("CRM Pipeline Forecast", result)
		self.assertEqual({c["fieldname"] for c in columns}, {"value", "forecast"})
		self.assertIn("currency", {c["fieldname"] for c in result["columns"]})

	def test_conversion_metrics_names_its_currency(self):
		with f.as_user(self.boss):
			result = report("CRM Conversion Metrics")
		_columns, rows = self.assert_names_currency("CRM Conversion Metrics", result)
		money = [r for r in rows if r.get("fieldtype") == "Currency"]
		self.assertEqual(len(money), 2, "average won deal size and pipeline velocity")

	def test_health_overview_has_no_unnamed_money(self):
		with f.as_user(self.boss):
			result = report("CRM Customer Health Overview")
		self.assert_names_currency("CRM Customer Health Overview", result)

	def test_mixed_currencies_fall_back_to_the_site_currency(self):
		other = "EUR" if self.currency != "EUR" else "USD"
		frappe.db.set_value("Currency", other, "enabled", 1)
		with f.as_user(self.boss):
			customer = f.make_customer("Currency Mix Co").name
			f.make_opportunity(customer, "Currency Mix", value=50, stage_name="Proposal", currency=other)
			result = report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE)
		self.assert_names_currency("CRM Pipeline Forecast", result)
		self.assertIn(other, result["message"], "the mix is flagged")
		frappe.db.rollback()
