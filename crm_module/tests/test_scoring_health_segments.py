"""Scoring, health and segment jobs on fixture data: stored rows pinned to hand-computed expectations."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, today

from crm_module import constants
from crm_module.domain import health as domain_health
from crm_module.domain import lead_scoring, predictive
from crm_module.exceptions import CRMInputError
from crm_module.services.insights import health, prediction, scoring, segments
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_customer, make_interaction, make_lead, make_opportunity, make_user


def days_ago(n: int) -> str:
	return str(add_to_date(now_datetime(), days=-n))


def interaction(**kwargs):
	return make_interaction(ignore_permissions=True, interaction_date=kwargs.pop("when"), **kwargs)


class TestLeadScoring(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.lead = make_lead(
			"Scored Lead",
			ignore_permissions=True,
			source="Referral",
			email_id="ceo@scoredlead-corp.com",
			company_size="51-200",
			industry="Technology",
			phone="+12025550101",
		).name
		cls.cold = make_lead("Cold Lead", ignore_permissions=True, email_id="cold@gmail.com").name
		for when, kind, sentiment in (
			(2, "Meeting", "Positive"),
			(10, "Call", "Neutral"),
			(40, "Email", "Negative"),
		):
			interaction(lead=cls.lead, when=days_ago(when), interaction_type=kind, sentiment=sentiment)
		interaction(lead=cls.lead, when=days_ago(120), interaction_type="Call", subject="Too old")

	def rows(self, lead, day=None):
		filters = {"lead": lead, "scoring_date": day or today()}
		return frappe.get_all(constants.LEAD_SCORE, filters=filters, fields=["*"], order_by="scoring_date")

	def test_computed_score_is_pinned(self):
		result = scoring.score_lead(self.lead)
		# fit: Referral 25 + corporate email 20 + 51-200 20 + industry 10 + phone 10 = 85
		# engagement: 3 interactions x 5 + 1 meeting x 10 + sentiment 20 x (1 - 1) / 3 = 25
		# activity: recency 50 x (1 - 2/90) = 48.9, 30d 6 x 2, 90d 2 x 3 -> round(66.9) = 67
		expected = {"fit_score": 85, "engagement_score": 25, "activity_score": 67, "total_score": 177}
		self.assertEqual({k: result[k] for k in expected}, expected)
		self.assertEqual(result["grade"], "C")
		stats = {"interactions_90d": 3, "meetings_90d": 1, "positive": 1, "neutral": 1, "negative": 1}
		stats |= {"days_since_last_activity": 2, "activities_30d": 2, "activities_90d": 3}
		lead = {"source": "Referral", "email": "ceo@scoredlead-corp.com", "company_size": "51-200"}
		domain = lead_scoring.compute_lead_score(lead | {"industry": "Technology", "phone": "+1"}, stats)
		self.assertEqual((domain.engagement, domain.fit, domain.activity), (25, 85, 67))
		(row,) = self.rows(self.lead)
		self.assertEqual((row.total_score, row.grade, str(row.scoring_date)), (177, "C", today()))
		latest = frappe.db.get_value(constants.LEAD, self.lead, ["latest_score", "latest_grade", "scored_on"])
		self.assertEqual((latest[0], latest[1], str(latest[2])), (177, "C", today()))

	def test_rescoring_same_day_updates_the_row(self):
		first = scoring.score_lead(self.cold)
		second = scoring.score_lead(
			self.cold, {"engagement_score": 10, "fit_score": 20, "activity_score": 30}
		)
		self.assertEqual(first["name"], second["name"])
		(row,) = self.rows(self.cold)
		self.assertEqual(
			(row.engagement_score, row.fit_score, row.activity_score, row.total_score), (10, 20, 30, 60)
		)
		self.assertEqual(frappe.db.get_value(constants.LEAD, self.cold, "latest_score"), 60)

	def test_explicit_scores_as_in_the_seed(self):
		scores = {"engagementScore": 85, "fitScore": 75, "activityScore": 90, "totalScore": 250, "grade": "A"}
		result = scoring.score_lead(self.cold, scores, add_days(today(), -1))
		self.assertEqual((result["total_score"], result["grade"]), (250, "A"))
		self.assertEqual(result["scoring_date"], str(add_days(today(), -1)))

	def test_bad_explicit_scores_are_rejected_and_nothing_is_written(self):
		lead = make_lead("Bad Scores", ignore_permissions=True).name
		base = {"engagement_score": 85, "fit_score": 75, "activity_score": 90}
		cases = {
			"engagement_score": base | {"engagement_score": 120},
			"fit_score": base | {"fit_score": "high"},
			"total_score": base | {"total_score": 251},
			"grade": base | {"grade": "B"},
		}
		for field, scores in cases.items():
			with self.subTest(field=field), self.assertRaises(CRMInputError) as ctx:
				scoring.score_lead(lead, scores)
			self.assertIn(f"({field})", str(ctx.exception))
		with self.assertRaises(CRMInputError) as ctx:
			scoring.score_lead(lead, base | {"grade": "Z"})
		self.assertIn("(grade)", str(ctx.exception))
		self.assertFalse(frappe.db.exists(constants.LEAD_SCORE, {"lead": lead}))
		self.assertIsNone(frappe.db.get_value(constants.LEAD, lead, "scored_on"))

	def test_bulk_scoring_matches_single_scoring_and_is_idempotent(self):
		day = add_days(today(), -3)
		scoring.score_leads([self.lead, self.cold], day)
		first = {r.lead: r for r in frappe.get_all(constants.LEAD_SCORE, {"scoring_date": day}, ["*"])}
		scoring.score_leads([self.lead, self.cold], day)
		second = {r.lead: r for r in frappe.get_all(constants.LEAD_SCORE, {"scoring_date": day}, ["*"])}
		self.assertEqual(set(first), {self.lead, self.cold})
		self.assertEqual({k: r.name for k, r in first.items()}, {k: r.name for k, r in second.items()})
		single = scoring.score_lead(self.lead, scoring_date=day)
		row = second[self.lead]
		self.assertEqual(
			(row.engagement_score, row.fit_score, row.activity_score, row.total_score, row.grade),
			tuple(
				single[f] for f in ("engagement_score", "fit_score", "activity_score", "total_score", "grade")
			),
		)
		# cold lead: gmail, nothing else: fit 0; no interactions: engagement 0, activity 0
		self.assertEqual((second[self.cold].total_score, second[self.cold].grade), (0, "D"))

	def test_bulk_scoring_uses_a_fixed_number_of_queries(self):
		names = [make_lead(f"Bulk {i}", ignore_permissions=True, source="Website").name for i in range(30)]
		scoring.score_leads(names[:3])
		# properties, interactions, timeline, existing rows, delete, series read + update, insert, lead update
		with self.assertQueryCount(9):
			scoring.score_leads(names)
		self.assertEqual(frappe.db.count(constants.LEAD_SCORE, {"lead": ("in", names)}), 30)


class TestPrediction(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		for i in range(30):
			source, status = ("Referral", "Converted") if i < 15 else ("Cold Call", "Lost")
			lead = make_lead(f"Closed {i}", ignore_permissions=True, source=source).name
			frappe.db.set_value(
				constants.LEAD, lead, "status", status
			)  # history fixture: skip the conversion flow
		cls.hot = make_lead("Open Referral", ignore_permissions=True, source="Referral").name
		cls.cold = make_lead("Open Cold", ignore_permissions=True, source="Cold Call").name

	def test_model_is_trained_stored_and_explains_predictions(self):
		summary = prediction.train_model()
		self.assertEqual(summary["status"], "trained")
		prediction.predict_leads([self.hot, self.cold])
		model = prediction.load_model()
		hot, cold = (
			frappe.db.get_value(
				constants.LEAD, n, ["conversion_probability", "prediction_factors"], as_dict=True
			)
			for n in (self.hot, self.cold)
		)
		lead = {"source": "Referral", "email": None, "phone": None}
		self.assertAlmostEqual(
			hot.conversion_probability, predictive.predict(model, lead).probability, places=2
		)
		self.assertGreater(hot.conversion_probability, cold.conversion_probability)
		factors = frappe.parse_json(hot.prediction_factors)
		self.assertEqual(factors["status"], "predicted")
		self.assertEqual(factors["factors"][0]["feature"], "source")

	def test_daily_job_scores_open_leads_and_predicts(self):
		closed = frappe.get_all(constants.LEAD, {"status": ("in", ["Converted", "Lost"])}, pluck="name")
		# other suites may have scored a lead before it was closed (an import, a web form, a migration): the job
		# itself must add no score to a closed lead
		before = (
			frappe.get_all(constants.LEAD_SCORE, {"lead": ("in", closed)}, pluck="name") if closed else []
		)
		result = scoring.score_all_leads()
		self.assertEqual(result["model"]["status"], "trained")
		self.assertTrue(frappe.db.exists(constants.LEAD_SCORE, {"lead": self.hot, "scoring_date": today()}))
		after = frappe.get_all(constants.LEAD_SCORE, {"lead": ("in", closed)}, pluck="name") if closed else []
		self.assertEqual(sorted(after), sorted(before))
		self.assertGreater(frappe.db.get_value(constants.LEAD, self.hot, "conversion_probability"), 50)

	def test_not_enough_history(self):
		with patch.object(predictive, "MIN_HISTORY", 10**9):
			self.assertEqual(prediction.train_model()["status"], "not_enough_history")
		prediction.predict_leads([self.hot])
		lead = frappe.db.get_value(
			constants.LEAD, self.hot, ["conversion_probability", "prediction_factors"], as_dict=True
		)
		self.assertFalse(lead.conversion_probability)
		self.assertEqual(frappe.parse_json(lead.prediction_factors)["status"], "not_enough_history")


class TestCustomerHealth(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.owner = make_user("crm.health.owner@example.com", (constants.ROLE_USER,))
		cls.good = make_customer(
			"Healthy Co", ignore_permissions=True, satisfaction_rating=4, nps_score="9"
		).name
		for when, kind, sentiment in (
			(1, "Meeting", "Positive"),
			(5, "Call", "Positive"),
			(45, "Email", "Neutral"),
		):
			interaction(customer=cls.good, when=days_ago(when), interaction_type=kind, sentiment=sentiment)
		interaction(customer=cls.good, when=days_ago(20), interaction_type="Call", satisfaction_rating="5")
		cls.risky = make_customer("At Risk Co", ignore_permissions=True, account_owner=cls.owner).name

	def test_health_rows_are_pinned_and_idempotent(self):
		names = [self.good, self.risky]
		health.compute_all_health_scores(names=names)
		first = {
			r.customer: r for r in frappe.get_all(constants.HEALTH_SCORE, {"customer": ("in", names)}, ["*"])
		}
		health.compute_all_health_scores(names=names)
		second = {
			r.customer: r for r in frappe.get_all(constants.HEALTH_SCORE, {"customer": ("in", names)}, ["*"])
		}
		self.assertEqual(len(second), 2)
		self.assertEqual({k: r.name for k, r in first.items()}, {k: r.name for k, r in second.items()})
		inputs = domain_health.HealthInputs(
			interactions_30d=3,
			interactions_90d=4,
			days_since_last_activity=1,
			interaction_types_90d={"meeting", "call", "email"},
			positive_90d=2,
			neutral_90d=1,
			satisfaction_ratings=[5, 4],
			nps_scores=[9],
		)
		expected = domain_health.compute_health(inputs)
		good = second[self.good]
		self.assertEqual(
			(good.engagement_score, good.activity_score, good.satisfaction_score, good.health_score),
			(expected.engagement, expected.activity, expected.satisfaction, expected.score),
		)
		# satisfaction: ratings 5, 4 -> 4.5 -> 87.5; NPS 9 -> 90; mean 88.75 -> 89
		self.assertEqual(good.satisfaction_score, 89)
		# no interactions: engagement 5 (neutral sentiment), activity 0, satisfaction 50 -> 14.5 -> 15, Red
		risky = second[self.risky]
		self.assertEqual((risky.health_score, risky.risk_level), (15, "Red"))
		profile = frappe.db.get_value(
			constants.CUSTOMER, self.risky, ["health_score", "risk_level", "health_updated_on"]
		)
		self.assertEqual((profile[0], profile[1], str(profile[2])), (15, "Red", today()))
		self.assertIn("schedule an introductory call", risky.recommendations)

	def test_open_opportunity_counts_and_record_health_score(self):
		customer = make_customer("Pipeline Co", ignore_permissions=True).name
		make_opportunity(customer, ignore_permissions=True)
		result = health.record_health_score(customer)
		# the opportunity's timeline entry is today's activity: activity = recency 50 + opportunities 5
		self.assertEqual(result["activity_score"], 55)
		self.assertEqual(result["factors"]["activity"]["opportunities"], 5.0)
		self.assertEqual(health.get_latest_health_score(customer)["name"], result["name"])
		self.assertEqual(
			frappe.db.get_value(constants.CUSTOMER, customer, "health_score"), result["health_score"]
		)

	def test_red_notification_is_sent_once(self):
		customer = make_customer("Falling Co", ignore_permissions=True, account_owner=self.owner).name

		def notifications():
			return frappe.db.count(
				"Notification Log",
				{"document_name": customer, "for_user": self.owner, "document_type": constants.CUSTOMER},
			)

		health.compute_all_health_scores(add_days(today(), -1), names=[customer])
		health.compute_all_health_scores(add_days(today(), -1), names=[customer])
		health.record_health_score(customer)
		health.compute_all_health_scores(names=[customer])
		self.assertEqual(notifications(), 1)
		entries = frappe.get_all(
			constants.TIMELINE, {"customer": customer, "activity_type": "Health Risk Change"}, pluck="title"
		)
		self.assertEqual(len(entries), 1, "the fall into Red is on the timeline once")

	def test_many_customers_falling_red_make_one_digest_per_owner(self):
		owner = make_user("crm.digest.owner@example.com")
		names = [
			make_customer(f"Digest {i}", ignore_permissions=True, account_owner=owner).name for i in range(3)
		]
		result = health.compute_all_health_scores(names=names)
		self.assertEqual(result["fell_red"], 3)
		alerts = frappe.get_all(
			"Notification Log", {"for_user": owner, "type": "Alert"}, ["subject", "document_name"]
		)
		self.assertEqual(len(alerts), 1, alerts)
		self.assertIn("3 of your customers fell into Red", alerts[0].subject)
		for i in range(3):
			self.assertIn(f"Digest {i}", alerts[0].subject)

	def test_health_job_uses_a_fixed_number_of_queries(self):
		names = [
			make_customer(f"Many {i}", ignore_permissions=True, account_owner="").name for i in range(25)
		]
		health.compute_all_health_scores(names=names[:2])
		# 5 input queries, stored rows, previous rows, existing rows, delete, series x2, insert, profiles,
		# one timeline insert for all customers that fell into Red, and its access index rows (delete, insert),
		# and whether a Frappe Webhook watches profiles (services/integrations/webhooks.py: none here)
		with self.assertQueryCount(17):
			health.compute_all_health_scores(names=names)
		self.assertEqual(frappe.db.count(constants.HEALTH_SCORE, {"customer": ("in", names)}), 25)

	def test_trend_against_7_days_earlier(self):
		customer = make_customer("Trend Co", ignore_permissions=True).name
		interaction(customer=customer, when=days_ago(8), interaction_type="Call", sentiment="Positive")
		health.compute_all_health_scores(add_days(today(), -7), names=[customer])
		health.compute_all_health_scores(names=[customer])
		rows = frappe.get_all(
			constants.HEALTH_SCORE,
			{"customer": customer},
			["health_score", "delta_7d", "delta_30d", "factors"],
			order_by="score_date",
		)
		self.assertEqual(rows[1].delta_7d, rows[1].health_score - rows[0].health_score)
		self.assertLess(rows[1].delta_7d, 0)  # the call is 7 days older
		trend = frappe.parse_json(rows[1].factors)["trend"]
		self.assertEqual(trend, {"delta_7d": rows[1].delta_7d, "delta_30d": None})  # no row 30 days ago


class TestSegments(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a = make_customer(
			"Seg A", ignore_permissions=True, industry="Segtest", lifecycle_stage="Customer"
		).name
		cls.b = make_customer(
			"Seg B", ignore_permissions=True, industry="Segtest", lifecycle_stage="Customer"
		).name
		cls.c = make_customer(
			"Seg C", ignore_permissions=True, industry="Segtest", lifecycle_stage="Lead"
		).name
		interaction(customer=cls.b, when=days_ago(3), interaction_type="Call")
		make_opportunity(cls.b, value=1000, ignore_permissions=True)

	def segment(self, name, criteria, **kwargs):
		return frappe.get_doc(
			{
				"doctype": constants.SEGMENT,
				"segment_name": name,
				"segment_type": "Dynamic",
				"criteria": criteria,
				**kwargs,
			}
		).insert(ignore_permissions=True)

	def test_dynamic_segment_members(self):
		criteria = {
			"match": "all",
			"conditions": [
				{"field": "industry", "op": "=", "value": "Segtest"},
				{"field": "lifecycle_stage", "op": "=", "value": "Customer"},
				{"field": "days_since_last_interaction", "op": "is not set"},
			],
		}
		seg = self.segment("Silent customers", frappe.as_json(criteria))
		self.assertEqual([m.customer for m in seg.members], [self.a])
		self.assertEqual(seg.member_count, 1)
		interaction(customer=self.a, when=days_ago(1), interaction_type="Call")
		segments.evaluate_segment(seg.name)
		self.assertEqual(segments.get_segment_members(seg.name)["member_count"], 0)
		self.assertEqual(frappe.db.get_value(constants.SEGMENT, seg.name, "member_count"), 0)

	def test_aggregates_pipeline_value(self):
		criteria = {
			"conditions": [
				{"field": "industry", "op": "=", "value": "Segtest"},
				{"field": "pipeline_value", "op": ">=", "value": 1000},
				{"field": "interactions_90d", "op": "=", "value": 1},
			]
		}
		seg = self.segment("Active pipeline", criteria=frappe.as_json(criteria))
		self.assertEqual(segments.get_segment_members(seg.name)["members"][0]["customer"], self.b)
		self.assertEqual(segments.evaluate_all_segments()["member_counts"][seg.name], 1)

	def test_criteria_are_validated_with_the_field_named(self):
		bad = {
			'{"conditions": [{"field": "salary", "op": "=", "value": 1}]}': "conditions[0].field",
			'{"conditions": [{"field": "health_score", "op": "like", "value": 1}]}': "conditions[0].op",
			'{"conditions": [{"field": "health_score", "op": "<", "value": "low"}]}': "conditions[0].value",
			'{"conditions": []}': "conditions",
			"{not json": "criteria",
		}
		for criteria, where in bad.items():
			with self.subTest(criteria=criteria), self.assertRaises(CRMInputError) as ctx:
				self.segment("Broken", criteria)
			self.assertIn("Criteria (criteria)", str(ctx.exception))
			self.assertIn(where, str(ctx.exception))
		self.assertFalse(frappe.db.exists(constants.SEGMENT, "Broken"))

	def test_static_segment(self):
		seg = frappe.get_doc(
			{
				"doctype": constants.SEGMENT,
				"segment_name": "Hand picked",
				"segment_type": "Static",
				"members": [{"customer": self.a}, {"customer": self.c}],
			}
		).insert(ignore_permissions=True)
		self.assertEqual(seg.member_count, 2)
		self.assertEqual([m.company_name for m in seg.members], ["Seg A", "Seg C"])
		seg.append("members", {"customer": self.a})
		with self.assertRaises(CRMInputError) as ctx:
			seg.save(ignore_permissions=True)
		self.assertIn("(members)", str(ctx.exception))


class TestScoringAPI(IntegrationTestCase):
	def test_desk_methods_check_access(self):
		from crm_module.api import scoring as api
		from crm_module.tests.factories import as_user, rep

		owner, other = rep(1), rep(2)
		with as_user(owner):
			lead = make_lead("API Lead", source="Website").name
			result = api.score_lead(lead, '{"engagement_score": 10, "fit_score": 20, "activity_score": 30}')
			self.assertEqual((result["total_score"], result["grade"]), (60, "D"))
			self.assertRaises(frappe.PermissionError, api.enqueue_bulk_scoring)
		with as_user(other):
			self.assertRaises(frappe.PermissionError, api.score_lead, lead)
			self.assertRaises(frappe.PermissionError, api.get_score_history, lead)
			# segments list the customers of every rep, so they are for managers only
			self.assertFalse(frappe.has_permission(constants.SEGMENT, "read"))
		self.assertEqual(api.get_score_history(lead)[0]["total_score"], 60)
		self.assertTrue(api.enqueue_bulk_scoring(frappe.as_json([lead]))["queued"])  # runs now in tests
		self.assertEqual(frappe.db.get_value(constants.LEAD, lead, "latest_score"), 15 + 0 + 0)
