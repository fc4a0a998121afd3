"""The learned revenue forecast on a site: deal histories read from the database as they happened, a user's
forecast from the model (hand-computed with a model of constant chances), isolation between reps, and the
report's cards."""

import math
from datetime import date
from unittest.mock import patch

import frappe
from frappe.desk.query_report import run
from frappe.utils import add_days, getdate, nowdate

from crm_module import caching, constants
from crm_module.domain import forecast_model as fm
from crm_module.domain.logistic import Fit
from crm_module.services.sales import learned_forecast
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

TODAY = getdate(nowdate())


def constant(p: float) -> Fit:
	n = len(fm.FEATURES)
	return Fit([0.0] * n, math.log(p / (1 - p)), [0.0] * n, [1.0] * n)


def trained(model: fm.Model, chances: dict, **errors) -> None:
	"""Cache what the nightly run would have stored: the model, each deal's chances and 12 months' errors."""
	caching.store(
		learned_forecast.MODEL_KEY,
		{"status": "trained", "model": model, "chances": chances, "months": 12, **errors},
	)


class TestLearnedForecast(IntegrationTestCase):
	def setUp(self):
		run = frappe.generate_hash(
			length=6
		)  # reps of their own: their forecast counts only this test's deals
		self.rep_a = f.make_user(f"lf.a.{run}@example.com", (constants.ROLE_USER,))
		self.rep_b = f.make_user(f"lf.b.{run}@example.com", (constants.ROLE_USER,))
		self.customer_a = f.make_customer(
			f"LF A {run}", ignore_permissions=True, account_owner=self.rep_a
		).name
		self.customer_b = f.make_customer(
			f"LF B {run}", ignore_permissions=True, account_owner=self.rep_b
		).name
		frappe.cache.delete_value(learned_forecast.MODEL_KEY)

	def tearDown(self):
		frappe.cache.delete_value(learned_forecast.MODEL_KEY)
		frappe.set_user("Administrator")

	def deal(self, customer: str, owner: str, value: float, stage: str = "Prospecting", **kwargs):
		return f.make_opportunity(
			customer,
			f"LF {frappe.generate_hash(length=6)}",
			value,
			stage,
			opportunity_owner=owner,
			ignore_permissions=True,
			**kwargs,
		)

	def test_a_deal_history_is_read_as_it_happened(self):
		deal = self.deal(self.customer_a, self.rep_a, 1200.0)
		first_close = getdate(deal.expected_close_date)
		# saved as the desk saves: with a Version row (Frappe skips them in tests unless told not to)
		deal.stage = f.stage("Proposal")
		deal.save(ignore_permissions=True, ignore_version=False)
		deal.reload()
		deal.expected_close_date = add_days(first_close, 31)
		deal.save(ignore_permissions=True, ignore_version=False)
		f.make_interaction(self.customer_a, opportunity=deal.name, ignore_permissions=True)
		f.make_interaction(self.customer_a, opportunity=deal.name, ignore_permissions=True)

		(history,) = [d for d in learned_forecast.load_deals() if d.name == deal.name]
		self.assertEqual(history.owner, self.rep_a)
		self.assertEqual(history.value, 1200.0)
		self.assertIsNone(history.closed)
		self.assertEqual([p for _day, p in history.stages], [10.0, 50.0])  # Prospecting, then Proposal
		self.assertEqual(
			[close for _day, close in history.expected_closes], [first_close, add_days(first_close, 31)]
		)
		self.assertEqual(len(history.activity), 2)

	def test_little_history_means_no_model_and_says_so(self):
		self.deal(self.customer_a, self.rep_a, 100.0)
		with patch.object(learned_forecast, "MIN_CLOSED", 10**9):  # whatever other suites left on the site
			result = learned_forecast.get_learned_forecast("Administrator")
		self.assertEqual(result, {"status": "not_enough_history", "months": []})

	def test_a_reps_forecast_counts_only_their_deals(self):
		a1 = self.deal(
			self.customer_a, self.rep_a, 1000.0, "Proposal", expected_close_date=add_days(TODAY, 40)
		)
		a2 = self.deal(self.customer_a, self.rep_a, 500.0, "Prospecting")
		b1 = self.deal(self.customer_b, self.rep_b, 9999.0, "Negotiation")
		model = fm.Model(constant(0.2), constant(0.1), run_rate=0.0, run_rate_variance=0.0, residuals=[])
		# the chances the nightly run gives with a won chance of 0.2 and a lost one of 0.1 a month
		chances = [0.2, 0.7 * 0.2, 0.7 * 0.7 * 0.2]
		found = fm.chances(model, [fm.Deal("x", "", 1.0, date(2026, 1, 1))], date(2026, 2, 1))["x"]
		self.assertEqual([round(c, 9) for c in found], [round(c, 9) for c in chances])
		trained(
			model,
			{a1.name: chances, a2.name: chances, b1.name: chances},
			mape_model=12.5,
			mape_weighted=40.0,
			coverage=83.3,
		)
		frappe.set_user(self.rep_a)
		result = learned_forecast.get_learned_forecast(self.rep_a)
		this_month, next_month, _third = result["months"]
		self.assertEqual(this_month["expected"], 300.0)  # 0.2 x 1,500
		self.assertEqual(next_month["expected"], 210.0)  # open through this month (0.7) x 0.2 x 1,500
		self.assertEqual(
			(result["mape_model"], result["mape_weighted"], result["coverage"]), (12.5, 40.0, 83.3)
		)
		frappe.set_user(self.rep_b)
		self.assertEqual(learned_forecast.get_learned_forecast(self.rep_b)["months"][0]["expected"], 1999.8)

	def test_the_revenue_forecast_report_shows_the_learned_figure_beside_the_weighted(self):
		deal = self.deal(self.customer_a, self.rep_a, 1000.0, "Proposal")
		model = fm.Model(constant(0.25), constant(0.1), 0.0, 0.0, [])
		trained(
			model, {deal.name: [0.25, 0.1625, 0.105625]}, mape_model=9.9, mape_weighted=31.2, coverage=75.0
		)
		frappe.set_user(self.rep_a)
		result = run("CRM Revenue Forecast", filters={})
		cards = {card["label"]: card["value"] for card in result["report_summary"]}
		month = TODAY.strftime("%b %Y")
		self.assertEqual(cards[f"Learned forecast, {month}"], 250.0)
		self.assertIn("9.9 %", result["message"])
		self.assertIn("31.2 %", result["message"])

	def test_the_endpoint_answers_in_camel_case_and_keeps_reps_apart(self):
		from crm_module.api import forecast as forecast_api

		deal = self.deal(self.customer_a, self.rep_a, 800.0, "Proposal")
		model = fm.Model(constant(0.5), constant(0.1), 0.0, 0.0, [])
		trained(model, {deal.name: [0.5, 0.2, 0.08]}, mape_model=8.0, mape_weighted=20.0, coverage=80.0)
		frappe.set_user(self.rep_a)
		answer = forecast_api.learned()
		self.assertEqual(answer["months"][0]["expected"], 400.0)
		self.assertEqual((answer["mapeModel"], answer["backtestMonths"]), (8.0, 12))
		self.assertRaises(frappe.PermissionError, forecast_api.learned, userId=self.rep_b)

	def test_a_deal_opened_since_the_nightly_run_counts_at_its_stage_probability(self):
		close = add_days(TODAY, 40)
		self.deal(self.customer_a, self.rep_a, 1000.0, "Proposal", expected_close_date=close)
		model = fm.Model(constant(0.2), constant(0.1), 0.0, 0.0, [])
		trained(model, {}, mape_model=1.0, mape_weighted=2.0, coverage=80.0)
		frappe.set_user(self.rep_a)
		months = learned_forecast.get_learned_forecast(self.rep_a)["months"]
		in_close_month = [row for row in months if row["month"] == close.strftime("%Y-%m")]
		self.assertEqual([row["expected"] for row in in_close_month], [500.0])  # Proposal: 50 %
		self.assertEqual(sum(row["expected"] for row in months), 500.0)
		self.assertEqual(sum(row["weighted"] for row in months), 500.0)
