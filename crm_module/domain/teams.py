"""Sales team hierarchy: whom a team lead sees. Plain Python, no framework.

A team has a lead, members and an optional parent team. The lead of a team reaches the records of

* every member and lead of the team and of all its sub-teams (down the parent links), and
* for every such person who leads teams of their own, those teams too (members' members).

"CRM Manager" stays the company-wide role; teams only widen what a CRM User reaches.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


class TeamCycleError(ValueError):
	"""A team would become its own ancestor."""


@dataclass(frozen=True)
class Team:
	name: str
	lead: str | None
	parent: str | None = None


def children_of(teams: Iterable[Team]) -> dict[str, list[str]]:
	children: dict[str, list[str]] = defaultdict(list)
	for team in teams:
		if team.parent:
			children[team.parent].append(team.name)
	return children


def subtree(team: str, children: dict[str, list[str]]) -> list[str]:
	"""`team` and all its descendants (each once, even if the data holds a cycle)."""
	seen, stack = [], [team]
	while stack:
		current = stack.pop()
		if current in seen:
			continue
		seen.append(current)
		stack.extend(children.get(current, ()))
	return seen


def team_users(team: str, teams: Iterable[Team], members: Iterable[tuple[str, str]]) -> list[str]:
	"""Leads and members of `team` and of all its sub-teams, sorted."""
	teams = list(teams)
	by_name = {t.name: t for t in teams}
	people = people_by_team(teams, members)
	found = set()
	for name in subtree(team, children_of(teams)):
		found |= people.get(name, set())
		if name in by_name and by_name[name].lead:
			found.add(by_name[name].lead)
	return sorted(found)


def people_by_team(teams: Iterable[Team], members: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
	people: dict[str, set[str]] = defaultdict(set)
	for team in teams:
		if team.lead:
			people[team.name].add(team.lead)
	for team, user in members:
		if user:
			people[team].add(user)
	return people


def reach_map(teams: Iterable[Team], members: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
	"""{team lead: every other user whose records they reach}, for every user who leads a team."""
	teams = list(teams)
	members = list(members)
	children = children_of(teams)
	people = people_by_team(teams, members)
	led: dict[str, list[str]] = defaultdict(list)
	for team in teams:
		if team.lead:
			led[team.lead].append(team.name)

	def users_below(team: str) -> set[str]:
		found = set()
		for name in subtree(team, children):
			found |= people.get(name, set())
		return found

	result = {}
	for lead in led:
		reached, queue = set(), [lead]
		while queue:
			current = queue.pop()
			for team in led.get(current, ()):
				for user in users_below(team):
					if user not in reached:
						reached.add(user)
						queue.append(user)
		reached.discard(lead)
		result[lead] = sorted(reached)
	return result


def led_teams(user: str, teams: Iterable[Team], members: Iterable[tuple[str, str]]) -> list[str]:
	"""The teams under the teams `user` leads, with the closure of `reach_map`: the teams led by `user` or by
	anyone `user` reaches, and all their sub-teams (each once)."""
	teams = list(teams)
	leads = {user, *reach_map(teams, members).get(user, ())}
	children = children_of(teams)
	found: dict[str, None] = {}
	for team in teams:
		if team.lead in leads:
			found.update(dict.fromkeys(subtree(team.name, children)))
	return list(found)


def check_parent(team: str, parent: str | None, teams: Iterable[Team]) -> None:
	"""Raise `TeamCycleError` when making `parent` the parent of `team` would close a loop."""
	if not parent:
		return
	if parent == team:
		raise TeamCycleError("a team cannot be its own parent")
	parents = {t.name: t.parent for t in teams}
	parents[team] = parent
	seen = {team}
	current = parent
	while current:
		if current in seen:
			raise TeamCycleError(f"team {parent} is already below {team}")
		seen.add(current)
		current = parents.get(current)
