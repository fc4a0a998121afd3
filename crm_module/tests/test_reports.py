"""Script reports: exact figures on a hand-computed fixture, and the same row-level isolation as lists."""

import frappe
from frappe.desk.query_report import run

from crm_module import constants
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


def report(name: str, **filters) -> dict:
	return run(name, filters=filters, ignore_prepared_report=True)


class TestReports(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b, cls.boss = (
			f.make_user("report.a@example.com"),
			f.make_user("report.b@example.com"),
			f.manager(),
		)
		with f.as_user(cls.boss):  # what the site held before this fixture
			cls.proposal_before = cls.stages(
				report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE)
			).get("Proposal", {"count": 0, "value": 0})
		with f.as_user(cls.rep_a):
			cls.customer_a = f.make_customer("Report Alpha").name
			# Proposal is 50 %: forecasts 10000.01 x 0.5 = 5000.005 -> 5000.01 and 333.33 x 0.5 = 166.665 -> 166.67
			f.make_opportunity(cls.customer_a, "A1", value=10000.01, stage_name="Proposal")
			f.make_opportunity(cls.customer_a, "A2", value=333.33, stage_name="Proposal")
			# Prospecting is 10 %: 1000 x 0.1 = 100
			f.make_opportunity(cls.customer_a, "A3", value=1000, stage_name="Prospecting")
		with f.as_user(cls.rep_b):
			cls.customer_b = f.make_customer("Report Beta").name
			f.make_opportunity(cls.customer_b, "B1", value=99999, stage_name="Proposal")
		frappe.db.set_value(constants.CUSTOMER, cls.customer_a, {"health_score": 42, "risk_level": "Red"})
		frappe.db.set_value(constants.CUSTOMER, cls.customer_b, {"health_score": 90, "risk_level": "Green"})

	@staticmethod
	def stages(result) -> dict:
		return {row["stage_name"]: row for row in result["result"]}

	def test_pipeline_forecast_for_a_rep(self):
		with f.as_user(self.rep_a):
			rows = self.stages(report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE))
		self.assertEqual(rows["Proposal"]["count"], 2)
		self.assertAlmostEqual(rows["Proposal"]["value"], 10333.34, places=2)
		self.assertAlmostEqual(rows["Proposal"]["forecast"], 5166.68, places=2)
		self.assertAlmostEqual(rows["Prospecting"]["forecast"], 100.00, places=2)
		self.assertNotIn("Closed Won", rows, "final stages are not part of the open pipeline")

	def test_manager_sees_all_and_can_view_as_rep(self):
		with f.as_user(self.boss):
			everyone = self.stages(report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE))
			as_rep_b = self.stages(
				report("CRM Pipeline Forecast", pipeline=constants.DEFAULT_PIPELINE, sales_rep=self.rep_b)
			)
		# the site's earlier Proposal deals plus this fixture's A1, A2 (rep A) and B1 (rep B)
		self.assertEqual(everyone["Proposal"]["count"], self.proposal_before["count"] + 3)
		self.assertAlmostEqual(
			everyone["Proposal"]["value"], self.proposal_before["value"] + 10000.01 + 333.33 + 99999, places=2
		)
		self.assertEqual(as_rep_b["Proposal"]["count"], 1)
		self.assertAlmostEqual(as_rep_b["Proposal"]["value"], 99999, places=2)

	def test_rep_cannot_view_as_another_rep(self):
		with f.as_user(self.rep_a):
			self.assertRaises(frappe.PermissionError, report, "CRM Pipeline Forecast", sales_rep=self.rep_b)

	def test_health_overview_is_isolated_and_sorted_by_risk(self):
		with f.as_user(self.rep_a):
			names = [row["name"] for row in report("CRM Customer Health Overview")["result"]]
		self.assertIn(self.customer_a, names)
		self.assertNotIn(self.customer_b, names)
		with f.as_user(self.boss):
			rows = report("CRM Customer Health Overview")["result"]
		risks = [row["risk_level"] for row in rows if row["name"] in (self.customer_a, self.customer_b)]
		self.assertEqual(risks, ["Red", "Green"])

	def test_conversion_metrics_rows(self):
		with f.as_user(self.rep_a):
			result = report("CRM Conversion Metrics")
		metrics = {row["metric"]: row["value"] for row in result["result"]}
		self.assertIn("Win Rate (%)", metrics)
		self.assertEqual(metrics["Win Rate (%)"], 0.0, "no closed opportunities yet")
