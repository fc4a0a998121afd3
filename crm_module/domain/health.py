"""Customer health score (0-100) from engagement, activity and satisfaction (each 0-100).

Definitions ("round" is round half up; every component is clamped to 0-100):

- Engagement = round(frequency + recency + type_mix + sentiment) where
  frequency = 40 x min(interactions_90d, 12) / 12; recency = 40 x max(0, 1 - days_since_last_activity / 60)
  (0 when there was no activity); type_mix = 10 x min(distinct interaction types in 90 days, 4) / 4;
  sentiment = clamp(10 x (positive - negative) / (positive + neutral + negative), 0, 10), or 5 when no
  interaction has a sentiment.
- Activity = round(recency + last_30d + last_90d + opportunities) where
  recency = 50 x max(0, 1 - days_since_last_activity / 90) (0 when none); last_30d = 25 x min(n_30d, 6) / 6;
  last_90d = 15 x min(n_90d, 15) / 15; opportunities = 10 x min(open_opportunities, 2) / 2.
- Satisfaction = round of: the average rating (1-5) mapped linearly 1 -> 0, 5 -> 100; the average NPS
  (0-10) mapped 0 -> 0, 10 -> 100; the mean of both when both exist; 50 (neutral) when neither does.
- Score = round(sum(weight x component) / sum(weights)), default weights 0.4 / 0.35 / 0.25.
- Risk level: Green for 75-100, Yellow for 50-74, Red for 0-49.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from crm_module.domain.validation import as_count, as_fraction, round_half_up

RISK_LEVELS = ("Green", "Yellow", "Red")
HEALTHY = 75
MAX_RECOMMENDATIONS = 3


@dataclass
class HealthInputs:
	"""Raw facts about one customer; counts are non-negative integers (``None`` counts as 0)."""

	interactions_30d: int = 0
	interactions_90d: int = 0
	days_since_last_activity: int | None = None
	interaction_types_90d: set[str] | int = field(default_factory=set)
	positive_90d: int = 0
	neutral_90d: int = 0
	negative_90d: int = 0
	open_opportunities: int = 0
	satisfaction_ratings: list[float] = field(default_factory=list)
	nps_scores: list[int] = field(default_factory=list)

	def __post_init__(self):
		for name in (
			"interactions_30d",
			"interactions_90d",
			"positive_90d",
			"neutral_90d",
			"negative_90d",
			"open_opportunities",
		):
			setattr(self, name, as_count(name, getattr(self, name)))
		if self.days_since_last_activity is not None:
			as_count("days_since_last_activity", self.days_since_last_activity)
		if isinstance(self.interaction_types_90d, int):
			as_count("interaction_types_90d", self.interaction_types_90d)
		elif isinstance(self.interaction_types_90d, Iterable) and not isinstance(
			self.interaction_types_90d, str
		):
			self.interaction_types_90d = {str(t).strip().lower() for t in self.interaction_types_90d if t}
		else:
			raise ValueError("interaction_types_90d must be a set of types or a count")
		self.satisfaction_ratings = [
			float(as_fraction("satisfaction_ratings", r)) for r in self.satisfaction_ratings or []
		]
		if any(not 1 <= r <= 5 for r in self.satisfaction_ratings):
			raise ValueError("satisfaction_ratings must be between 1 and 5")
		self.nps_scores = [as_fraction("nps_scores", s) for s in self.nps_scores or []]
		if any(not 0 <= s <= 10 for s in self.nps_scores):
			raise ValueError("nps_scores must be between 0 and 10")
		self.nps_scores = [float(s) for s in self.nps_scores]

	@property
	def distinct_types(self) -> int:
		t = self.interaction_types_90d
		return t if isinstance(t, int) else len(t)

	def key(self) -> tuple:
		"""Everything `compute_health` reads: equal keys give equal results (so a batch computes each
		distinct combination once)."""
		return (
			self.interactions_30d,
			self.interactions_90d,
			self.days_since_last_activity,
			self.distinct_types,
			self.positive_90d,
			self.neutral_90d,
			self.negative_90d,
			self.open_opportunities,
			tuple(self.satisfaction_ratings),
			tuple(self.nps_scores),
		)


def _component(parts: dict[str, Fraction]) -> int:
	return max(0, min(100, round_half_up(sum(parts.values()))))


def _recency(days: int | None, points: int, horizon: int) -> Fraction:
	return Fraction(0) if days is None else points * max(Fraction(0), 1 - Fraction(days, horizon))


def engagement_parts(inputs: HealthInputs) -> dict[str, Fraction]:
	"""Exact engagement sub-parts: frequency (0-40), recency (0-40), type_mix (0-10), sentiment (0-10)."""
	rated = inputs.positive_90d + inputs.neutral_90d + inputs.negative_90d
	if rated:
		sentiment = max(
			Fraction(0), min(Fraction(10), Fraction(10 * (inputs.positive_90d - inputs.negative_90d), rated))
		)
	else:
		sentiment = Fraction(5)
	return {
		"frequency": Fraction(40 * min(inputs.interactions_90d, 12), 12),
		"recency": _recency(inputs.days_since_last_activity, 40, 60),
		"type_mix": Fraction(10 * min(inputs.distinct_types, 4), 4),
		"sentiment": sentiment,
	}


def activity_parts(inputs: HealthInputs) -> dict[str, Fraction]:
	"""Exact activity sub-parts: recency (0-50), last_30d (0-25), last_90d (0-15), opportunities (0-10)."""
	return {
		"recency": _recency(inputs.days_since_last_activity, 50, 90),
		"last_30d": Fraction(25 * min(inputs.interactions_30d, 6), 6),
		"last_90d": Fraction(15 * min(inputs.interactions_90d, 15), 15),
		"opportunities": Fraction(10 * min(inputs.open_opportunities, 2), 2),
	}


PART_MAX = {
	"engagement": {"frequency": 40, "recency": 40, "type_mix": 10, "sentiment": 10},
	"activity": {"recency": 50, "last_30d": 25, "last_90d": 15, "opportunities": 10},
}


def engagement_component(inputs: HealthInputs) -> int:
	return _component(engagement_parts(inputs))


def activity_component(inputs: HealthInputs) -> int:
	return _component(activity_parts(inputs))


def _mean(values: list[float]) -> Fraction | None:
	return sum((Fraction(str(v)) for v in values), Fraction(0)) / len(values) if values else None


def satisfaction_component(inputs: HealthInputs) -> int:
	avg_rating, avg_nps = _mean(inputs.satisfaction_ratings), _mean(inputs.nps_scores)
	mapped = []
	if avg_rating is not None:
		mapped.append((avg_rating - 1) * 25)
	if avg_nps is not None:
		mapped.append(avg_nps * 10)
	return _component({"satisfaction": sum(mapped) / len(mapped) if mapped else Fraction(50)})


@dataclass(frozen=True)
class HealthWeights:
	engagement: float = 0.4
	activity: float = 0.35
	satisfaction: float = 0.25

	def __post_init__(self):
		for name in ("engagement", "activity", "satisfaction"):
			if as_fraction(f"weights.{name}", getattr(self, name)) < 0:
				raise ValueError(f"weights.{name} must not be negative")
		if self.engagement + self.activity + self.satisfaction <= 0:
			raise ValueError("weights must sum to more than 0")

	def normalized(self) -> dict[str, Fraction]:
		"""Return the weights as exact fractions summing to 1."""
		ws = {n: Fraction(str(getattr(self, n))) for n in ("engagement", "activity", "satisfaction")}
		total = sum(ws.values())
		return {n: w / total for n, w in ws.items()}


def risk_level(score: int) -> str:
	"""Green for 75-100, Yellow for 50-74, Red for 0-49."""
	s = as_fraction("score", score)
	if not 0 <= s <= 100:
		raise ValueError("score must be between 0 and 100")
	return "Green" if s >= 75 else "Yellow" if s >= 50 else "Red"


@dataclass(frozen=True)
class HealthResult:
	score: int
	engagement: int
	activity: int
	satisfaction: int
	risk_level: str
	factors: dict
	recommendations: list[str]


def _recommendation(key: str, inputs: HealthInputs) -> str | None:
	days = inputs.days_since_last_activity
	if key == "recency":
		if days is None:
			return "No recorded interactions: schedule an introductory call."
		return f"No interaction in {days} days: schedule a check-in call."
	if key == "frequency":
		count = f"Only {inputs.interactions_90d}" if inputs.interactions_90d else "No"
		return f"{count} interactions in the last 90 days: plan regular touchpoints (about one a week)."
	if key == "type_mix":
		return f"Contact used {inputs.distinct_types} interaction type(s) in 90 days: mix in calls, emails and meetings."
	if key == "sentiment":
		if inputs.negative_90d and inputs.negative_90d >= inputs.positive_90d:
			return (
				"Sentiment trending negative: review recent negative interactions and address open concerns."
			)
		return None
	if key == "opportunities":
		return "No open opportunities: look for upsell, cross-sell or renewal opportunities."
	if key == "satisfaction":
		if not inputs.satisfaction_ratings and not inputs.nps_scores:
			return "No satisfaction feedback recorded: send a satisfaction survey."
		return "Low satisfaction scores: contact the customer to understand and resolve their concerns."
	return None


SHARED_KEYS = {"last_30d": "frequency", "last_90d": "frequency"}


PRIORITY = ("recency", "sentiment", "frequency", "satisfaction", "opportunities", "type_mix")


def recommendations(
	inputs: HealthInputs, components: dict[str, int], weights: HealthWeights | None = None
) -> list[str]:
	"""Plain-English actions for weak factors, at most 3.

	Only components below 75 are considered, and within them only sub-parts below 75% of their maximum
	(satisfaction counts as one part). Each part's impact is the health points it could recover,
	``normalized weight x (part maximum - part value)``; parts sharing an action (engagement and activity
	recency; interaction counts) add up. Actions are ordered by impact, ties by ``PRIORITY``."""
	w = (weights or HealthWeights()).normalized()
	impact: dict[str, Fraction] = {}
	for name in ("engagement", "activity"):
		if components[name] >= HEALTHY:
			continue
		parts = engagement_parts(inputs) if name == "engagement" else activity_parts(inputs)
		for part, value in parts.items():
			top = PART_MAX[name][part]
			if value / top < Fraction(HEALTHY, 100):
				key = SHARED_KEYS.get(part, part)
				impact[key] = impact.get(key, Fraction(0)) + w[name] * (top - value)
	if components["satisfaction"] < HEALTHY:
		impact["satisfaction"] = w["satisfaction"] * (100 - components["satisfaction"])
	out: list[str] = []
	for key in sorted(impact, key=lambda k: (-impact[k], PRIORITY.index(k))):
		text = _recommendation(key, inputs)
		if text:
			out.append(text)
		if len(out) == MAX_RECOMMENDATIONS:
			break
	return out


def compute_health(inputs: HealthInputs, weights: HealthWeights | None = None) -> HealthResult:
	"""Compute the health score, its components, risk level, factors and recommendations."""
	weights = weights or HealthWeights()
	components = {
		"engagement": engagement_component(inputs),
		"activity": activity_component(inputs),
		"satisfaction": satisfaction_component(inputs),
	}
	w = weights.normalized()
	score = max(0, min(100, round_half_up(sum(w[n] * c for n, c in components.items()))))
	avg_rating, avg_nps = _mean(inputs.satisfaction_ratings), _mean(inputs.nps_scores)
	factors = {
		"engagement": {
			"score": components["engagement"],
			**{k: round(float(v), 2) for k, v in engagement_parts(inputs).items()},
		},
		"activity": {
			"score": components["activity"],
			**{k: round(float(v), 2) for k, v in activity_parts(inputs).items()},
		},
		"satisfaction": {
			"score": components["satisfaction"],
			"average_rating": None if avg_rating is None else round(float(avg_rating), 2),
			"average_nps": None if avg_nps is None else round(float(avg_nps), 2),
		},
		"weights": {n: round(float(v), 4) for n, v in w.items()},
	}
	return HealthResult(
		score=score,
		risk_level=risk_level(score),
		factors=factors,
		recommendations=recommendations(inputs, components, weights),
		**components,
	)


def trend(current: int, value_7d_ago: int | None, value_30d_ago: int | None) -> dict[str, int | None]:
	"""Return ``{"delta_7d": current - value_7d_ago, "delta_30d": current - value_30d_ago}`` (``None`` when
	the earlier value is missing)."""
	return {
		"delta_7d": None if value_7d_ago is None else current - value_7d_ago,
		"delta_30d": None if value_30d_ago is None else current - value_30d_ago,
	}


def crossed_into_red(previous_risk: str | None, new_risk: str) -> bool:
	"""True when ``new_risk`` is Red and ``previous_risk`` is not Red (a first score counts: ``None``)."""
	for name, value in (("previous_risk", previous_risk), ("new_risk", new_risk)):
		if value is not None and value not in RISK_LEVELS:
			raise ValueError(f"{name} must be one of Green, Yellow, Red, got {value!r}")
	if new_risk is None:
		raise ValueError("new_risk is required")
	return new_risk == "Red" and previous_risk != "Red"
