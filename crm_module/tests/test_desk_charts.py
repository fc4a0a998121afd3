"""The app's charts show each user their own figures, also when asked for cached data.

Frappe 15.44 recomputes chart data on every call (its `cache_source` never stores results). Older and
newer versions have cached per chart name, which would hand a rep the figures computed for the last
viewer; this test fails if the platform starts doing that again.
"""

from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart_data

from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

CHART = "CRM Pipeline by Stage"


def total(result) -> float:
	"""Sum of every bar; Frappe answers None instead of an empty chart when there is nothing to show."""
	if result is None:
		return 0.0
	return sum(sum(dataset["values"]) for dataset in result["datasets"])


class TestDeskCharts(IntegrationTestCase):
	def test_a_rep_never_gets_the_managers_cached_figures(self):
		rep_a, rep_b = f.make_user("chart.a@example.com"), f.make_user("chart.b@example.com")
		with f.as_user(f.manager()):
			site_before = total(chart_data(chart_name=CHART, refresh=1))  # every rep's open deals so far
		with f.as_user(rep_a):
			f.make_opportunity(
				f.make_customer("Chart A").name, "Chart deal A", value=700, stage_name="Proposal"
			)
		with f.as_user(rep_b):
			f.make_opportunity(
				f.make_customer("Chart B").name, "Chart deal B", value=300, stage_name="Proposal"
			)
		with f.as_user(f.manager()):
			everyone = total(chart_data(chart_name=CHART, refresh=1))  # fills Frappe's shared cache
		with f.as_user(rep_b):
			mine = total(chart_data(chart_name=CHART, refresh=0))  # would be the cached figures in Frappe
		self.assertAlmostEqual(everyone, site_before + 700 + 300, places=2)
		self.assertEqual(mine, 300)

	def test_empty_date_parameters_from_the_desk_are_no_dates(self):
		"""The desk sends `to_date=` (empty) for a time-series chart; that is "no end date", not an error."""
		from crm_module.access.overrides import chart_get

		rep = f.make_user("chart.c@example.com")
		with f.as_user(rep):
			f.make_lead("Chart Lead")
			result = chart_get(
				chart_name="CRM New Leads",
				from_date="",
				to_date="",
				timespan="",
				time_interval="",
				filters="",
			)
		self.assertEqual(sum(result["datasets"][0]["values"]), 1)  # the rep's one new lead

	def test_stage_bars_read_as_stage_names(self):
		"""Issue 22: the stage chart names its bars as the desk shows the link, "Proposal", not the record
		name "Proposal - Default", which the chart's axis or legend would cut to "Proposal - D..."."""
		from crm_module.access.overrides import chart_get

		rep = f.make_user("chart.d@example.com")
		with f.as_user(rep):
			customer = f.make_customer("Chart D").name
			f.make_opportunity(customer, "Chart deal D1", value=400, stage_name="Proposal")
			f.make_opportunity(customer, "Chart deal D2", value=250, stage_name="Negotiation")
			result = chart_get(chart_name=CHART, filters="")
		self.assertEqual(
			dict(zip(result["labels"], result["datasets"][0]["values"], strict=True)),
			{"Proposal": 400, "Negotiation": 250},
		)
