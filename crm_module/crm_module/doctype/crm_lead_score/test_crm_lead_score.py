import frappe
from frappe.utils import add_days, today

from crm_module import constants
from crm_module.exceptions import CRMDuplicateError, CRMInputError
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_lead


def score(lead: str, day: str, **values):
	doc = {"engagement_score": 85, "fit_score": 75, "activity_score": 90} | values
	return frappe.get_doc({"doctype": constants.LEAD_SCORE, "lead": lead, "scoring_date": day, **doc}).insert(
		ignore_permissions=True
	)


class TestCRMLeadScore(IntegrationTestCase):
	def setUp(self):
		self.lead = make_lead("Score Row Lead", ignore_permissions=True).name

	def latest(self):
		return frappe.db.get_value(constants.LEAD, self.lead, ["latest_score", "latest_grade", "scored_on"])

	def test_total_and_grade_are_filled_and_checked(self):
		row = score(self.lead, today(), grade="D")
		self.assertEqual((row.total_score, row.grade), (250, "A"))
		for field, values in {
			"total_score": {"total_score": 249},
			"engagement_score": {"engagement_score": 101},
			"activity_score": {"activity_score": -1},
		}.items():
			with self.subTest(field=field), self.assertRaises(CRMInputError) as ctx:
				score(self.lead, add_days(today(), -1), **values)
			self.assertIn(f"({field})", str(ctx.exception))

	def test_one_row_per_lead_per_day(self):
		score(self.lead, today())
		with self.assertRaises(CRMDuplicateError):
			score(self.lead, today(), engagement_score=10, total_score=None, grade=None)

	def test_lead_follows_the_latest_row(self):
		latest = score(self.lead, today())
		score(self.lead, add_days(today(), -5), engagement_score=0)  # older: the lead keeps today's row
		self.assertEqual(self.latest()[:2], (250, "A"))
		latest.delete(ignore_permissions=True)
		self.assertEqual(self.latest()[:2], (165, "C"))
		self.assertEqual(str(self.latest()[2]), add_days(today(), -5))
