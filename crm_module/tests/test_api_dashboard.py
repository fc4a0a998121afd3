"""crm_module.api.dashboard over HTTP: exact figures, who may see whose dashboard, bad input."""

import frappe

from crm_module.services.reporting import metrics
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_lead, make_opportunity


class TestDashboardAPI(CRMAPITestCase):
	prefix = "dash"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		with as_user(cls.manager):  # a manager's own dashboard counts the whole site: measure it first
			cls.site_before = metrics.get_dashboard()
		with as_user(cls.rep_a):
			# open: 1200 (Prospecting) + 800 (Proposal) -> pipelineValue 2000 in 2 deals, average 1000
			make_opportunity(cls.customer_a, "A1", 1200, "Prospecting")
			make_opportunity(cls.customer_a, "A2", 800, "Proposal")
			# leads: 3 in all, 2 active (New from Website, Contacted from Referral) -> conversion 0 / 3 = 0 %
			make_lead("L1", source="Website")
			make_lead("L2", source="Referral", status="Contacted")
			make_lead("L3", status="Lost")
		with as_user(cls.rep_b):
			make_opportunity(cls.customer_b, "B1", 5000, "Negotiation")
		frappe.db.commit()

	def test_exact_figures_for_rep_a(self):
		data = self.get("dashboard.get", self.rep_a, version="v2").json["data"]
		self.assertEqual(data["totalCustomers"], 1)
		self.assertEqual(data["totalLeads"], 2)
		self.assertEqual(data["totalOpportunities"], 2)
		self.assertEqual(data["pipelineValue"], 2000)
		self.assertEqual(data["averageDealSize"], 1000)
		self.assertEqual(data["conversionRate"], 0)
		self.assertEqual(data["leadsBySource"], {"website": 1, "referral": 1})
		self.assertEqual(data["stagePipeline"]["prospecting"], 1200)
		self.assertEqual(data["stagePipeline"]["proposal"], 800)
		self.assertEqual([o["opportunityName"] for o in data["topOpportunities"]], ["A1", "A2"])

	def test_manager_views_a_reps_dashboard(self):
		as_rep = self.assertOk(self.get("dashboard.get", self.rep_a))
		self.assertEqual(self.assertOk(self.get("dashboard.get", self.manager, userId=self.rep_a)), as_rep)
		as_b = self.assertOk(self.get("dashboard.get", self.manager, userId=self.rep_b))
		self.assertEqual((as_b["pipelineValue"], as_b["totalOpportunities"]), (5000, 1))
		own = self.assertOk(self.get("dashboard.get", self.manager))
		# the site's open deals before the fixture, plus A1 + A2 (2000) and B1 (5000)
		self.assertEqual(own["totalOpportunities"], self.site_before["open_opportunities"] + 3)
		self.assertAlmostEqual(own["pipelineValue"], self.site_before["pipeline_value"] + 7000, places=2)

	def test_permissions_and_bad_input(self):
		self.assertFails(self.get("dashboard.get", self.rep_a, userId=self.rep_b), 403, "userId")
		self.assertFails(self.get("dashboard.get", self.manager, userId="nobody@example.com"), 404, "userId")
		self.assertFails(self.get("dashboard.get", self.rep_a, fromDate="last monday"), 400, "fromDate")
		self.assertFails(self.get("dashboard.get", self.rep_a, toDate="2024-13-45"), 400, "toDate")
		self.assertEqual(self.get("dashboard.get", None).status, 403)
		self.assertEqual(self.get("dashboard.get", None, version="v2").status, 403)
		self.assertEqual(self.post("dashboard.get", self.rep_a, {}).status, 403)
		window = self.assertOk(
			self.get("dashboard.get", self.rep_a, fromDate="2000-01-01", toDate="2000-12-31")
		)
		self.assertEqual((window["totalOpportunities"], window["totalCustomers"]), (0, 0))
