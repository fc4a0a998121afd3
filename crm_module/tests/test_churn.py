"""Churn prediction on the site: trained nightly from the customers that went inactive, stored on the
active ones with its reasons, listed by the "CRM Churn Risk" report within the row rules, and only the app
writes it."""

import frappe
from frappe.desk.query_report import run as run_report
from frappe.utils import add_days, nowdate

from crm_module import constants
from crm_module.domain import churn as domain
from crm_module.services.insights import churn
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_interaction, make_opportunity, rep


class TestChurnPrediction(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep, cls.other = rep(61), rep(62)
		with as_user(cls.rep):
			# customers that stayed: recent interactions and open deals
			for i in range(24):
				name = make_customer(f"Stayed {i}").name
				make_interaction(name, f"check-in {i}", interaction_date=add_days(nowdate(), -(i % 10)))
				make_opportunity(name, f"Renewal {i}", 1000 + i)
			cls.busy = name
			# customers that left: silent for a long time, marked inactive
			for i in range(12):
				name = make_customer(f"Left {i}").name
				make_interaction(name, f"last call {i}", interaction_date=add_days(nowdate(), -200 - i))
				frappe.db.set_value(constants.CUSTOMER, name, "status", "Inactive")
			# an active customer that looks like those who left
			cls.silent = make_customer("Gone Quiet").name
			make_interaction(cls.silent, "long ago", interaction_date=add_days(nowdate(), -250))
		with as_user(cls.other):
			cls.theirs = make_customer("Someone Else's").name
			make_interaction(cls.theirs, "long ago too", interaction_date=add_days(nowdate(), -250))
		cls.summary = churn.predict_churn()

	def probability(self, name):
		return frappe.db.get_value(
			constants.CUSTOMER, name, ["churn_probability", "churn_reasons", "churn_updated_on"]
		)

	def test_the_model_is_trained_and_stored(self):
		self.assertEqual(self.summary["status"], "trained")
		self.assertGreaterEqual(self.summary["churned"], 12)
		stored = frappe.parse_json(frappe.db.get_single_value(constants.SETTINGS, "churn_model"))
		self.assertEqual(domain.Model.from_dict(stored).history, self.summary["history"])

	def test_a_customer_that_looks_like_those_who_left_is_at_risk(self):
		silent, reasons, day = self.probability(self.silent)
		busy, _reasons, _day = self.probability(self.busy)
		# the site may hold other customers too: compare the two, not against a fixed figure
		self.assertGreater(silent, busy + 10)
		self.assertTrue(
			{"no recent interaction", "few interactions in 90 days", "no open opportunity"}
			& set(reasons.split(", ")),
			reasons,
		)
		self.assertEqual(str(day), nowdate())

	def test_churned_customers_get_no_prediction(self):
		left = frappe.get_all(constants.CUSTOMER, filters={"company_name": "Left 0"}, pluck="name")[0]
		self.assertIsNone(self.probability(left)[2])

	def test_the_report_lists_only_what_the_rep_reaches(self):
		with as_user(self.rep):
			listed = run_report("CRM Churn Risk", filters={"min_probability": 0})["result"]
			above = run_report(
				"CRM Churn Risk", filters={"min_probability": self.probability(self.silent)[0]}
			)
		names = [row["name"] for row in listed]
		self.assertIn(self.silent, names)
		self.assertNotIn(self.theirs, names)  # another rep's customer, however risky
		self.assertLess(names.index(self.silent), names.index(self.busy))  # highest risk first
		self.assertNotIn(self.busy, [row["name"] for row in above["result"]])

	def test_reps_cannot_write_the_prediction(self):
		with as_user(self.rep):
			doc = frappe.get_doc(constants.CUSTOMER, self.busy)
			doc.churn_probability = 0
			with self.assertRaises(frappe.PermissionError) as caught:
				doc.save()
		self.assertIn("churn_probability", str(caught.exception))

	def test_without_enough_history_the_customers_say_so(self):
		with patch_min_history(10_000):
			summary = churn.predict_churn()
		self.assertEqual(summary["status"], "not_enough_history")
		probability, reasons, _day = self.probability(self.silent)
		self.assertEqual(probability, 0)
		self.assertIn("Not enough history", reasons)
		churn.predict_churn()  # leave the trained state for the other tests


def patch_min_history(value):
	from unittest.mock import patch

	return patch.object(domain, "MIN_HISTORY", value)
