import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.fit_rules import fit_score
from crm_module.domain.predictive import (
	MIN_HISTORY,
	Model,
	auc,
	feature_value,
	outcome_of,
	predict,
	synthetic_leads,
	train,
)


def history(a_pos=8, a_neg=2, b_pos=2, b_neg=8):
	rows = []
	for source, pos, neg in (("A", a_pos, a_neg), ("B", b_pos, b_neg)):
		rows += [{"source": source, "converted": True}] * pos + [{"source": source, "converted": False}] * neg
	return rows


def test_hand_computed_model():
	m = train(history(), ["source"])
	# K = 2 seen values + 1 = 3; P(A|conv) = (8 + 1)/(10 + 3) = 9/13; P(A|not) = (2 + 1)/13 = 3/13
	# effect = ln 3 = 1.0986; prior ln(10/10) = 0; probability = 100 x 3/4 = 75
	p = predict(m, {"source": "A"})
	assert p.probability == 75.0
	assert p.factors == [{"feature": "source", "value": "A", "effect": round(math.log(3), 4)}]
	assert predict(m, {"source": "B"}).probability == 25.0
	assert predict(m, {"source": "C"}).probability == 50.0  # unseen: (0 + 1)/13 both ways
	assert predict(m, {}).factors[0]["value"] == "(blank)"


def test_prior_counts():
	# 12 converted / 8 not: prior ln(12/8); with no informative feature probability = 60
	rows = [{"x": "same", "converted": True}] * 12 + [{"x": "same", "converted": False}] * 8
	m = train(rows, ["x"])
	# effect of "same": ln((12 + 1)/(12 + 2)) - ln((8 + 1)/(8 + 2)) = ln(13/14) - ln(9/10)
	expected = 1 / (1 + math.exp(-(math.log(12 / 8) + math.log(13 / 14) - math.log(9 / 10))))
	assert predict(m, {"x": "same"}).probability == round(100 * expected, 2)


def test_not_enough_history():
	assert train(history()[: MIN_HISTORY - 1], ["source"]) is None  # 19 rows
	assert train(history(8, 8, 0, 4), ["source"]) is not None  # 20 rows, 8 / 12
	assert train(history(2, 8, 2, 8), ["source"]) is None  # 4 converted < 5
	assert train(history(10, 2, 6, 2), ["source"]) is None  # 4 not converted < 5


def test_outcome_and_status():
	assert outcome_of({"status": "Converted"}) is True
	assert outcome_of({"status": "Lost"}) is False
	assert outcome_of({"status": "Unqualified"}) is False
	assert outcome_of({"status": "Qualified"}) is None
	assert outcome_of({"converted": 0, "status": "Converted"}) is False
	rows = (
		[{"source": "A", "status": "Converted"}] * 10
		+ [{"source": "B", "status": "Lost"}] * 10
		+ [{"source": "C", "status": "New"}] * 50
	)
	m = train(rows, ["source"])
	assert (m.positives, m.negatives) == (10, 10) and "C" not in m.counts["source"]


def test_features():
	lead = {"email": "x@GMAIL.com", "phone": " ", "industry": None, "source": " Web "}
	assert feature_value(lead, "email_type") == "free"
	assert feature_value({"email": "x@acme.io"}, "email_type") == "corporate"
	assert feature_value({}, "email_type") == "(blank)"
	assert feature_value(lead, "has_phone") == "no"
	assert feature_value(lead, "industry") == "(blank)"
	assert feature_value(lead, "source") == "Web"
	with pytest.raises(ValueError, match="features"):
		train(history(), [])


def test_serialisation_round_trip():
	m = train(synthetic_leads(200, seed=3))
	again = Model.from_dict(json.loads(json.dumps(m.to_dict())))
	assert again == m
	lead = synthetic_leads(1, seed=9)[0]
	assert predict(again, lead) == predict(m, lead)


@pytest.mark.parametrize(
	"bad",
	[
		{},
		{"version": 99},
		{"version": 1, "features": ["a"]},
		{"version": 1, "features": [], "positives": 0, "negatives": 3, "counts": {}},
		"x",
	],
)
def test_from_dict_errors(bad):
	with pytest.raises(ValueError, match="model"):
		Model.from_dict(bad)


def test_factors_sorted_by_absolute_effect():
	m = train(synthetic_leads(500, seed=5))
	p = predict(
		m, {"source": "Referral", "industry": "Retail", "company_size": "201-500", "email": "a@b.com"}
	)
	effects = [abs(f["effect"]) for f in p.factors]
	assert effects == sorted(effects, reverse=True)
	assert {f["feature"] for f in p.factors} == {
		"source",
		"industry",
		"company_size",
		"email_type",
		"has_phone",
	}


def test_auc_fixed_cases():
	assert auc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0
	assert auc([True, True, False, False], [0.1, 0.2, 0.8, 0.9]) == 0.0
	assert auc([True, False, True, False], [5, 5, 5, 5]) == 0.5
	# positives {0.9, 0.3}, negatives {0.8, 0.1}: 0.9 > both, 0.3 > 0.1 only -> 3 / 4
	assert auc([True, False, True, False], [0.9, 0.8, 0.3, 0.1]) == 0.75
	# one tie counts half: positives {2, 1}, negatives {1}: 1 + 0.5 -> 0.75
	assert auc([True, True, False], [2, 1, 1]) == 0.75


def test_auc_errors():
	with pytest.raises(ValueError, match="scores"):
		auc([True, False], [1])
	with pytest.raises(ValueError, match="labels"):
		auc([True, True], [1, 2])


def test_synthetic_leads():
	a = synthetic_leads(50, seed=7)
	assert a == synthetic_leads(50, seed=7) and a != synthetic_leads(50, seed=8)
	assert set(a[0]) >= {"source", "industry", "company_size", "email", "phone", "status"}
	assert {r["status"] for r in synthetic_leads(300, 1)} == {"Converted", "Lost"}


def test_naive_bayes_beats_chance_on_held_out_leads():
	leads = synthetic_leads(2000, seed=1)
	train_rows, test_rows = leads[:1400], leads[1400:]
	model = train(train_rows)
	labels = [r["status"] == "Converted" for r in test_rows]
	model_auc = auc(labels, [predict(model, r).probability for r in test_rows])
	rules_auc = auc(labels, [fit_score(r)[0] for r in test_rows])
	assert model_auc > 0.7
	assert model_auc > rules_auc


labelled = st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=40).filter(
	lambda xs: any(label for label, _ in xs) and not all(label for label, _ in xs)
)


@given(labelled)
def test_auc_matches_pairwise_definition(pairs):
	labels = [label for label, _ in pairs]
	scores = [score for _, score in pairs]
	pos = [s for label, s in pairs if label]
	neg = [s for label, s in pairs if not label]
	pairwise = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg) / (len(pos) * len(neg))
	assert auc(labels, scores) == pytest.approx(pairwise)
	assert auc(labels, scores) + auc(labels, [-s for s in scores]) == pytest.approx(1.0)


@given(st.integers(0, 10**6))
def test_predictions_are_probabilities(seed):
	m = train(synthetic_leads(60, seed=seed))
	if m is not None:
		for lead in synthetic_leads(5, seed=seed + 1):
			assert 0 <= predict(m, lead).probability <= 100


def test_equal_feature_keys_give_equal_predictions():
	from crm_module.domain.predictive import feature_key

	model = train(synthetic_leads(300, seed=5))
	leads = synthetic_leads(400, seed=6)
	by_key = {}
	for lead in leads:
		by_key.setdefault(feature_key(model, lead), []).append(predict(model, lead))
	assert len(by_key) < len(leads)  # leads share their features
	for predictions in by_key.values():
		assert all(p == predictions[0] for p in predictions)
