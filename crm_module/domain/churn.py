"""Customer churn prediction: an L2-regularised logistic regression over a customer's recent history.

Definitions:

- Facts of a customer on a day (``FEATURES``; a missing fact takes the value in ``DEFAULTS``):
  ``days_since_last_interaction`` (capped at 365), ``interactions_90d``, ``health_score`` (0-100),
  ``health_change_30d`` (points since 30 days earlier), ``open_opportunities``, ``won_365d`` and
  ``lost_365d`` (opportunities closed in the last year), ``satisfaction`` (average rating 1-5),
  ``negative_share_90d`` (negative interactions / interactions with a sentiment, 0-1) and ``tenure_days``.
  Counts and days enter as ``ln(1 + x)``.
- Training standardises each input (mean 0, standard deviation 1 over the history; a constant input gets
  standard deviation 1) and fits weights by Newton's method on the log-likelihood with an L2 penalty
  ``LAMBDA x |w|^2 / 2`` (the bias is not penalised), from zero, until no weight moves by more than 1e-6
  or after 25 steps. History rows are ``{"churned": bool, **facts}``; with fewer than ``MIN_HISTORY`` rows
  or fewer than ``MIN_CLASS_ROWS`` in either class there is no model (``None``).
- The churn probability is ``100 / (1 + exp(-(bias + sum w_i z_i)))``, 2 decimals. The *effect* of a fact
  is ``w_i z_i`` (its push on the log-odds against an average customer); the explanation lists the three
  largest effects that raise the risk, in plain words.
"""

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crm_module.domain import logistic
from crm_module.domain.logistic import sigmoid
from crm_module.domain.validation import as_fraction

FEATURES = (
	"days_since_last_interaction",
	"interactions_90d",
	"health_score",
	"health_change_30d",
	"open_opportunities",
	"won_365d",
	"lost_365d",
	"satisfaction",
	"negative_share_90d",
	"tenure_days",
)
DEFAULTS = {"days_since_last_interaction": 365, "health_score": 50, "satisfaction": 3}
LOGGED = frozenset(
	{
		"days_since_last_interaction",
		"interactions_90d",
		"open_opportunities",
		"won_365d",
		"lost_365d",
		"tenure_days",
	}
)
LABELS = {
	"days_since_last_interaction": "no recent interaction",
	"interactions_90d": "few interactions in 90 days",
	"health_score": "low health score",
	"health_change_30d": "health falling over 30 days",
	"open_opportunities": "no open opportunity",
	"won_365d": "nothing won this year",
	"lost_365d": "deals lost this year",
	"satisfaction": "low satisfaction",
	"negative_share_90d": "negative conversations",
	"tenure_days": "a short relationship",
}
MIN_HISTORY = 30
MIN_CLASS_ROWS = 5
LAMBDA = 1.0
MAX_STEPS = 25
MODEL_VERSION = 1


def inputs(facts: Mapping) -> list[float]:
	"""The model's inputs for one customer (see the module docstring), as floats."""
	values = []
	for name in FEATURES:
		raw = facts.get(name)
		value = float(as_fraction(name, DEFAULTS.get(name, 0) if raw is None else raw))
		if name == "days_since_last_interaction":
			value = min(value, 365.0)
		if value < 0 and name != "health_change_30d":
			raise ValueError(f"{name} must not be negative")
		values.append(math.log1p(value) if name in LOGGED else value)
	return values


@dataclass
class Model:
	weights: list[float]
	bias: float
	means: list[float]
	scales: list[float]
	history: int
	churned: int

	def to_dict(self) -> dict:
		return {
			"version": MODEL_VERSION,
			"features": list(FEATURES),
			"weights": self.weights,
			"bias": self.bias,
			"means": self.means,
			"scales": self.scales,
			"history": self.history,
			"churned": self.churned,
		}

	@classmethod
	def from_dict(cls, data: Mapping) -> "Model":
		if data.get("version") != MODEL_VERSION or list(data.get("features") or []) != list(FEATURES):
			raise ValueError("model: stored for another version of the churn model")
		return cls(
			[float(w) for w in data["weights"]],
			float(data["bias"]),
			[float(m) for m in data["means"]],
			[float(s) for s in data["scales"]],
			int(data["history"]),
			int(data["churned"]),
		)


@dataclass(frozen=True)
class Prediction:
	probability: float
	effects: dict[str, float]
	reasons: list[str]


def train(history: Iterable[Mapping]) -> Model | None:
	"""Fit the model on rows ``{"churned": bool, **facts}`` (see the module docstring)."""
	rows = list(history)
	labels = [bool(row.get("churned")) for row in rows]
	churned = sum(labels)
	if len(rows) < MIN_HISTORY or min(churned, len(rows) - churned) < MIN_CLASS_ROWS:
		return None
	fitted = logistic.fit([inputs(row) for row in rows], labels, l2=LAMBDA, max_steps=MAX_STEPS)
	return Model(fitted.weights, fitted.bias, fitted.means, fitted.scales, len(rows), churned)


def predict(model: Model, facts: Mapping) -> Prediction:
	"""The churn probability (0-100) of one customer with the facts that raise it most."""
	x = inputs(facts)
	z = [(value - mean) / scale for value, mean, scale in zip(x, model.means, model.scales, strict=True)]
	effects = {name: w * v for name, w, v in zip(FEATURES, model.weights, z, strict=True)}
	probability = 100 * sigmoid(model.bias + sum(effects.values()))
	raising = sorted((item for item in effects.items() if item[1] > 0), key=lambda item: -item[1])
	return Prediction(
		round(probability, 2),
		{name: round(effect, 4) for name, effect in effects.items()},
		[LABELS[name] for name, _effect in raising[:3]],
	)


def synthetic_customers(n: int, seed: int = 0) -> list[dict]:
	"""Customers whose churn depends on known drivers (for evaluation and tests): silence, falling health,
	lost deals, low satisfaction and negative conversations raise it; open deals and wins lower it. The
	health score is computed from recency and activity only, like the app's, so it sees part of the risk."""
	rng = random.Random(seed)
	customers = []
	for _ in range(n):
		days = min(365, int(rng.expovariate(1 / 60)))
		interactions = max(0, int(rng.gauss(12 - days / 20, 4)))
		health = max(0, min(100, round(85 - days / 4 + 2 * min(interactions, 10) + rng.gauss(0, 8))))
		change = round(rng.gauss(-days / 30, 6))
		open_deals, won, lost = (
			rng.choice((0, 0, 1, 1, 2, 3)),
			rng.choice((0, 0, 1, 2)),
			rng.choice((0, 0, 0, 1, 2)),
		)
		satisfaction = None if rng.random() < 0.3 else round(min(5, max(1, rng.gauss(3.8, 0.9))), 1)
		negative = round(min(1, max(0, rng.gauss(0.15 + 0.1 * lost, 0.12))), 2)
		tenure = int(rng.uniform(30, 2000))
		log_odds = (
			-1.6
			+ 0.012 * days
			- 0.08 * interactions
			- 0.05 * change
			- 0.7 * open_deals
			- 0.5 * won
			+ 0.7 * lost
			- 0.6 * ((satisfaction or 3) - 3)
			+ 2.5 * negative
			- 0.0003 * tenure
		)
		customers.append(
			{
				"days_since_last_interaction": days,
				"interactions_90d": interactions,
				"health_score": health,
				"health_change_30d": change,
				"open_opportunities": open_deals,
				"won_365d": won,
				"lost_365d": lost,
				"satisfaction": satisfaction,
				"negative_share_90d": negative,
				"tenure_days": tenure,
				"churned": rng.random() < sigmoid(log_odds),
			}
		)
	return customers


def evaluate(customers: Sequence[Mapping], test_share: float = 0.3) -> dict:
	"""Train on the first part of `customers`, then the AUC of the model and of the rule-based health score
	(lower health = higher risk) on the rest."""
	from crm_module.domain.predictive import auc

	cut = int(len(customers) * (1 - test_share))
	model = train(customers[:cut])
	if model is None:
		return {"status": "not_enough_history", "history": cut}
	test = customers[cut:]
	labels = [bool(row["churned"]) for row in test]
	return {
		"status": "trained",
		"history": cut,
		"tested": len(test),
		"churn_rate": round(sum(labels) / len(labels), 3),
		"auc_model": round(auc(labels, [predict(model, row).probability for row in test]), 3),
		"auc_health": round(auc(labels, [100 - (row.get("health_score") or 50) for row in test]), 3),
	}
