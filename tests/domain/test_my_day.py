"""My Day ranking (`crm_module.domain.my_day`): every figure below is computed by hand from the docstring's
definitions (expected value x urgency)."""

from datetime import date, datetime

import pytest

from crm_module.domain.my_day import due_urgency, rank, render

TODAY = date(2026, 3, 10)
SIZE = 10_000  # expected deal size


def only(facts: dict, **kw) -> list[dict]:
	return rank({"deal_size": SIZE, **facts}, TODAY, **kw)


def lead(name, **fields):
	return {"name": name, "title": name, "created": date(2026, 1, 1), "last_touch": TODAY, **fields}


def deal(name, **fields):
	return {
		"name": name,
		"title": name,
		"stage": "Qualification",
		"stage_since": TODAY,
		"next_step_date": date(2026, 3, 20),
		**fields,
	}


@pytest.mark.parametrize(
	"due,urgency",
	[
		(date(2026, 3, 5), 2.5),  # 5 days overdue: 2 + 5/10
		(date(2026, 1, 1), 5.0),  # 68 days overdue: capped at 30 -> 2 + 3
		(TODAY, 2.0),
		(date(2026, 3, 17), 0.5),  # in 7 days: 1 - 7/14
	],
)
def test_due_urgency(due, urgency):
	assert due_urgency(due, TODAY) == pytest.approx(urgency)


def test_overdue_follow_up_ranks_above_one_due_in_a_week():
	items = only(
		{
			"leads": [
				lead("WEEK", follow_up_date=date(2026, 3, 17), conversion_probability=40),
				lead("LATE", follow_up_date=date(2026, 3, 5), conversion_probability=40),
				lead("TODAY", follow_up_date=TODAY, latest=None, grade="B"),
				lead("LATER", follow_up_date=date(2026, 3, 18), conversion_probability=90),
			]
		}
	)
	# 0.4 x 10,000 = 4,000 x 2.5; grade B 0.3 x 10,000 = 3,000 x 2; 4,000 x 0.5; 8 days ahead: not listed
	assert [(i["name"], i["kind"], i["score"]) for i in items] == [
		("LATE", "follow_up_overdue", 10_000),
		("TODAY", "follow_up_due", 6_000),
		("WEEK", "follow_up_due", 2_000),
	]
	assert [render(r) for r in items[0]["reasons"]] == [
		"Follow-up was due 2026-03-05 (5 days overdue)",
		"Expected value 4,000 (40 % chance x deal size 10,000)",
	]
	assert items[0]["action"] == "log_call"
	assert items[0]["actions"] == ["log_call", "reschedule", "open"]


def test_hot_lead_untouched():
	items = only(
		{
			"leads": [
				lead("A", grade="A", last_touch=date(2026, 2, 20)),  # 18 days
				lead("NEW", conversion_probability=60, last_touch=None, created=date(2026, 3, 1)),  # 9 days
				lead("RECENT", grade="A", last_touch=date(2026, 3, 4)),  # 6 days: not yet
				lead("COLD", grade="C", last_touch=date(2026, 1, 1)),  # not hot
			]
		}
	)
	# A: 0.5 x 10,000 x (1 + 11/30); NEW: 0.6 x 10,000 x (1 + 2/30)
	assert [(i["name"], i["kind"], i["score"]) for i in items] == [
		("A", "hot_lead_untouched", 6_833.33),
		("NEW", "hot_lead_untouched", 6_400),
	]
	assert render(items[1]["reasons"][1]) == "Never contacted (9 days)"
	assert render(items[0]["reasons"][1]) == "No interaction for 18 days"


def test_deal_items_merge_on_one_record():
	stuck = deal(
		"D1",
		value=50_000,
		probability=20,
		expected_close_date=date(2026, 3, 1),
		stage="Proposal",
		stage_since=date(2026, 2, 8),
		next_step_date=None,
		next_stage="Negotiation",
	)
	items = only({"deals": [stuck], "usual_days": {"Proposal": 10}})
	assert len(items) == 1
	(one,) = items
	# EV 10,000; stuck 30 days vs 10: 1 + min(2, 2)/2 = 2; passed 9 days: 1.5 + 9/20 = 1.95; no step: 1
	assert one["kind"] == "deal_stuck" and one["score"] == 20_000
	assert one["kinds"] == ["deal_stuck", "deal_close_date_passed", "deal_no_next_step"]
	assert one["action"] == "move_stage" and one["next_stage"] == "Negotiation"
	assert one["actions"] == ["move_stage", "log_call", "open", "reschedule"]
	assert [render(r) for r in one["reasons"]] == [
		"30 days in stage Proposal",
		"Deals usually spend 10 days in a stage like this",
		"Expected value 10,000 (50,000 x 20 %)",
		"Expected close date 2026-03-01 passed 9 days ago",
		"No next step planned",
	]


def test_deal_within_its_usual_time_with_a_next_step_is_not_listed():
	fine = deal("OK", value=1_000, probability=50, stage_since=date(2026, 3, 1), expected_close_date=TODAY)
	assert only({"deals": [fine], "usual_days": {"Qualification": 9}}) == []  # 9 days = usual, not more
	assert only({"deals": [fine], "usual_days": {}}) == []  # no history for the stage: never stuck


def test_customers_turned_red_and_churn_jump():
	items = only(
		{
			"customers": [
				{
					"name": "C1",
					"title": "Acme",
					"risk_level": "Red",
					"red_since": date(2026, 3, 8),
					"health_score": 31,
					"churn_probability": 60,
					"health_change_7d": -15,
					"revenue": 20_000,
				},
				{"name": "C2", "title": "Beta", "risk_level": "Red", "red_since": "2026-03-09", "revenue": 0},
				{
					"name": "C3",
					"title": "Gamma",
					"churn_probability": 80,
					"health_change_7d": -9,
					"revenue": 5,
				},
			]
		}
	)
	# C1: 0.6 x 20,000 = 12,000 x 2 (Red) and x 1.5 (jump); C2: no churn figure, Red: 0.5 x deal size x 2
	assert [(i["name"], i["kind"], i["kinds"], i["score"]) for i in items] == [
		("C1", "customer_turned_red", ["customer_turned_red", "churn_jump"], 24_000),
		("C2", "customer_turned_red", ["customer_turned_red"], 10_000),
	]
	assert [render(r) for r in items[0]["reasons"]] == [
		"Health turned Red on 2026-03-08 (score 31)",
		"At stake 12,000 (60 % churn risk x 20,000 won in the last year)",
		"Churn risk 60 % and health fell 15 points in 7 days",
	]


def test_next_steps_take_their_deal_value_and_meetings_come_first():
	deals = [deal("D2", value=20_000, probability=50)]
	steps = [
		{
			"name": "I1",
			"title": "Call",
			"next_step": "Send quote",
			"next_step_date": "2026-03-09",
			"opportunity": "D2",
		},
		{"name": "I2", "title": "Mail", "next_step": "Demo", "next_step_date": date(2026, 3, 12)},
		{"name": "I3", "title": "Old", "next_step": "x", "next_step_date": date(2026, 3, 18)},  # 8 days ahead
	]
	meetings = [
		{"name": "M2", "title": "Review", "at": datetime(2026, 3, 10, 15, 0)},
		{"name": "M1", "title": "Kick-off", "at": datetime(2026, 3, 10, 9, 30), "opportunity": "D2"},
	]
	items = only({"deals": deals, "next_steps": steps, "meetings": meetings})
	# M1 9:30 and M2 15:00 first whatever their score; I1: 10,000 x 2.1; I2: 0.1 x 10,000 x (1 - 2/14)
	assert [(i["name"], i["kind"], i["score"]) for i in items] == [
		("M1", "meeting_today", 100_000),
		("M2", "meeting_today", 10_000),
		("I1", "next_step_overdue", 21_000),
		("I2", "next_step_due", 857.14),
	]
	assert [render(r) for r in items[2]["reasons"]] == [
		"Next step was due 2026-03-09 (1 days overdue)",
		"Next step: Send quote",
	]
	assert render(items[0]["reasons"][0]) == "Meeting today at 09:30"


def test_target_gap_names_the_deals_that_would_close_it():
	deals = [
		deal("D2", value=20_000, probability=50, expected_close_date=date(2026, 3, 20)),  # EV 10,000
		deal("D3", value=15_000, probability=40, expected_close_date=date(2026, 3, 31)),  # EV 6,000
		deal("D4", value=40_000, probability=10, expected_close_date=date(2026, 3, 25)),  # EV 4,000
		deal("D5", value=90_000, probability=90, expected_close_date=date(2026, 4, 2)),  # next month
	]
	target = {
		"name": "T1",
		"title": "March 2026",
		"gap": 30_000,
		"target_amount": 50_000,
		"won": 20_000,
		"period_start": date(2026, 3, 1),
		"period_end": date(2026, 3, 31),
	}
	(item,) = only({"deals": deals, "target": target})
	# 10 of 31 days gone: 30,000 x (1 + 2 x 10/31); D2 + D3 = 35,000 >= 30,000
	assert item["kind"] == "target_gap" and item["score"] == pytest.approx(49_354.84)
	assert item["deals"] == ["D2", "D3"]
	assert [render(r) for r in item["reasons"]] == [
		"30,000 short of this month's target of 50,000 (won 20,000)",
		"Winning these 2 deals closing this month would cover it: D2, D3",
	]
	assert only({"deals": deals, "target": {**target, "gap": -5}}) == []  # target met


def test_limit_and_translation():
	leads = [lead(f"L{i:02d}", follow_up_date=TODAY, conversion_probability=i + 1) for i in range(60)]
	items = only({"leads": leads})
	assert len(items) == 50 and items[0]["name"] == "L59" and items[-1]["name"] == "L10"
	assert len(only({"leads": leads}, limit=3)) == 3
	assert render(("{0} days", 3), translate=lambda t: t.replace("days", "Tage")) == "3 Tage"
