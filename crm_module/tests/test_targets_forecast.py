"""Targets against won deals and the forecast, and the revenue forecast with categories and the changes
since last week's snapshot: figures computed by hand, roll-ups over teams and territories, isolation.

Every date is relative to today's month (targets of this month / quarter, deals closing in it), so the
figures do not depend on the day the suite runs."""

from datetime import date

import frappe
from frappe.desk.query_report import run
from frappe.utils import add_days, getdate, nowdate

from crm_module import constants
from crm_module.api import dashboard as dashboard_api
from crm_module.domain.targets import period_bounds
from crm_module.exceptions import CRMConflictError, CRMInputError
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.sales import forecast, targets, teams
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

TODAY = getdate(nowdate())
MONTH_START, MONTH_END = period_bounds("Month", TODAY)
QUARTER_START, QUARTER_END = period_bounds("Quarter", TODAY)
LAST_MONTH = add_days(MONTH_START, -1)
NEXT_MONTH = add_days(MONTH_END, 1)


def user(name: str, roles=(constants.ROLE_USER,)) -> str:
	return f.make_user(f"tgt.{name}@example.com", roles)


def customer(name: str, owner: str, territory: str | None = None) -> str:
	return f.make_customer(
		f"TGT {name}", ignore_permissions=True, account_owner=owner, territory=territory
	).name


def deal(customer_name: str, owner: str, value, stage: str, close: date | None = None, **kwargs):
	"""A deal owned by `owner`; won deals close on `close` (actual), open ones are expected then."""
	values = {"opportunity_owner": owner, "ignore_permissions": True, **kwargs}
	if stage == "Closed Won":
		values["actual_close_date"] = close
		values["expected_close_date"] = close
	elif close is not None:
		values["expected_close_date"] = close
	if stage == "Closed Lost":
		values["win_loss_reason"] = "Price"
	return f.make_opportunity(
		customer_name, f"TGT deal {frappe.generate_hash(length=6)}", value, stage, **values
	)


def target(target_for: str, subject: str, amount, period_type="Month", start=None, **kwargs):
	field = {"Rep": "user", "Team": "sales_team", "Territory": "territory"}[target_for]
	return frappe.get_doc(
		{
			"doctype": constants.SALES_TARGET,
			"target_for": target_for,
			field: subject,
			"period_type": period_type,
			"period_start": start or (MONTH_START if period_type == "Month" else QUARTER_START),
			"target_amount": amount,
			**kwargs,
		}
	).insert()


def by_subject(rows) -> dict:
	return {(row["target_for"], row["subject"], row["period_type"]): row for row in rows}


class TargetsBase(IntegrationTestCase):
	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()  # rolls the fixture back; cached team and stage lookups follow
		teams.clear_cache()
		clear_stage_cache()


class TestTargets(TargetsBase):
	"""rep1 has a 10,000.00 month target; the team tree is North (lead: lead, member rep1) with
	sub-team North East (lead and member rep2) and, apart, South (lead: south, member rep3). Territories: TGT World > TGT EMEA > TGT Paris,
	and TGT Americas under TGT World."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep1, cls.rep2, cls.rep3, cls.lead = user("rep1"), user("rep2"), user("rep3"), user("lead")
		cls.manager = user("manager", (constants.ROLE_MANAGER,))
		for name, lead, members, parent in (
			("TGT North", cls.lead, (cls.rep1,), None),
			("TGT North East", cls.rep2, (cls.rep2,), "TGT North"),
			("TGT South", user("south"), (cls.rep3,), None),
		):
			f.make_team(name, lead, members, parent)
		for name, parent in (
			("TGT World", None),
			("TGT EMEA", "TGT World"),
			("TGT Paris", "TGT EMEA"),
			("TGT Americas", "TGT World"),
		):
			f.make_territory(name, parent, is_group=0 if name in ("TGT Paris", "TGT Americas") else 1)
		c1 = customer("Paris Co", cls.rep1, "TGT Paris")
		c2 = customer("EMEA Co", cls.rep2, "TGT EMEA")
		c3 = customer("Americas Co", cls.rep3, "TGT Americas")
		c4 = customer("Lead Co", cls.lead)
		# rep1 this month: won 3,333.33 + 1,000.10; open 2,000.00 at 50 % and 999.99 at 75 %
		deal(c1, cls.rep1, 3333.33, "Closed Won", MONTH_START)
		deal(c1, cls.rep1, 1000.10, "Closed Won", MONTH_END)
		deal(c1, cls.rep1, 2000.00, "Proposal", MONTH_END)  # forecast 1,000.00
		deal(c1, cls.rep1, 999.99, "Negotiation", MONTH_START)  # forecast 749.9925 -> 749.99
		# not in rep1's month: won last month, open next month, lost, no close date
		deal(c1, cls.rep1, 700.00, "Closed Won", LAST_MONTH)
		deal(c1, cls.rep1, 800.00, "Proposal", NEXT_MONTH)
		deal(c1, cls.rep1, 900.00, "Closed Lost", MONTH_START)
		# the others, won this month
		deal(c2, cls.rep2, 200.00, "Closed Won", MONTH_START)
		deal(c3, cls.rep3, 400.00, "Closed Won", MONTH_START)
		deal(c4, cls.lead, 50.00, "Closed Won", MONTH_START)
		with f.as_user(cls.manager):
			cls.t_rep1 = target("Rep", cls.rep1, "10000.00", target_deals=4).name
			cls.t_rep3 = target("Rep", cls.rep3, 1000).name
			cls.t_north = target("Team", "TGT North", 5000).name
			cls.t_north_east = target("Team", "TGT North East", 300).name
			cls.t_south = target("Team", "TGT South", 300).name
			cls.t_emea = target("Territory", "TGT EMEA", 10000, "Quarter").name
			cls.t_world = target("Territory", "TGT World", 20000, "Quarter").name
			cls.t_paris = target("Territory", "TGT Paris", 4000, "Quarter").name

	def rows(self, viewer: str, **filters) -> dict:
		return by_subject(targets.get_attainment(viewer, filters)["rows"])

	def test_rep_target_figures_by_hand(self):
		row = self.rows(self.manager)[("Rep", self.rep1, "Month")]
		self.assertEqual(str(row["target"]), "10000.00")
		self.assertEqual(str(row["won"]), "4333.43")  # 3,333.33 + 1,000.10
		self.assertEqual(row["won_count"], 2)
		self.assertEqual(row["attainment"], 43.33)  # 4,333.43 / 10,000.00
		self.assertEqual(str(row["gap"]), "5666.57")
		self.assertEqual(str(row["forecast"]), "1749.99")  # 1,000.00 + 749.99
		self.assertEqual(str(row["pipeline"]), "2999.99")
		self.assertEqual(row["open_count"], 2)
		self.assertEqual(str(row["projected"]), "6083.42")
		self.assertEqual(row["projected_attainment"], 60.83)
		self.assertEqual(row["deal_attainment"], 50.0)  # 2 of 4 deals

	def test_gap_is_signed_above_target(self):
		row = self.rows(self.manager)[("Team", "TGT North East", "Month")]
		self.assertEqual(str(row["won"]), "200.00")
		row = self.rows(self.manager)[("Rep", self.rep3, "Month")]
		self.assertEqual(str(row["gap"]), "600.00")
		row = self.rows(self.manager)[("Team", "TGT South", "Month")]
		self.assertEqual(str(row["gap"]), "-100.00")  # 400.00 won against 300.00: 100.00 above target

	def test_team_rollup_takes_sub_teams_and_nobody_else(self):
		rows = self.rows(self.manager)
		north = rows[("Team", "TGT North", "Month")]
		# lead 50.00 + rep1 4,333.43 + rep2 (North East) 200.00; rep3 (South) is not in it
		self.assertEqual(str(north["won"]), "4583.43")
		self.assertEqual(north["won_count"], 4)
		self.assertEqual(north["parent"], None)
		self.assertEqual(rows[("Team", "TGT North East", "Month")]["parent"], "TGT North")
		self.assertEqual(str(rows[("Team", "TGT South", "Month")]["won"]), "400.00")

	def test_territory_rollup(self):
		rows = self.rows(self.manager, target_for="Territory")
		# the quarter holds this month: Paris 3,333.33 + 1,000.10 (and 700.00 when last month is in it)
		paris_won = 4333.43 + (700.00 if LAST_MONTH >= QUARTER_START else 0)
		self.assertAlmostEqual(float(rows[("Territory", "TGT Paris", "Quarter")]["won"]), paris_won, places=2)
		self.assertAlmostEqual(
			float(rows[("Territory", "TGT EMEA", "Quarter")]["won"]), paris_won + 200.00, places=2
		)
		self.assertAlmostEqual(
			float(rows[("Territory", "TGT World", "Quarter")]["won"]), paris_won + 600.00, places=2
		)
		self.assertEqual(rows[("Territory", "TGT Paris", "Quarter")]["parent"], "TGT EMEA")
		self.assertEqual({key[0] for key in rows}, {"Territory"})
		emea_only = self.rows(self.manager, territory="TGT EMEA")
		self.assertEqual({key[1] for key in emea_only}, {"TGT EMEA", "TGT Paris"})

	def test_a_rep_sees_only_their_own_targets(self):
		self.assertEqual(set(self.rows(self.rep1)), {("Rep", self.rep1, "Month")})
		self.assertEqual(set(self.rows(self.rep3)), {("Rep", self.rep3, "Month")})
		with f.as_user(self.rep1):
			self.assertEqual(frappe.get_list(constants.SALES_TARGET, pluck="name"), [self.t_rep1])
			self.assertTrue(frappe.has_permission(constants.SALES_TARGET, "read", self.t_rep1))
			self.assertFalse(frappe.has_permission(constants.SALES_TARGET, "read", self.t_rep3))
			self.assertFalse(frappe.has_permission(constants.SALES_TARGET, "read", self.t_north))
			self.assertFalse(frappe.has_permission(constants.SALES_TARGET, "write", self.t_rep1))
			result = run("CRM Target Attainment", filters={}, ignore_prepared_report=True)
		self.assertEqual([row["target"] for row in result["result"]], [self.t_rep1])

	def test_a_team_lead_sees_their_teams_targets(self):
		rows = self.rows(self.lead)
		self.assertEqual(
			set(rows),
			{
				("Rep", self.rep1, "Month"),
				("Team", "TGT North", "Month"),
				("Team", "TGT North East", "Month"),
			},
		)
		with f.as_user(self.lead):
			names = set(frappe.get_list(constants.SALES_TARGET, pluck="name"))
		self.assertEqual(names, {self.t_rep1, self.t_north, self.t_north_east})

	def test_team_filter(self):
		rows = self.rows(self.manager, sales_team="TGT North")
		self.assertEqual(
			set(rows),
			{
				("Rep", self.rep1, "Month"),
				("Team", "TGT North", "Month"),
				("Team", "TGT North East", "Month"),
			},
		)

	def test_validation(self):
		with f.as_user(self.manager):
			with self.assertRaises(CRMConflictError):
				target("Rep", self.rep1, 1)
			with self.assertRaisesRegex(CRMInputError, "sales_team is required for a Team target"):
				target("Team", None, 1)
			with self.assertRaisesRegex(CRMInputError, "user must be empty for a Team target"):
				target("Team", "TGT South", 1, start=NEXT_MONTH, user=self.rep1)
			with self.assertRaisesRegex(CRMInputError, "period_start must be the first day of a quarter"):
				target("Rep", self.rep2, 1, "Quarter", start=add_days(QUARTER_START, 1))
			with self.assertRaisesRegex(CRMInputError, "target_amount"):
				target("Rep", self.rep2, -5)
			doc = target("Rep", self.rep2, 1, "Quarter")
		self.assertEqual(getdate(doc.period_end), QUARTER_END)
		with f.as_user(self.rep1), self.assertRaises(frappe.PermissionError):
			target("Rep", self.rep1, 1, start=NEXT_MONTH)

	def test_dashboard_targets(self):
		with f.as_user(self.rep1):
			data = dashboard_api.targets()
		self.assertEqual(data["month"]["attainment"], 43.33)
		self.assertEqual(str(data["month"]["gap"]), "5666.57")
		self.assertEqual(str(data["month"]["forecast"]), "1749.99")
		self.assertIsNone(data["quarter"])  # no quarter target: the dashboard skips it
		with f.as_user(self.rep2):
			self.assertEqual(
				(dashboard_api.targets()["month"], dashboard_api.targets()["quarter"]), (None, None)
			)
		with f.as_user(self.rep2), self.assertRaises(frappe.PermissionError):
			dashboard_api.targets(userId=self.rep1)


class TestRevenueForecast(TargetsBase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep1, cls.rep2 = user("fc1"), user("fc2")
		cls.manager = user("manager", (constants.ROLE_MANAGER,))
		c1, c2 = customer("Forecast One", cls.rep1), customer("Forecast Two", cls.rep2)
		cls.c1 = c1
		cls.prospecting = deal(c1, cls.rep1, 1000.00, "Prospecting", MONTH_START)  # 10 %: Pipeline, 100.00
		cls.proposal = deal(c1, cls.rep1, 2000.00, "Proposal", MONTH_END)  # 50 %: Best Case, 1,000.00
		cls.negotiation = deal(c1, cls.rep1, 400.00, "Negotiation", MONTH_END)  # 75 %: Best Case, 300.00
		cls.won = deal(c1, cls.rep1, 1234.56, "Closed Won", MONTH_START)
		cls.lost = deal(c1, cls.rep1, 5000.00, "Closed Lost", MONTH_START)
		cls.other = deal(c2, cls.rep2, 7777.77, "Proposal", MONTH_START)

	def test_categories_are_derived_from_the_stage(self):
		self.assertEqual(self.prospecting.forecast_category, "Pipeline")
		self.assertEqual(self.proposal.forecast_category, "Best Case")
		self.assertEqual(self.won.forecast_category, "Closed")
		self.assertEqual(self.lost.forecast_category, "")
		self.assertEqual(
			frappe.db.get_value(constants.PIPELINE_STAGE, f.stage("Closed Won"), "forecast_category"),
			"Closed",
		)

	def forecast_cells(self, viewer: str) -> dict:
		result = forecast.get_forecast(viewer, MONTH_START, MONTH_END)
		return {row["forecast_category"]: row for row in result["rows"]}, result["totals"]

	def test_forecast_by_month_and_category_lost_never_counted(self):
		cells, totals = self.forecast_cells(self.rep1)
		self.assertEqual(set(cells), {"Pipeline", "Best Case", "Closed"})
		self.assertEqual(cells["Best Case"]["count"], 2)
		self.assertAlmostEqual(float(cells["Best Case"]["value"]), 2400.00, places=2)
		self.assertAlmostEqual(float(cells["Best Case"]["weighted"]), 1300.00, places=2)
		self.assertAlmostEqual(float(cells["Pipeline"]["weighted"]), 100.00, places=2)
		self.assertAlmostEqual(float(cells["Closed"]["weighted"]), 1234.56, places=2)
		self.assertEqual({row["month"] for row in cells.values()}, {MONTH_START.strftime("%Y-%m")})
		# the lost 5,000.00 is nowhere, nor rep2's deal
		self.assertAlmostEqual(
			float(sum(t["value"] for t in totals.values())), 1000.00 + 2400.00 + 1234.56, places=2
		)
		manager_cells, _totals = self.forecast_cells(self.manager)
		self.assertGreaterEqual(float(manager_cells["Best Case"]["value"]), 2400.00 + 7777.77 - 0.001)

	def test_override_and_stage_category_change(self):
		self.proposal.reload()
		self.proposal.forecast_category_override = "Commit"
		self.proposal.save(ignore_permissions=True)
		self.assertEqual(self.proposal.forecast_category, "Commit")
		cells, _totals = self.forecast_cells(self.rep1)
		self.assertAlmostEqual(float(cells["Commit"]["weighted"]), 1000.00, places=2)
		self.assertAlmostEqual(float(cells["Best Case"]["weighted"]), 300.00, places=2)
		# the Negotiation stage becomes Commit: its deals follow, the overridden one keeps its override
		stage = frappe.get_doc(constants.PIPELINE_STAGE, f.stage("Negotiation"))
		stage.forecast_category = "Commit"
		stage.save()
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.negotiation.name, "forecast_category"), "Commit"
		)
		# a lost deal stays out whatever its override
		self.lost.reload()
		self.lost.forecast_category_override = "Commit"
		self.lost.save(ignore_permissions=True)
		self.assertEqual(self.lost.forecast_category, "")
		cells, _totals = self.forecast_cells(self.rep1)
		self.assertAlmostEqual(float(cells["Commit"]["weighted"]), 1300.00, places=2)
		self.assertNotIn("Best Case", cells)
		# back as it was, for the other tests of this class
		stage.forecast_category = "Best Case"
		stage.save()
		self.proposal.reload()
		self.proposal.forecast_category_override = ""
		self.proposal.save(ignore_permissions=True)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.negotiation.name, "forecast_category"),
			"Best Case",
		)

	def test_report_forecast_view_is_scoped(self):
		with f.as_user(self.rep1):
			result = run(
				"CRM Revenue Forecast",
				filters={"show": "Forecast", "from_date": str(MONTH_START), "to_date": str(MONTH_END)},
				ignore_prepared_report=True,
			)
		weighted = sum(row["weighted"] for row in result["result"])
		self.assertAlmostEqual(float(weighted), 100.00 + 1300.00 + 1234.56, places=2)

	def test_snapshot_and_changes_since_last_week(self):
		rep = self.rep1
		c1 = self.c1
		slip = deal(c1, rep, 300.00, "Proposal", MONTH_START)  # will slip past the month
		grow = deal(c1, rep, 100.00, "Proposal", MONTH_START)  # its value will change
		later = deal(c1, rep, 600.00, "Proposal", NEXT_MONTH)  # will move into the month
		count = forecast.snapshot_pipeline()
		self.assertEqual(count, frappe.db.count(constants.FORECAST_SNAPSHOT, {"snapshot_date": TODAY}))
		self.assertEqual(forecast.snapshot_pipeline(), count)  # a rerun replaces the day's rows
		self.assertTrue(
			frappe.db.exists(constants.FORECAST_SNAPSHOT, {"opportunity": slip.name, "snapshot_date": TODAY})
		)
		week_ago = add_days(TODAY, -7)  # the snapshot was taken a week ago
		frappe.db.sql(
			f"""update `tab{constants.FORECAST_SNAPSHOT}`
			set snapshot_date = %(week_ago)s, name = concat(%(week_ago)s, ':', opportunity)
			where snapshot_date = %(today)s""",
			{"week_ago": week_ago, "today": TODAY},
		)
		# a week passes
		self.proposal.reload()
		self.proposal.stage = f.stage("Closed Won")
		self.proposal.save(ignore_permissions=True)
		slip.reload()
		slip.expected_close_date = add_days(NEXT_MONTH, 10)
		slip.save(ignore_permissions=True)
		grow.reload()
		grow.value = 150.00
		grow.save(ignore_permissions=True)
		later.reload()
		later.expected_close_date = MONTH_END
		later.save(ignore_permissions=True)
		fresh = deal(c1, rep, 42.00, "Prospecting", MONTH_END)
		result = forecast.get_changes(rep, MONTH_START, MONTH_END)
		self.assertEqual(getdate(result["snapshot_date"]), week_ago)
		kinds = {change["opportunity"]: change["kind"] for change in result["changes"]}
		self.assertEqual(kinds[self.proposal.name], "won")
		self.assertEqual(kinds[slip.name], "slipped")
		self.assertEqual(kinds[grow.name], "value_changed")
		self.assertEqual(kinds[later.name], "moved_in")
		self.assertEqual(kinds[fresh.name], "new")
		self.assertEqual(kinds[self.prospecting.name], "unchanged")
		self.assertNotIn(self.other.name, kinds)  # rep2's deal: not rep1's to see
		totals = result["totals"]
		self.assertEqual(str(totals["won"]["forecast_delta"]), "-1000.00")
		self.assertEqual(str(totals["slipped"]["value_delta"]), "-300.00")
		self.assertEqual(str(totals["value_changed"]["forecast_delta"]), "25.00")  # 50 % of +50.00
		self.assertEqual(str(totals["moved_in"]["forecast_delta"]), "300.00")
		self.assertEqual(str(totals["new"]["forecast_delta"]), "4.20")
		self.assertEqual(
			result["current"]["forecast"] - result["previous"]["forecast"],
			sum((t["forecast_delta"] for t in totals.values()), 0),
		)
		# the report's Changes view, and nothing to compare with before the first snapshot
		with f.as_user(rep):
			report = run(
				"CRM Revenue Forecast",
				filters={"show": "Changes", "from_date": str(MONTH_START), "to_date": str(MONTH_END)},
				ignore_prepared_report=True,
			)
		self.assertEqual(
			{row["opportunity"] for row in report["result"]},
			{self.proposal.name, slip.name, grow.name, later.name, fresh.name},
		)
		self.assertIsNone(
			forecast.get_changes(rep, MONTH_START, MONTH_END, add_days(TODAY, -60))["snapshot_date"]
		)

	def test_snapshots_are_for_managers_and_old_ones_go(self):
		forecast.snapshot_pipeline(add_days(TODAY, -(forecast.KEEP_DAYS + 5)))
		forecast.snapshot_pipeline()
		self.assertFalse(
			frappe.db.exists(
				constants.FORECAST_SNAPSHOT, {"snapshot_date": add_days(TODAY, -(forecast.KEEP_DAYS + 5))}
			)
		)
		with f.as_user(self.rep1), self.assertRaises(frappe.PermissionError):
			frappe.get_list(constants.FORECAST_SNAPSHOT, pluck="name")
		with f.as_user(self.manager):
			self.assertTrue(frappe.get_list(constants.FORECAST_SNAPSHOT, pluck="name", limit=1))
