import math

import pytest

from crm_module.domain import churn


@pytest.fixture(scope="module")
def customers():
	return churn.synthetic_customers(3000, seed=5)


@pytest.fixture(scope="module")
def model(customers):
	return churn.train(customers)


def test_the_model_beats_the_health_score_on_known_drivers():
	result = churn.evaluate(churn.synthetic_customers(6000, seed=1))
	assert result["status"] == "trained"
	assert result["auc_model"] >= 0.80
	assert result["auc_model"] > result["auc_health"] + 0.05


def test_training_recovers_the_direction_of_each_driver(model):
	weights = dict(zip(churn.FEATURES, model.weights, strict=True))
	for raises in ("days_since_last_interaction", "lost_365d", "negative_share_90d"):
		assert weights[raises] > 0, raises
	for lowers in ("interactions_90d", "open_opportunities", "won_365d", "satisfaction", "health_change_30d"):
		assert weights[lowers] < 0, lowers


def test_prediction_is_a_probability_with_reasons_that_raise_it(model):
	silent = {
		"days_since_last_interaction": 300,
		"lost_365d": 2,
		"negative_share_90d": 0.8,
		"satisfaction": 1.5,
	}
	busy = {"days_since_last_interaction": 2, "interactions_90d": 25, "open_opportunities": 3, "won_365d": 2}
	risky, safe = churn.predict(model, silent), churn.predict(model, busy)
	assert 0 <= safe.probability < risky.probability <= 100
	raising = sorted((e, n) for n, e in risky.effects.items() if e > 0)[::-1]
	assert risky.reasons == [churn.LABELS[name] for _effect, name in raising[:3]]
	assert "negative conversations" in risky.reasons  # 80 % negative: the strongest push here
	log_odds = model.bias + sum(risky.effects.values())
	assert risky.probability == pytest.approx(100 / (1 + math.exp(-log_odds)), abs=0.01)


def test_missing_facts_take_the_defaults(model):
	assert churn.inputs({}) == churn.inputs(
		{"days_since_last_interaction": 365, "health_score": 50, "satisfaction": 3}
	)
	assert churn.inputs({"days_since_last_interaction": 9999}) == churn.inputs(
		{"days_since_last_interaction": 365}
	)


def test_not_enough_history_gives_no_model(customers):
	assert churn.train(customers[: churn.MIN_HISTORY - 1]) is None
	one_class = [row for row in customers if not row["churned"]][:100]
	assert churn.train(one_class) is None


def test_the_model_survives_storage(model, customers):
	stored = churn.Model.from_dict(model.to_dict())
	assert churn.predict(stored, customers[0]) == churn.predict(model, customers[0])
	with pytest.raises(ValueError, match="model"):
		churn.Model.from_dict({**model.to_dict(), "version": 0})


@pytest.mark.parametrize(
	"facts,field",
	[({"interactions_90d": -1}, "interactions_90d"), ({"satisfaction": "high"}, "satisfaction")],
)
def test_bad_facts_name_the_field(facts, field):
	with pytest.raises(ValueError, match=field):
		churn.inputs(facts)


def test_training_is_deterministic(customers):
	assert churn.train(customers).to_dict() == churn.train(customers).to_dict()
