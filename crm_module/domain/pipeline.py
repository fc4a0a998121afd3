"""Pipeline stages and stage moves of opportunities.

Definitions:

- A stage has a unique ``name``, a unique ``order`` (position in the pipeline), a default win
  ``probability`` (0-100), and ``is_final``. Only final stages have an ``outcome``, which is ``"Won"`` or
  ``"Lost"``; every final stage has one. A won stage has probability 100, a lost stage probability 0, and
  a pipeline has at least one non-final stage.
- An opportunity's status is the outcome of its stage, or ``"Open"`` for a non-final stage.
- A reopen is a move from a final stage to a non-final stage.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from crm_module.domain.forecasting import days_between

OUTCOMES = ("Won", "Lost")


class LossReasonRequired(ValueError):
	"""A move to a lost stage without a loss reason."""


STATUSES = ("Open", "Won", "Lost")


@dataclass(frozen=True)
class Stage:
	"""One stage of a pipeline (see the module docstring for the rules)."""

	name: str
	order: int
	probability: float
	is_final: bool = False
	outcome: str | None = None
	expected_cycle_days: int | None = None


@dataclass(frozen=True)
class StageMove:
	"""What moving an opportunity to a stage changes.

	- ``probability``: 100 for a won stage, 0 for a lost stage, else the user's probability when it was
	  set explicitly, else the stage's default probability.
	- ``status``: ``"Open"``, ``"Won"`` or ``"Lost"``.
	- ``actual_close_date``: ``today`` when the target stage is final, ``None`` otherwise.
	- ``is_reopen``: the move goes from a final stage to a non-final stage.
	- ``days_in_previous_stage``: whole days from ``last_moved_on`` to ``today`` (0 when unknown).
	- ``loss_reason``: the stripped reason for a lost stage, ``None`` otherwise.
	- ``stage_changed``: ``from_stage`` differs from ``to_stage``.
	"""

	stage: str
	probability: float
	status: str
	actual_close_date: date | None
	is_reopen: bool
	days_in_previous_stage: int
	loss_reason: str | None
	stage_changed: bool


def validate_stage(st: Stage) -> float:
	"""Check one stage on its own and return its probability as a number.

	Raises ``ValueError`` naming the stage and the field (``stage_order``, ``probability``, ``outcome``,
	``expected_cycle_days``)."""
	name = (st.name or "").strip()
	if not name:
		raise ValueError("stage_name: a stage name is required")
	if isinstance(st.order, bool) or not isinstance(st.order, int):
		raise ValueError(f"stage '{name}': stage_order must be an integer")
	try:
		probability = float(st.probability)
	except (TypeError, ValueError):
		raise ValueError(f"stage '{name}': probability must be a number")
	if not 0 <= probability <= 100:
		raise ValueError(f"stage '{name}': probability must be between 0 and 100")
	if st.expected_cycle_days is not None and st.expected_cycle_days < 0:
		raise ValueError(f"stage '{name}': expected_cycle_days cannot be negative")
	if st.is_final and st.outcome not in OUTCOMES:
		raise ValueError(f"stage '{name}': a final stage must have outcome 'Won' or 'Lost'")
	if not st.is_final and st.outcome is not None:
		raise ValueError(f"stage '{name}': only a final stage can have an outcome")
	if st.outcome == "Won" and probability != 100:
		raise ValueError(f"stage '{name}': a won stage must have probability 100")
	if st.outcome == "Lost" and probability != 0:
		raise ValueError(f"stage '{name}': a lost stage must have probability 0")
	return probability


def check_order_free(stages: Iterable[Stage], st: Stage) -> None:
	"""Raise ``ValueError`` naming ``stage_order`` when another stage of ``stages`` has ``st``'s order."""
	for other in stages:
		if other.name != st.name and other.order == st.order:
			raise ValueError(
				f"stage '{st.name.strip()}': stage_order {st.order} is already used by stage '{other.name}'"
			)


def validate_stages(stages: Iterable[Stage]) -> list[Stage]:
	"""Validate a whole pipeline's stages and return them sorted by ``order``: each stage on its own
	(`validate_stage`), unique names and orders, at least one non-final stage.

	Raises ``ValueError`` naming the offending stage."""
	stages = list(stages)
	if not stages:
		raise ValueError("stages: a pipeline needs at least one stage")
	names: set[str] = set()
	for index, st in enumerate(stages):
		validate_stage(st)
		name = st.name.strip()
		if name in names:
			raise ValueError(f"stage '{name}': duplicate stage name")
		names.add(name)
		check_order_free(stages[:index], st)
	if all(st.is_final for st in stages):
		raise ValueError("stages: a pipeline needs at least one non-final stage")
	return sorted(stages, key=lambda s: s.order)


def find_stage(stages: Iterable[Stage], name: str | None, field: str = "stage") -> Stage:
	"""Return the stage called ``name``; raise ``ValueError`` naming ``field`` when there is none."""
	for st in stages:
		if st.name == name:
			return st
	raise ValueError(f"{field}: unknown stage '{name}'")


def first_open_stage(stages: Iterable[Stage]) -> Stage:
	"""Return the non-final stage with the lowest order (where new opportunities start)."""
	open_stages = [s for s in stages if not s.is_final]
	if not open_stages:
		raise ValueError("stages: a pipeline needs at least one non-final stage")
	return min(open_stages, key=lambda s: s.order)


def status_for(stage: Stage) -> str:
	"""Return ``"Won"``/``"Lost"`` for a final stage and ``"Open"`` otherwise."""
	return stage.outcome if stage.is_final and stage.outcome else "Open"


def plan_stage_move(
	stages: Iterable[Stage],
	from_stage: str | None,
	to_stage: str,
	current_probability: float | None,
	probability_set_explicitly: bool,
	loss_reason: str | None,
	today: date,
	last_moved_on: date | None,
) -> StageMove:
	"""Plan moving an opportunity from ``from_stage`` (``None`` for a new opportunity) to ``to_stage``.

	Raises ``ValueError`` for unknown stages (naming ``stage``), a probability outside 0-100 (naming
	``probability``) and a lost stage without a loss reason."""
	stages = list(stages)
	target = find_stage(stages, to_stage, "stage")
	source = find_stage(stages, from_stage, "stage") if from_stage is not None else None
	status = status_for(target)
	if status == "Won":
		probability = 100.0
	elif status == "Lost":
		probability = 0.0
	elif probability_set_explicitly and current_probability is not None:
		try:
			probability = float(current_probability)
		except (TypeError, ValueError):
			raise ValueError("probability must be a number")
		if not 0 <= probability <= 100:
			raise ValueError("probability must be between 0 and 100")
	else:
		probability = float(target.probability)
	reason = (loss_reason or "").strip() or None
	if status == "Lost" and not reason:
		raise LossReasonRequired("loss_reason is required to close an opportunity as lost")
	return StageMove(
		stage=target.name,
		probability=probability,
		status=status,
		actual_close_date=today if target.is_final else None,
		is_reopen=bool(source and source.is_final and not target.is_final),
		days_in_previous_stage=days_between(last_moved_on, today) if last_moved_on else 0,
		loss_reason=reason if status == "Lost" else None,
		stage_changed=from_stage != to_stage,
	)
