"""Whom a team lead reaches: the team tree and members' members (crm_module/domain/teams.py)."""

import pytest

from crm_module.domain.teams import Team, TeamCycleError, check_parent, led_teams, reach_map, team_users

TEAMS = [
	Team("Sales", "vp@x", None),
	Team("East", "east@x", "Sales"),
	Team("West", "west@x", "Sales"),
	Team("East Inside", "inside@x", "East"),
	Team("Other", "other@x", None),
]
MEMBERS = [
	("East", "e1@x"),
	("East", "e2@x"),
	("West", "w1@x"),
	("East Inside", "i1@x"),
	("Other", "o1@x"),
	("Other", "e1@x"),  # in two teams
]


def test_team_users_cover_sub_teams():
	assert team_users("East", TEAMS, MEMBERS) == ["e1@x", "e2@x", "east@x", "i1@x", "inside@x"]
	assert team_users("West", TEAMS, MEMBERS) == ["w1@x", "west@x"]
	assert "o1@x" not in team_users("Sales", TEAMS, MEMBERS)


def test_lead_reaches_team_tree_not_siblings():
	reach = reach_map(TEAMS, MEMBERS)
	assert reach["east@x"] == ["e1@x", "e2@x", "i1@x", "inside@x"]
	assert "w1@x" not in reach["east@x"] and "west@x" not in reach["east@x"]
	assert set(reach["vp@x"]) == {"east@x", "west@x", "inside@x", "e1@x", "e2@x", "w1@x", "i1@x"}
	assert reach["inside@x"] == ["i1@x"]


def test_members_members_are_reached():
	teams = [Team("A", "lead@x"), Team("B", "m@x")]  # m leads B and is a member of A
	reach = reach_map(teams, [("A", "m@x"), ("B", "deep@x")])
	assert reach["lead@x"] == ["deep@x", "m@x"]
	assert reach["m@x"] == ["deep@x"]


def test_plain_members_reach_nobody_else():
	reach = reach_map(TEAMS, MEMBERS)
	assert "e1@x" not in reach and "o1@x" not in reach


def test_cycles_do_not_loop():
	teams = [Team("A", "a@x", "B"), Team("B", "b@x", "A")]
	reach = reach_map(teams, [])
	assert reach == {"a@x": ["b@x"], "b@x": ["a@x"]}


def test_lead_is_never_in_own_reach():
	teams = [Team("A", "a@x"), Team("B", "b@x")]
	assert reach_map(teams, [("A", "b@x"), ("B", "a@x")]) == {"a@x": ["b@x"], "b@x": ["a@x"]}


@pytest.mark.parametrize(("team", "parent"), [("Sales", "East Inside"), ("East", "East"), ("Sales", "West")])
def test_check_parent_refuses_loops(team, parent):
	with pytest.raises(TeamCycleError):
		check_parent(team, parent, TEAMS)


def test_check_parent_accepts_a_move():
	check_parent("East Inside", "West", TEAMS)
	check_parent("Other", None, TEAMS)


def test_led_teams_follow_the_team_tree():
	assert led_teams("east@x", TEAMS, MEMBERS) == ["East", "East Inside"]
	assert sorted(led_teams("vp@x", TEAMS, MEMBERS)) == ["East", "East Inside", "Sales", "West"]
	assert led_teams("e1@x", TEAMS, MEMBERS) == []


def test_led_teams_close_over_members_who_lead_like_reach():
	"""m leads B and is a member of A: A's lead reads B's targets as they reach B's people."""
	teams = [Team("A", "lead@x"), Team("B", "m@x")]
	assert led_teams("lead@x", teams, [("A", "m@x")]) == ["A", "B"]
	assert led_teams("m@x", teams, [("A", "m@x")]) == ["B"]
