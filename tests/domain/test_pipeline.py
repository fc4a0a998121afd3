from dataclasses import replace
from datetime import date

import pytest

from crm_module.domain.pipeline import (
	Stage,
	find_stage,
	first_open_stage,
	plan_stage_move,
	status_for,
	validate_stages,
)

STAGES = [
	Stage("Closed Lost", 6, 0, True, "Lost"),
	Stage("Prospecting", 1, 10, False, None),
	Stage("Qualification", 2, 25, False, None),
	Stage("Proposal", 3, 60, False, None),
	Stage("Negotiation", 4, 80, False, None),
	Stage("Closed Won", 5, 100, True, "Won"),
]
TODAY = date(2024, 5, 20)


def test_validate_stages_sorts_by_order():
	assert [s.order for s in validate_stages(STAGES)] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
	"stages,fragment",
	[
		([], "stages"),
		([*STAGES, Stage("Proposal", 9, 50)], "stage 'Proposal': duplicate"),
		([*STAGES, Stage("Demo", 3, 50)], "stage 'Demo': stage_order 3"),
		([*STAGES, Stage("Demo", 9, 150)], "stage 'Demo': probability"),
		([*STAGES, Stage("Demo", 9, -1)], "stage 'Demo': probability"),
		([*STAGES, Stage("Demo", 9, "high")], "stage 'Demo': probability must be a number"),
		([*STAGES, Stage("Demo", 9.5, 10)], "stage 'Demo': stage_order must be an integer"),
		([*STAGES, Stage("Done", 9, 50, True, None)], "stage 'Done': a final stage"),
		([*STAGES, Stage("Done", 9, 50, True, "Maybe")], "stage 'Done': a final stage"),
		([*STAGES, Stage("Demo", 9, 50, False, "Won")], "stage 'Demo': only a final stage"),
		(
			[*STAGES, Stage("Won 2", 9, 90, True, "Won")],
			"stage 'Won 2': a won stage must have probability 100",
		),
		(
			[*STAGES, Stage("Lost 2", 9, 10, True, "Lost")],
			"stage 'Lost 2': a lost stage must have probability 0",
		),
		([Stage("W", 1, 100, True, "Won"), Stage("L", 2, 0, True, "Lost")], "non-final"),
		([Stage("  ", 1, 10)], "stage name"),
		([Stage("Demo", 1, 10, expected_cycle_days=-3)], "expected_cycle_days cannot be negative"),
	],
)
def test_validate_stages_errors(stages, fragment):
	with pytest.raises(ValueError) as e:
		validate_stages(stages)
	assert fragment in str(e.value)


def test_helpers():
	assert find_stage(STAGES, "Proposal").probability == 60
	with pytest.raises(ValueError, match="stage: unknown stage 'Nope'"):
		find_stage(STAGES, "Nope")
	assert first_open_stage(STAGES).name == "Prospecting"
	with pytest.raises(ValueError, match="non-final"):
		first_open_stage([s for s in STAGES if s.is_final])
	assert [status_for(s) for s in STAGES] == ["Lost", "Open", "Open", "Open", "Open", "Won"]


def move(to_stage, from_stage=None, **kw):
	args = {
		"current_probability": None,
		"probability_set_explicitly": False,
		"loss_reason": None,
		"today": TODAY,
		"last_moved_on": None,
	}
	args.update(kw)
	return plan_stage_move(STAGES, from_stage, to_stage, **args)


def test_new_opportunity_takes_stage_defaults():
	m = move("Prospecting")
	assert (m.stage, m.probability, m.status, m.actual_close_date) == ("Prospecting", 10.0, "Open", None)
	assert (m.is_reopen, m.days_in_previous_stage, m.loss_reason, m.stage_changed) == (False, 0, None, True)


def test_explicit_probability_is_kept_on_open_stages_only():
	assert (
		move("Proposal", "Qualification", current_probability=45, probability_set_explicitly=True).probability
		== 45
	)
	assert move("Proposal", "Qualification", current_probability=45).probability == 60  # not explicit
	assert move("Proposal", "Qualification", probability_set_explicitly=True).probability == 60  # no value
	won = move("Closed Won", "Proposal", current_probability=45, probability_set_explicitly=True)
	assert (won.probability, won.status, won.actual_close_date) == (100.0, "Won", TODAY)


def test_explicit_probability_out_of_range():
	with pytest.raises(ValueError, match="probability"):
		move("Proposal", current_probability=120, probability_set_explicitly=True)
	with pytest.raises(ValueError, match="probability"):
		move("Proposal", current_probability="x", probability_set_explicitly=True)


def test_lost_requires_reason():
	for reason in (None, "", "   "):
		with pytest.raises(ValueError) as e:
			move("Closed Lost", "Negotiation", loss_reason=reason)
		assert str(e.value) == "loss_reason is required to close an opportunity as lost"
	lost = move(
		"Closed Lost",
		"Negotiation",
		loss_reason=" Price ",
		current_probability=70,
		probability_set_explicitly=True,
	)
	assert (lost.probability, lost.status, lost.actual_close_date, lost.loss_reason) == (
		0.0,
		"Lost",
		TODAY,
		"Price",
	)


def test_loss_reason_dropped_on_other_stages():
	assert move("Proposal", loss_reason="Price").loss_reason is None


def test_reopen():
	m = move("Negotiation", "Closed Lost", last_moved_on=date(2024, 5, 6))
	assert m.is_reopen and m.status == "Open" and m.actual_close_date is None
	assert m.probability == 80.0
	assert m.days_in_previous_stage == 14  # May 6 -> May 20
	assert not move("Closed Lost", "Closed Won", loss_reason="x").is_reopen  # final -> final
	assert not move("Negotiation", "Proposal").is_reopen


def test_same_stage_is_not_a_change():
	assert move("Proposal", "Proposal").stage_changed is False


def test_unknown_stages_name_stage():
	with pytest.raises(ValueError, match="stage: unknown stage 'Nope'"):
		move("Nope")
	with pytest.raises(ValueError, match="stage: unknown stage 'Gone'"):
		move("Proposal", "Gone")


def test_stage_is_immutable_value():
	s = replace(STAGES[1], probability=20)
	assert s.probability == 20 and STAGES[1].probability == 10
