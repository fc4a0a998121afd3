"""Lead scoring: engagement, fit and activity components, total score and grade.

Definitions (every component is an integer from 0 to 100; "round" means round half up):

- ``total = round(3 x (w_e x engagement + w_f x fit + w_a x activity) / (w_e + w_f + w_a))``, from 0 to
  300. With equal weights it is the plain sum: 85 + 75 + 90 = 250.
- Grade: ``A`` when total >= thresholds["A"] (default 240), else ``B`` when >= thresholds["B"] (180), else
  ``C`` when >= thresholds["C"] (120), else ``D``.
- Engagement, from the last 90 days of interactions::

	volume    = 5 x min(interactions_90d, 10)                               (0-50)
	meetings  = 10 x min(meetings_90d, 3)                                   (0-30)
	sentiment = clamp(20 x (positive - negative) / max(1, positive + neutral + negative), 0, 20)
	engagement = clamp(round(volume + meetings + sentiment), 0, 100)

  ``replies_90d`` is accepted but not scored. Engagement never decreases when interactions, meetings or
  positives grow (d/dp of (p - n) / (p + u + n) is (u + 2n) / (p + u + n)^2 >= 0).
- Activity::

	recency   = 50 x max(0, 1 - days_since_last_activity / 90)   (0 when there is no activity)
	frequency = 6 x min(count_30d, 5) + 2 x min(count_90d, 10)    (0-30 + 0-20)
	activity  = clamp(round(recency + frequency), 0, 100)

- Fit: see ``crm_module.domain.fit_rules``.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real

from crm_module.domain.fit_rules import DEFAULT_FIT_RULES, FitRule, fit_key, fit_score
from crm_module.domain.validation import as_count, as_fraction, clamp, round_half_up

GRADES = ("A", "B", "C", "D")
DEFAULT_THRESHOLDS = {"A": 240, "B": 180, "C": 120}
DEFAULT_WEIGHTS = (1.0, 1.0, 1.0)
COMPONENTS = ("engagement", "fit", "activity")
MAX_TOTAL = 300


def validate_component(name: str, value) -> int:
	"""Return the component as an int; raise ``ValueError`` naming it when it is not a number or is outside
	0-100 (non-integral numbers are rounded half up)."""
	v = as_fraction(name, value)
	if not 0 <= v <= 100:
		raise ValueError(f"{name} must be between 0 and 100")
	return round_half_up(v)


def validate_weights(weights: Sequence) -> tuple[float, float, float]:
	"""Weights are three non-negative numbers, not all zero (engagement, fit, activity)."""
	if isinstance(weights, Mapping):
		weights = [weights.get(c, 0) for c in COMPONENTS]
	weights = tuple(weights)
	if len(weights) != 3:
		raise ValueError("weights must have three values (engagement, fit, activity)")
	for name, w in zip(COMPONENTS, weights, strict=True):
		if as_fraction(f"weights.{name}", w) < 0:
			raise ValueError(f"weights.{name} must not be negative")
	if all(w == 0 for w in weights):
		raise ValueError("weights must not all be zero")
	return tuple(float(w) for w in weights)


def total_score(engagement: int, fit: int, activity: int, weights: Sequence = DEFAULT_WEIGHTS) -> int:
	"""Return ``round(3 x sum(w_i x s_i) / sum(w_i))`` (0-300)."""
	scores = [validate_component(n, v) for n, v in zip(COMPONENTS, (engagement, fit, activity), strict=True)]
	ws = [Fraction(str(w)) for w in validate_weights(weights)]
	weighted = sum((w * s for w, s in zip(ws, scores, strict=True)), Fraction(0))
	return round_half_up(3 * weighted / sum(ws))


def validate_thresholds(thresholds: Mapping | None) -> dict[str, int]:
	"""Thresholds for A, B and C are integers within 0-300 with A > B > C."""
	if thresholds is None:
		return dict(DEFAULT_THRESHOLDS)
	out = {}
	for g in ("A", "B", "C"):
		if g not in thresholds:
			raise ValueError(f"thresholds.{g} is required")
		v = thresholds[g]
		if (
			isinstance(v, bool)
			or not isinstance(v, Real)
			or not math.isfinite(v)
			or v != int(v)
			or not 0 <= v <= MAX_TOTAL
		):
			raise ValueError(f"thresholds.{g} must be an integer between 0 and {MAX_TOTAL}")
		out[g] = int(v)
	if not out["A"] > out["B"] > out["C"]:
		raise ValueError("thresholds must be descending: A > B > C")
	return out


def grade_for(total: int, thresholds: Mapping | None = None) -> str:
	"""Return the grade ``"A"``-``"D"`` of a total score (a total equal to a threshold gets that grade)."""
	t = validate_thresholds(thresholds)
	v = as_fraction("total", total)
	if not 0 <= v <= MAX_TOTAL:
		raise ValueError(f"total must be between 0 and {MAX_TOTAL}")
	for g in ("A", "B", "C"):
		if v >= t[g]:
			return g
	return "D"


def validate_grade(grade: str, total: int | None = None, thresholds: Mapping | None = None) -> str:
	"""Raise ``ValueError`` naming ``grade`` unless it is A-D and, when ``total`` is given, the grade of it."""
	if grade not in GRADES:
		raise ValueError(f"grade must be one of A, B, C, D, got {grade!r}")
	if total is not None and grade_for(total, thresholds) != grade:
		raise ValueError(f"grade {grade} does not match total {total}")
	return grade


def _engagement_exact(stats: Mapping) -> dict[str, Fraction]:
	n = {
		k: as_count(k, stats.get(k))
		for k in ("interactions_90d", "meetings_90d", "positive", "neutral", "negative", "replies_90d")
	}
	rated = n["positive"] + n["neutral"] + n["negative"]
	sentiment = Fraction(20 * (n["positive"] - n["negative"]), max(1, rated))
	return {
		"volume": Fraction(5 * min(n["interactions_90d"], 10)),
		"meetings": Fraction(10 * min(n["meetings_90d"], 3)),
		"sentiment": max(Fraction(0), min(Fraction(20), sentiment)),
	}


def engagement_parts(stats: Mapping) -> dict[str, float]:
	"""Return the engagement sub-parts ``volume``, ``meetings`` and ``sentiment`` rounded to 2 decimals."""
	return {k: round(float(v), 2) for k, v in _engagement_exact(stats).items()}


def engagement_score(stats: Mapping) -> int:
	"""Return the engagement component (0-100) from 90-day interaction stats."""
	return clamp(round_half_up(sum(_engagement_exact(stats).values())))


def activity_parts(
	days_since_last_activity: int | None, count_30d: int, count_90d: int
) -> dict[str, Fraction]:
	"""Return the exact ``recency``, ``frequency_30d`` and ``frequency_90d`` parts of the activity score."""
	c30, c90 = as_count("count_30d", count_30d), as_count("count_90d", count_90d)
	if days_since_last_activity is None:
		recency = Fraction(0)
	else:
		days = as_count("days_since_last_activity", days_since_last_activity)
		recency = 50 * max(Fraction(0), 1 - Fraction(days, 90))
	return {
		"recency": recency,
		"frequency_30d": Fraction(6 * min(c30, 5)),
		"frequency_90d": Fraction(2 * min(c90, 10)),
	}


def activity_score(days_since_last_activity: int | None, count_30d: int, count_90d: int) -> int:
	"""Return the activity component (0-100) from recency and 30/90-day activity counts."""
	return clamp(round_half_up(sum(activity_parts(days_since_last_activity, count_30d, count_90d).values())))


@dataclass
class ScoringConfig:
	"""Weights (engagement, fit, activity), grade thresholds, fit rules and fit base score."""

	weights: tuple[float, float, float] = DEFAULT_WEIGHTS
	thresholds: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
	fit_rules: list[FitRule] = field(default_factory=lambda: list(DEFAULT_FIT_RULES))
	fit_base: int = 0

	def __post_init__(self):
		self.weights = validate_weights(self.weights)
		self.thresholds = validate_thresholds(self.thresholds)
		if (
			isinstance(self.fit_base, bool)
			or not isinstance(self.fit_base, int)
			or not 0 <= self.fit_base <= 100
		):
			raise ValueError("fit_base must be an integer between 0 and 100")
		self.fit_rules = [r if isinstance(r, FitRule) else FitRule.from_dict(r) for r in self.fit_rules]

	@classmethod
	def default(cls) -> "ScoringConfig":
		return cls()

	@classmethod
	def from_dict(cls, d: Mapping | None) -> "ScoringConfig":
		"""Build a config from ``{"weights", "thresholds", "fit_rules", "fit_base"}``; missing keys keep their
		defaults. ``weights`` is a list of three or a dict keyed by component."""
		d = d or {}
		if not isinstance(d, Mapping):
			raise ValueError("scoring config must be an object")
		rules = d.get("fit_rules")
		if rules is not None and not isinstance(rules, list | tuple):
			raise ValueError("fit_rules must be a list")
		return cls(
			weights=d["weights"] if d.get("weights") is not None else DEFAULT_WEIGHTS,
			thresholds=d.get("thresholds") or dict(DEFAULT_THRESHOLDS),
			fit_rules=list(rules) if rules is not None else list(DEFAULT_FIT_RULES),
			fit_base=d.get("fit_base", 0) if d.get("fit_base") is not None else 0,
		)

	def to_dict(self) -> dict:
		return {
			"weights": list(self.weights),
			"thresholds": dict(self.thresholds),
			"fit_rules": [r.to_dict() for r in self.fit_rules],
			"fit_base": self.fit_base,
		}


@dataclass(frozen=True)
class LeadScoreResult:
	engagement: int
	fit: int
	activity: int
	total: int
	grade: str
	factors: dict


def compute_lead_score(lead: Mapping, stats: Mapping, config: ScoringConfig | None = None) -> LeadScoreResult:
	"""Score a lead. ``stats`` holds the engagement stats (see ``engagement_score``) and, for activity,
	``days_since_last_activity`` (``None`` when there was none), ``activities_30d`` and ``activities_90d``
	(missing counts are 0)."""
	config = config or ScoringConfig.default()
	eng = engagement_parts(stats)
	engagement = engagement_score(stats)
	fit, matched = fit_score(lead, config.fit_rules, config.fit_base)
	act = activity_parts(
		stats.get("days_since_last_activity"), stats.get("activities_30d"), stats.get("activities_90d")
	)
	activity = activity_score(
		stats.get("days_since_last_activity"), stats.get("activities_30d"), stats.get("activities_90d")
	)
	total = total_score(engagement, fit, activity, config.weights)
	factors = {
		"engagement": eng,
		"fit": {"base": config.fit_base, "matched_rules": matched},
		"activity": {k: round(float(v), 2) for k, v in act.items()},
		"weights": dict(zip(COMPONENTS, config.weights, strict=True)),
		"thresholds": dict(config.thresholds),
	}
	return LeadScoreResult(engagement, fit, activity, total, grade_for(total, config.thresholds), factors)


def input_key(lead: Mapping, stats: Mapping, config: ScoringConfig | None = None) -> tuple:
	"""Everything `compute_lead_score` reads of a lead and its stats: equal keys give equal results, so
	a batch computes each distinct combination once (an import of 100,000 leads has a few hundred)."""
	config = config or ScoringConfig.default()
	counts = tuple(sorted((k, type(v), v) for k, v in stats.items()))
	return fit_key(lead, config.fit_rules), counts


SCORE_FIELDS = ("engagement_score", "fit_score", "activity_score")


def explicit_scores(scores: Mapping, config: ScoringConfig | None = None) -> dict:
	"""Check component scores given by hand and return the full score row values.

	``scores`` has ``engagement_score``, ``fit_score`` and ``activity_score`` (each a number from 0 to
	100, rounded half up) and, optionally, ``total_score`` and ``grade``, which must then be the ones the
	components give under ``config``. Returns those five fields. Raises ``ValueError`` naming the field."""
	config = config or ScoringConfig.default()
	values = {}
	for field_name in SCORE_FIELDS:
		value = scores.get(field_name)
		if isinstance(value, bool) or not isinstance(value, Real):
			raise ValueError(f"{field_name} must be a number between 0 and 100, got {value!r}")
		values[field_name] = validate_component(field_name, value)
	total = total_score(*values.values(), config.weights)
	given_total = scores.get("total_score")
	if given_total not in (None, "") and given_total != total:
		raise ValueError(f"total_score {given_total} does not match the components: expected {total}")
	if scores.get("grade") not in (None, ""):
		validate_grade(scores["grade"], total, config.thresholds)
	return {**values, "total_score": total, "grade": grade_for(total, config.thresholds)}
