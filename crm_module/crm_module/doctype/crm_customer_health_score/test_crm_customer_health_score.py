import frappe
from frappe.utils import add_days, today

from crm_module import constants
from crm_module.exceptions import CRMDuplicateError, CRMInputError
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_customer


def health_row(customer: str, day: str, score: int, **values):
	doc = {"engagement_score": score, "activity_score": score, "satisfaction_score": score} | values
	return frappe.get_doc(
		{
			"doctype": constants.HEALTH_SCORE,
			"customer": customer,
			"score_date": day,
			"health_score": score,
			**doc,
		}
	).insert(ignore_permissions=True)


class TestCRMCustomerHealthScore(IntegrationTestCase):
	def setUp(self):
		self.customer = make_customer("Health Row Co", ignore_permissions=True).name

	def profile(self):
		return frappe.db.get_value(
			constants.CUSTOMER, self.customer, ["health_score", "risk_level", "health_updated_on"]
		)

	def test_risk_level_follows_the_score_and_profile_follows_latest_row(self):
		row = health_row(self.customer, today(), 74)
		self.assertEqual(row.risk_level, "Yellow")
		health_row(self.customer, add_days(today(), -1), 30)  # older row: profile unchanged
		self.assertEqual(self.profile()[:2], (74, "Yellow"))
		row.delete(ignore_permissions=True)
		self.assertEqual(self.profile()[:2], (30, "Red"))

	def test_one_row_per_customer_per_day_and_range(self):
		health_row(self.customer, today(), 80)
		with self.assertRaises(CRMDuplicateError):
			health_row(self.customer, today(), 60)
		with self.assertRaises(CRMInputError) as ctx:
			health_row(self.customer, add_days(today(), -2), 101)
		self.assertIn("(health_score)", str(ctx.exception))
