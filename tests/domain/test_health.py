import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.health import (
	HealthInputs,
	HealthWeights,
	activity_component,
	compute_health,
	crossed_into_red,
	engagement_component,
	risk_level,
	satisfaction_component,
	trend,
)


def test_engagement_component():
	i = HealthInputs(
		interactions_90d=6,
		days_since_last_activity=15,
		interaction_types_90d={"Call", "email"},
		positive_90d=3,
		neutral_90d=1,
	)
	# frequency 40 x 6/12 = 20; recency 40 x (1 - 15/60) = 30; mix 10 x 2/4 = 5; sentiment 10 x 3/4 = 7.5
	# 62.5 -> 63 (half up)
	assert engagement_component(i) == 63
	assert engagement_component(HealthInputs()) == 5  # only the neutral sentiment default of 5
	assert engagement_component(HealthInputs(negative_90d=2, positive_90d=1)) == 0  # sentiment clamps to 0
	full = HealthInputs(
		interactions_90d=30, days_since_last_activity=0, interaction_types_90d=6, positive_90d=1
	)
	assert engagement_component(full) == 100  # 40 + 40 + 10 + 10
	assert engagement_component(HealthInputs(days_since_last_activity=60)) == 5  # recency 0 at 60 days


def test_activity_component():
	i = HealthInputs(
		days_since_last_activity=30, interactions_30d=3, interactions_90d=9, open_opportunities=1
	)
	# 50 x (1 - 30/90) = 33.33; 25 x 3/6 = 12.5; 15 x 9/15 = 9; 10 x 1/2 = 5 -> 59.83 -> 60
	assert activity_component(i) == 60
	assert activity_component(HealthInputs()) == 0
	assert (
		activity_component(
			HealthInputs(
				days_since_last_activity=0, interactions_30d=9, interactions_90d=20, open_opportunities=5
			)
		)
		== 100
	)


@pytest.mark.parametrize(
	"ratings,nps,expected",
	[
		([4, 5], [], 88),  # avg 4.5 -> (4.5 - 1) x 25 = 87.5 -> 88
		([], [7, 8], 75),  # avg 7.5 x 10
		([4, 5], [7, 8], 81),  # (87.5 + 75) / 2 = 81.25
		([], [], 50),  # neutral
		([1], [], 0),
		([5], [], 100),
		([], [10], 100),
		([], [0], 0),
		([2.5], [], 38),  # 1.5 x 25 = 37.5 -> 38
	],
)
def test_satisfaction_component(ratings, nps, expected):
	assert satisfaction_component(HealthInputs(satisfaction_ratings=ratings, nps_scores=nps)) == expected


FULL = HealthInputs(
	interactions_30d=3,
	interactions_90d=9,
	days_since_last_activity=30,
	interaction_types_90d={"call", "email", "meeting"},
	positive_90d=4,
	neutral_90d=1,
	negative_90d=1,
	open_opportunities=1,
	satisfaction_ratings=[4, 5],
	nps_scores=[7, 8],
)


def test_compute_health():
	r = compute_health(FULL, HealthWeights())
	# engagement: 40 x 9/12 = 30; 40 x 0.5 = 20; 10 x 3/4 = 7.5; 10 x (4 - 1)/6 = 5 -> 62.5 -> 63
	# activity: 33.33 + 12.5 + 9 + 5 = 59.83 -> 60; satisfaction 81.25 -> 81
	# score 0.4 x 63 + 0.35 x 60 + 0.25 x 81 = 25.2 + 21 + 20.25 = 66.45 -> 66
	assert (r.engagement, r.activity, r.satisfaction, r.score, r.risk_level) == (63, 60, 81, 66, "Yellow")
	assert r.factors["engagement"] == {
		"score": 63,
		"frequency": 30.0,
		"recency": 20.0,
		"type_mix": 7.5,
		"sentiment": 5.0,
	}
	assert r.factors["activity"]["recency"] == 33.33
	assert r.factors["satisfaction"] == {"score": 81, "average_rating": 4.5, "average_nps": 7.5}
	assert r.factors["weights"] == {"engagement": 0.4, "activity": 0.35, "satisfaction": 0.25}
	assert 1 <= len(r.recommendations) <= 3


def test_custom_weights():
	assert compute_health(FULL, HealthWeights(1, 0, 0)).score == 63
	assert compute_health(FULL, HealthWeights(2, 2, 0)).score == 62  # (63 + 60) / 2 = 61.5 -> 62
	assert HealthWeights(4, 3.5, 2.5).normalized() == HealthWeights().normalized()
	assert sum(HealthWeights(1, 2, 3).normalized().values()) == 1


@pytest.mark.parametrize(
	"kwargs,fragment",
	[
		({"activity": -0.1}, "weights.activity"),
		({"engagement": 0, "activity": 0, "satisfaction": 0}, "weights"),
		({"satisfaction": "x"}, "weights.satisfaction"),
	],
)
def test_weight_errors(kwargs, fragment):
	with pytest.raises(ValueError, match=fragment):
		HealthWeights(**kwargs)


@pytest.mark.parametrize(
	"score,level", [(100, "Green"), (75, "Green"), (74, "Yellow"), (50, "Yellow"), (49, "Red"), (0, "Red")]
)
def test_risk_level_boundaries(score, level):
	assert risk_level(score) == level


@pytest.mark.parametrize("bad", [-1, 101, "x", None])
def test_risk_level_errors(bad):
	with pytest.raises(ValueError, match="score"):
		risk_level(bad)


@pytest.mark.parametrize(
	"kwargs,field",
	[
		({"interactions_30d": -1}, "interactions_30d"),
		({"interactions_90d": 2.5}, "interactions_90d"),
		({"negative_90d": -3}, "negative_90d"),
		({"open_opportunities": "2"}, "open_opportunities"),
		({"days_since_last_activity": -1}, "days_since_last_activity"),
		({"interaction_types_90d": "call"}, "interaction_types_90d"),
		({"interaction_types_90d": -1}, "interaction_types_90d"),
		({"satisfaction_ratings": [6]}, "satisfaction_ratings"),
		({"satisfaction_ratings": [0.5]}, "satisfaction_ratings"),
		({"satisfaction_ratings": ["good"]}, "satisfaction_ratings"),
		({"nps_scores": [11]}, "nps_scores"),
		({"nps_scores": [-1]}, "nps_scores"),
	],
)
def test_input_errors(kwargs, field):
	with pytest.raises(ValueError, match=field):
		HealthInputs(**kwargs)


def test_no_recommendations_when_healthy():
	healthy = HealthInputs(30, 30, 0, 4, 5, 0, 0, 2, [5], [10])
	r = compute_health(healthy)
	assert (r.score, r.risk_level, r.recommendations) == (100, "Green", [])


def test_recommendations_for_a_quiet_customer():
	quiet = HealthInputs(
		interactions_30d=1,
		interactions_90d=3,
		days_since_last_activity=45,
		interaction_types_90d={"email"},
		positive_90d=1,
		negative_90d=2,
	)
	r = compute_health(quiet)
	assert r.risk_level == "Red"
	assert len(r.recommendations) == 3
	assert "No interaction in 45 days: schedule a check-in call." in r.recommendations
	assert "No satisfaction feedback recorded: send a satisfaction survey." in r.recommendations


def test_recommendations_for_negative_sentiment():
	# engagement 40 + 26.67 + 5 + 0 = 71.67 -> 72 (< 75); activity 38.89 + 25 + 12 + 10 -> 86; satisfaction 100
	# impacts: recency 0.4 x 13.33 = 5.33, sentiment 0.4 x 10 = 4, type mix 0.4 x 5 = 2
	i = HealthInputs(6, 12, 20, {"call", "email"}, 0, 0, 5, 2, [5], [])
	r = compute_health(i)
	assert (r.engagement, r.activity, r.satisfaction) == (72, 86, 100)
	assert r.recommendations[0] == "No interaction in 20 days: schedule a check-in call."
	assert r.recommendations[1].startswith("Sentiment trending negative:")
	assert "interaction type" in r.recommendations[2]


def test_recommendations_never_target_a_healthy_factor():
	# satisfaction 0 is the only weak factor; engagement and activity are 100
	i = HealthInputs(30, 30, 0, 4, 5, 0, 0, 2, [1], [])
	r = compute_health(i)
	assert r.recommendations == [
		"Low satisfaction scores: contact the customer to understand and resolve their concerns."
	]


def test_no_activity_at_all():
	r = compute_health(HealthInputs())
	# impacts: recency 0.4 x 40 + 0.35 x 50 = 33.5; counts 0.4 x 40 + 0.35 x (25 + 15) = 30; satisfaction 12.5
	assert r.recommendations == [
		"No recorded interactions: schedule an introductory call.",
		"No interactions in the last 90 days: plan regular touchpoints (about one a week).",
		"No satisfaction feedback recorded: send a satisfaction survey.",
	]


def test_trend():
	assert trend(70, 65, None) == {"delta_7d": 5, "delta_30d": None}
	assert trend(70, None, 80) == {"delta_7d": None, "delta_30d": -10}


@pytest.mark.parametrize(
	"prev,new,expected",
	[
		(None, "Red", True),
		("Yellow", "Red", True),
		("Green", "Red", True),
		("Red", "Red", False),
		("Red", "Yellow", False),
		("Green", "Yellow", False),
		(None, "Green", False),
	],
)
def test_crossed_into_red(prev, new, expected):
	assert crossed_into_red(prev, new) is expected


def test_crossed_into_red_errors():
	with pytest.raises(ValueError, match="previous_risk"):
		crossed_into_red("Blue", "Red")
	with pytest.raises(ValueError, match="new_risk"):
		crossed_into_red(None, "Purple")
	with pytest.raises(ValueError, match="new_risk"):
		crossed_into_red("Red", None)


n = st.integers(min_value=0, max_value=60)
inputs = st.builds(
	HealthInputs,
	interactions_30d=n,
	interactions_90d=n,
	days_since_last_activity=st.none() | st.integers(0, 400),
	interaction_types_90d=st.integers(0, 8)
	| st.sets(st.sampled_from(["call", "email", "meeting", "chat", "visit"])),
	positive_90d=n,
	neutral_90d=n,
	negative_90d=n,
	open_opportunities=st.integers(0, 5),
	satisfaction_ratings=st.lists(st.floats(1, 5), max_size=5),
	nps_scores=st.lists(st.integers(0, 10), max_size=5),
)
weights = st.builds(HealthWeights, st.floats(0, 5), st.floats(0, 5), st.floats(0.01, 5))


@given(inputs, weights)
def test_bounds(i, w):
	r = compute_health(i, w)
	for v in (r.score, r.engagement, r.activity, r.satisfaction):
		assert isinstance(v, int) and 0 <= v <= 100
	assert r.risk_level == risk_level(r.score)
	assert len(r.recommendations) <= 3
	if min(r.engagement, r.activity, r.satisfaction) >= 75:
		assert r.recommendations == []


@given(inputs, st.integers(1, 100))
def test_more_days_never_raise_health(i, extra):
	if i.days_since_last_activity is None:
		i.days_since_last_activity = 0
	later = HealthInputs(**{**vars(i), "days_since_last_activity": i.days_since_last_activity + extra})
	assert engagement_component(later) <= engagement_component(i)
	assert activity_component(later) <= activity_component(i)
	assert compute_health(later).score <= compute_health(i).score


@given(inputs)
def test_more_positives_never_lower_engagement(i):
	more = HealthInputs(**{**vars(i), "positive_90d": i.positive_90d + 1})
	if i.positive_90d + i.neutral_90d + i.negative_90d:
		assert engagement_component(more) >= engagement_component(i)
	more_interactions = HealthInputs(**{**vars(i), "interactions_90d": i.interactions_90d + 1})
	assert engagement_component(more_interactions) >= engagement_component(i)
