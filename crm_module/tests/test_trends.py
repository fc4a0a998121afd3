"""The dashboard page's monthly trend: won and lost by closing month, new pipeline by creation month,
exact on a fixture the test owns, scoped to what the rep reaches, camelCase at the API edge."""

import frappe
from frappe.utils import add_months, get_first_day, getdate, nowdate

from crm_module import constants
from crm_module.api import dashboard as api
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting import trends
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_opportunity, rep, stage


class TestMonthlyTrend(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep, cls.other = rep(51), rep(52)
		today = getdate(nowdate())
		cls.two_ago, cls.one_ago = get_first_day(add_months(today, -2)), get_first_day(add_months(today, -1))
		with as_user(cls.rep):
			customer = make_customer("Trend Co").name
			won = make_opportunity(customer, "Trend Won", 1000.005)
			lost = make_opportunity(customer, "Trend Lost", 500)
			cls.open = make_opportunity(customer, "Trend Open", 250).name
			won.stage = stage("Closed Won")
			won.save()
			lost.stage, lost.win_loss_reason = stage("Closed Lost"), "Budget"
			lost.save()
		with as_user(cls.other):
			other = make_customer("Other Trend Co").name
			make_opportunity(other, "Not Mine", 99999)
		# created two months ago; won last month, lost two months ago
		frappe.db.set_value(
			constants.OPPORTUNITY, won.name, {"creation": cls.two_ago, "actual_close_date": cls.one_ago}
		)
		frappe.db.set_value(
			constants.OPPORTUNITY, lost.name, {"creation": cls.two_ago, "actual_close_date": cls.two_ago}
		)
		metrics_cache.invalidate()  # direct database writes bypass the document hooks

	def month(self, day) -> str:
		return f"{day.year:04d}-{day.month:02d}"

	def test_the_series_is_exact_and_only_the_reps(self):
		with as_user(self.rep):
			series = {
				row["month"]: row for row in trends.get_monthly_trend(self.rep, self.two_ago, nowdate())
			}
		self.assertEqual(list(series), [self.month(add_months(self.two_ago, i)) for i in range(3)])
		first, second, this = series.values()
		self.assertEqual((first["lost_count"], first["lost_value"], first["won_count"]), (1, 500.0, 0))
		self.assertEqual((first["new_count"], first["new_value"]), (2, 1500.01))  # 1000.005 stored as 1000.01
		self.assertEqual((second["won_count"], second["won_value"], second["new_count"]), (1, 1000.01, 0))
		self.assertEqual((this["new_count"], this["new_value"]), (1, 250.0))  # 99,999 is the other rep's

	def test_the_default_is_the_last_twelve_months(self):
		with as_user(self.rep):
			series = trends.get_monthly_trend()
		self.assertEqual(len(series), 12)
		self.assertEqual(series[-1]["month"], self.month(getdate(nowdate())))

	def test_api_uses_the_seed_casing_and_checks_the_acting_user(self):
		with as_user(self.rep):
			rows = api.trend(fromDate=str(self.two_ago))
			self.assertEqual(
				set(rows[0]),
				{"month", "wonCount", "wonValue", "lostCount", "lostValue", "newCount", "newValue"},
			)
			self.assertRaises(frappe.PermissionError, api.trend, userId=self.other)

	def test_a_write_shows_at_once(self):
		writer = rep(53)  # a rep of its own: the exact figures above stay the fixture's
		with as_user(writer):
			before = trends.get_monthly_trend()[-1]["new_count"]
			make_opportunity(make_customer("Trend Two").name, "Fresh", 10)
			self.assertEqual(trends.get_monthly_trend()[-1]["new_count"], before + 1)
