"""Predictive lead scoring: a categorical naive-Bayes model of lead conversion.

Definitions:

- Each feature value is a category: ``str(value).strip()``, with ``None`` and blanks as ``"(blank)"``.
  Derived features: ``email_type`` (``"free"`` for free-mail domains, ``"corporate"`` otherwise,
  ``"(blank)"`` without email) and ``has_phone`` (``"yes"``/``"no"``).
- Outcome of a history row: ``row[outcome_key]`` when present (truthy = converted); otherwise the lead
  ``status``: Converted is a conversion, Lost or Unqualified is not, and any other status is skipped.
- Training counts, per class (converted / not converted), how often each value of each feature occurs.
  With Laplace smoothing (``alpha = 1``) and ``K`` the number of values seen for a feature plus one (for
  unseen values), ``P(value | class) = (count + alpha) / (class rows + alpha x K)``.
- The *effect* of a feature value is its log-likelihood ratio ``ln P(value | converted) - ln P(value |
  not converted)``; the predicted log-odds is ``ln(converted rows / other rows) + sum of effects`` and the
  probability ``100 / (1 + exp(-log_odds))``, rounded to 2 decimals.
- Training returns ``None`` (not enough history) with fewer than ``MIN_HISTORY`` rows or fewer than
  ``MIN_CLASS_ROWS`` rows in either class.
"""

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from crm_module.domain.fit_rules import FREE_MAIL_DOMAINS, email_domain, is_set

MIN_HISTORY = 20
MIN_CLASS_ROWS = 5
ALPHA = 1.0
BLANK = "(blank)"
DEFAULT_FEATURES = ("source", "industry", "company_size", "email_type", "has_phone")
MODEL_VERSION = 1


def feature_value(lead: Mapping, feature: str) -> str:
	"""Return the category of ``feature`` for ``lead`` (see the module docstring)."""
	if feature == "email_type" and "email_type" not in lead:
		domain = email_domain(lead.get("email"))
		return BLANK if domain is None else "free" if domain in FREE_MAIL_DOMAINS else "corporate"
	if feature == "has_phone" and "has_phone" not in lead:
		return "yes" if is_set(lead.get("phone")) else "no"
	value = lead.get(feature)
	return str(value).strip() if is_set(value) else BLANK


def outcome_of(row: Mapping, outcome_key: str = "converted") -> bool | None:
	"""Return whether a history row converted, or ``None`` when it is still open."""
	if outcome_key in row and row[outcome_key] is not None:
		return bool(row[outcome_key])
	status = row.get("status")
	if status == "Converted":
		return True
	if status in ("Lost", "Unqualified"):
		return False
	return None


@dataclass
class Model:
	"""Counts of a trained model: ``counts[feature][value] = [converted, not converted]``."""

	features: list[str]
	positives: int
	negatives: int
	counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)
	alpha: float = ALPHA

	def effect(self, feature: str, value: str) -> float:
		"""Log-likelihood ratio of ``value`` for ``feature``."""
		values = self.counts.get(feature, {})
		k = len(values) + 1
		pos, neg = values.get(value, [0, 0])
		p_pos = (pos + self.alpha) / (self.positives + self.alpha * k)
		p_neg = (neg + self.alpha) / (self.negatives + self.alpha * k)
		return math.log(p_pos) - math.log(p_neg)

	def to_dict(self) -> dict:
		return {
			"version": MODEL_VERSION,
			"features": list(self.features),
			"positives": self.positives,
			"negatives": self.negatives,
			"alpha": self.alpha,
			"counts": {f: {v: list(c) for v, c in vals.items()} for f, vals in self.counts.items()},
		}

	@classmethod
	def from_dict(cls, d: Mapping) -> "Model":
		if not isinstance(d, Mapping) or d.get("version") != MODEL_VERSION:
			raise ValueError("model: unsupported or missing model version")
		try:
			features = [str(f) for f in d["features"]]
			counts = {
				str(f): {str(v): [int(c[0]), int(c[1])] for v, c in vals.items()}
				for f, vals in d["counts"].items()
			}
			model = cls(
				features, int(d["positives"]), int(d["negatives"]), counts, float(d.get("alpha", ALPHA))
			)
		except (KeyError, TypeError, ValueError, IndexError, AttributeError):
			raise ValueError("model: malformed model data")
		if model.positives < 1 or model.negatives < 1 or model.alpha <= 0:
			raise ValueError("model: class counts and alpha must be positive")
		return model


@dataclass(frozen=True)
class Prediction:
	probability: float
	factors: list[dict]


def train(
	history: Iterable[Mapping], features: Sequence[str] = DEFAULT_FEATURES, outcome_key: str = "converted"
) -> Model | None:
	"""Train on closed leads; ``None`` when there is not enough history."""
	if not features:
		raise ValueError("features: at least one feature is required")
	rows = []
	for row in history:
		outcome = outcome_of(row, outcome_key)
		if outcome is not None:
			rows.append((row, outcome))
	positives = sum(1 for _, o in rows if o)
	negatives = len(rows) - positives
	if len(rows) < MIN_HISTORY or min(positives, negatives) < MIN_CLASS_ROWS:
		return None
	counts: dict[str, dict[str, list[int]]] = {f: {} for f in features}
	for row, outcome in rows:
		for f in features:
			pair = counts[f].setdefault(feature_value(row, f), [0, 0])
			pair[0 if outcome else 1] += 1
	return Model(list(features), positives, negatives, counts)


def feature_key(model: Model, lead: Mapping) -> tuple[str, ...]:
	"""The categories `predict` reads of `lead`: equal keys give equal predictions."""
	return tuple(feature_value(lead, f) for f in model.features)


def predict(model: Model, lead: Mapping) -> Prediction:
	"""Predict the conversion probability (0-100) of a lead with its factors sorted by ``|effect|``."""
	log_odds = math.log(model.positives / model.negatives)
	factors = []
	for f in model.features:
		value = feature_value(lead, f)
		effect = model.effect(f, value)
		log_odds += effect
		factors.append({"feature": f, "value": value, "effect": round(effect, 4)})
	factors.sort(key=lambda x: -abs(x["effect"]))
	if log_odds >= 0:
		probability = 100 / (1 + math.exp(-log_odds))
	else:
		probability = 100 * math.exp(log_odds) / (1 + math.exp(log_odds))
	return Prediction(round(probability, 2), factors)


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
	"""Area under the ROC curve by the Mann-Whitney rank sum, ties getting the average rank:
	``(sum of positive ranks - P(P+1)/2) / (P x N)``."""
	if len(labels) != len(scores):
		raise ValueError("scores must have one entry per label")
	positives = sum(1 for label in labels if label)
	negatives = len(labels) - positives
	if not positives or not negatives:
		raise ValueError("labels must contain both positive and negative examples")
	order = sorted(range(len(scores)), key=lambda i: scores[i])
	ranks = [0.0] * len(scores)
	i = 0
	while i < len(order):
		j = i
		while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
			j += 1
		for k in range(i, j + 1):
			ranks[order[k]] = (i + j) / 2 + 1
		i = j + 1
	rank_sum = sum(r for r, label in zip(ranks, labels, strict=True) if label)
	return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


SOURCES = {
	"Referral": 1.2,
	"Website": 0.4,
	"Event": 0.3,
	"Social Media": -0.3,
	"Cold Call": -0.8,
	"Advertisement": -0.4,
}
INDUSTRIES = {
	"Technology": 0.8,
	"Finance": 0.6,
	"Healthcare": 0.2,
	"Manufacturing": 0.0,
	"Retail": -0.8,
	"Education": -1.0,
	"": -0.3,
}
SIZES = {"1-10": -0.9, "11-50": -0.3, "51-200": 0.4, "201-500": 0.7, "501-1000": 0.5, "1000+": 0.2}


def synthetic_leads(n: int, seed: int = 0) -> list[dict]:
	"""Generate ``n`` closed leads whose conversion depends on known effects (``SOURCES``, ``INDUSTRIES``,
	``SIZES``, +0.7 for a corporate email) plus Gaussian noise (sd 0.5) on the log-odds (base -0.6); status
	is Converted or Lost."""
	rng = random.Random(seed)
	free = list(FREE_MAIL_DOMAINS[:4])
	leads = []
	for i in range(n):
		source = rng.choice(list(SOURCES))
		industry = rng.choice(list(INDUSTRIES))
		size = rng.choice(list(SIZES))
		corporate = rng.random() < 0.55
		domain = f"company{rng.randrange(500)}.com" if corporate else rng.choice(free)
		log_odds = -0.6 + SOURCES[source] + INDUSTRIES[industry] + SIZES[size] + (0.7 if corporate else 0.0)
		log_odds += rng.gauss(0, 0.5)
		converted = rng.random() < 1 / (1 + math.exp(-log_odds))
		leads.append(
			{
				"lead_name": f"Lead {i + 1}",
				"source": source,
				"industry": industry or None,
				"company_size": size,
				"email": f"lead{i + 1}@{domain}",
				"phone": f"+1202555{rng.randrange(10000):04d}" if rng.random() < 0.7 else None,
				"status": "Converted" if converted else "Lost",
			}
		)
	return leads
