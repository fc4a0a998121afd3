"""The nightly `daily_long` run: its steps run in order, and a failed run resumes where it stopped."""

from unittest.mock import patch

import frappe
from frappe.utils import nowdate

from crm_module import constants
from crm_module.services import daily
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_customer, make_lead


class TestDailyRun(IntegrationTestCase):
	def setUp(self):
		frappe.cache.delete_value(daily.done_key(nowdate()))
		self.addCleanup(frappe.cache.delete_value, daily.done_key(nowdate()))

	def fake_steps(self, calls: list, failing: set):
		def step(name):
			def run():
				calls.append(name)
				if name in failing:
					failing.discard(name)  # fails once
					raise RuntimeError(f"{name} broke")

			return run

		return tuple((name, step(name)) for name, _real in daily.STEPS)

	def test_a_failed_run_resumes_at_the_failed_step(self):
		calls: list[str] = []
		with patch.object(daily, "STEPS", self.fake_steps(calls, {"health"})):
			with self.assertRaisesRegex(RuntimeError, "health broke"):
				daily.run_daily()
			self.assertEqual(calls, ["refresh", "scoring", "health"])
			report = daily.run_daily()
		self.assertEqual(
			calls,
			[
				"refresh",
				"scoring",
				"health",
				"health",
				"churn",
				"segments",
				"automation",
				"alerts",
				"forecast",
				"learned_forecast",
			],
		)
		self.assertEqual(
			report,
			{
				"refresh": "skipped",
				"scoring": "skipped",
				"health": "done",
				"churn": "done",
				"segments": "done",
				"automation": "done",
				"alerts": "done",
				"forecast": "done",
				"learned_forecast": "done",
			},
		)
		with patch.object(daily, "STEPS", self.fake_steps(calls, set())):
			self.assertEqual(set(daily.run_daily().values()), {"skipped"})  # nothing left today
			self.assertEqual(set(daily.run_daily(restart=True).values()), {"done"})

	def test_the_real_steps_leave_todays_figures(self):
		customer = make_customer("Nightly Co", ignore_permissions=True).name
		lead = make_lead("Nightly Lead", ignore_permissions=True, follow_up_date=nowdate()).name
		report = daily.run_daily(restart=True)
		self.assertEqual(
			list(report),
			[
				"refresh",
				"scoring",
				"health",
				"churn",
				"segments",
				"automation",
				"alerts",
				"forecast",
				"learned_forecast",
			],
		)
		self.assertEqual(set(report.values()), {"done"})
		self.assertTrue(
			frappe.db.exists(constants.HEALTH_SCORE, {"customer": customer, "score_date": nowdate()})
		)
		self.assertTrue(frappe.db.exists(constants.LEAD_SCORE, {"lead": lead, "scoring_date": nowdate()}))
		self.assertEqual(
			frappe.db.count(
				"ToDo", {"reference_type": constants.LEAD, "reference_name": lead, "status": "Open"}
			),
			1,
		)
