import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.lead_scoring import (
	DEFAULT_FIT_RULES,
	FitRule,
	ScoringConfig,
	activity_score,
	compute_lead_score,
	engagement_parts,
	engagement_score,
	explicit_scores,
	fit_score,
	grade_for,
	total_score,
	validate_component,
	validate_grade,
	validate_thresholds,
	validate_weights,
)

component = st.integers(min_value=0, max_value=100)
weight = st.floats(min_value=0, max_value=10, allow_nan=False)


def test_seed_example():
	assert total_score(85, 75, 90) == 250  # 3 x 250 / 3
	assert grade_for(250) == "A"


def test_weighted_total():
	assert total_score(85, 75, 90, (2, 1, 1)) == 251  # 3 x (170 + 75 + 90) / 4 = 251.25
	assert total_score(85, 75, 90, (1, 0, 0)) == 255  # 3 x 85
	assert total_score(85, 75, 90, (1, 1, 0)) == 240  # 3 x 160 / 2
	assert total_score(1, 0, 0, (1, 1, 0)) == 2  # 3 x 1 / 2 = 1.5 -> half up
	assert total_score(85, 75, 90, {"engagement": 0, "fit": 1, "activity": 0}) == 225
	assert total_score(85, 75, 90, (0.5, 0.25, 0.25)) == 251  # same ratios as (2, 1, 1)


@pytest.mark.parametrize(
	"total,grade",
	[(300, "A"), (240, "A"), (239, "B"), (180, "B"), (179, "C"), (120, "C"), (119, "D"), (0, "D")],
)
def test_grade_at_thresholds(total, grade):
	assert grade_for(total) == grade


def test_custom_thresholds():
	t = {"A": 200, "B": 150, "C": 100}
	assert [grade_for(x, t) for x in (200, 199, 150, 100, 99)] == ["A", "B", "B", "C", "D"]


@pytest.mark.parametrize(
	"thresholds,fragment",
	[
		({"A": 180, "B": 240, "C": 120}, "descending"),
		({"A": 240, "B": 240, "C": 120}, "descending"),
		({"A": 301, "B": 180, "C": 120}, "thresholds.A"),
		({"A": 240, "B": -1, "C": 120}, "thresholds.B"),
		({"A": 240, "B": 180}, "thresholds.C"),
		({"A": 240, "B": 180.5, "C": 120}, "thresholds.B"),
		({"A": "240", "B": 180, "C": 120}, "thresholds.A"),
	],
)
def test_threshold_errors(thresholds, fragment):
	with pytest.raises(ValueError, match=fragment):
		validate_thresholds(thresholds)
	with pytest.raises(ValueError, match=fragment):
		grade_for(100, thresholds)


def test_grade_total_errors():
	for bad in (-1, 301, "x"):
		with pytest.raises(ValueError, match="total"):
			grade_for(bad)


@pytest.mark.parametrize("bad", [-1, 101, "50", None, True, float("nan")])
def test_validate_component_errors(bad):
	with pytest.raises(ValueError, match="engagement"):
		validate_component("engagement", bad)


def test_validate_component_rounds():
	assert validate_component("fit", 50.5) == 51
	assert validate_component("fit", 100) == 100


def test_total_score_errors_name_component():
	with pytest.raises(ValueError, match="activity"):
		total_score(10, 10, 101)


def test_validate_grade():
	assert validate_grade("A") == "A"
	assert validate_grade("A", 250) == "A"
	with pytest.raises(ValueError, match="grade"):
		validate_grade("E")
	with pytest.raises(ValueError, match="grade B does not match total 250"):
		validate_grade("B", 250)


@pytest.mark.parametrize(
	"weights,fragment",
	[((1, -1, 1), "weights.fit"), ((0, 0, 0), "weights"), ((1, 1), "three"), ((1, "a", 1), "weights.fit")],
)
def test_weight_errors(weights, fragment):
	with pytest.raises(ValueError, match=fragment):
		validate_weights(weights)


def test_engagement_score():
	stats = {"interactions_90d": 8, "meetings_90d": 2, "positive": 3, "neutral": 1, "negative": 0}
	# volume 5 x 8 = 40; meetings 10 x 2 = 20; sentiment 20 x (3 - 0) / 4 = 15 -> 75
	assert engagement_score(stats) == 75
	assert engagement_parts(stats) == {"volume": 40.0, "meetings": 20.0, "sentiment": 15.0}
	# sentiment 20 x 1 / 3 = 6.67 -> 7
	assert engagement_score({"positive": 1, "neutral": 2}) == 7
	# negative outweighs positive: 20 x (1 - 3) / 4 < 0 -> 0; volume 5 x 4 = 20
	assert engagement_score({"interactions_90d": 4, "positive": 1, "negative": 3}) == 20
	# caps: 5 x min(50, 10) + 10 x min(9, 3) + 20 = 100
	assert engagement_score({"interactions_90d": 50, "meetings_90d": 9, "positive": 10}) == 100
	assert engagement_score({}) == 0


@pytest.mark.parametrize(
	"key", ["interactions_90d", "meetings_90d", "positive", "neutral", "negative", "replies_90d"]
)
def test_engagement_errors(key):
	with pytest.raises(ValueError, match=key):
		engagement_score({key: -1})
	with pytest.raises(ValueError, match=key):
		engagement_score({key: 1.5})


def test_activity_score():
	# recency 50 x (1 - 3/90) = 48.33; 6 x 4 = 24; 2 x 9 = 18 -> 90.33 -> 90
	assert activity_score(3, 4, 9) == 90
	assert activity_score(None, 0, 0) == 0
	assert activity_score(0, 0, 0) == 50
	assert activity_score(45, 0, 0) == 25  # 50 x 0.5
	assert activity_score(1, 0, 0) == 49  # 49.44
	assert activity_score(2, 0, 0) == 49  # 48.89
	assert activity_score(90, 0, 0) == 0
	assert activity_score(400, 9, 30) == 50  # 0 + 30 + 20
	assert activity_score(0, 9, 30) == 100


@pytest.mark.parametrize(
	"args,field",
	[
		((-1, 0, 0), "days_since_last_activity"),
		((1, -1, 0), "count_30d"),
		((1, 0, -2), "count_90d"),
		((1.5, 0, 0), "days"),
	],
)
def test_activity_errors(args, field):
	with pytest.raises(ValueError, match=field):
		activity_score(*args)


GOOD_LEAD = {
	"source": "Referral",
	"email": "jane@Acme.io",
	"company_size": "51-200",
	"industry": "Technology",
	"phone": "+16502530000",
	"employees": 120,
}


def test_default_fit_rules():
	score, matched = fit_score(GOOD_LEAD, DEFAULT_FIT_RULES)
	assert score == 85  # 25 referral + 20 corporate email + 20 size + 10 industry + 10 phone
	assert [m["field"] for m in matched] == ["source", "email_domain", "company_size", "industry", "phone"]
	assert matched[0] == {"field": "source", "operator": "=", "value": "Referral", "points": 25}
	weak = {
		"source": "website",
		"email": "x@gmail.com",
		"company_size": "1-10",
		"industry": " ",
		"phone": None,
	}
	assert fit_score(weak)[0] == 15  # website only; free mail, small, blanks
	assert fit_score({})[0] == 0  # no email: "not in" never matches an unset field


@pytest.mark.parametrize(
	"rule,expected",
	[
		(FitRule("source", "=", "referral"), True),
		(FitRule("source", "!=", "Website"), True),
		(FitRule("missing", "!=", "Website"), False),
		(FitRule("missing", "=", None), True),
		(FitRule("source", "in", ["Website", "REFERRAL"]), True),
		(FitRule("source", "in", "Website, Referral"), True),
		(FitRule("source", "not in", ["Website"]), True),
		(FitRule("industry", "contains", "ECH"), True),
		(FitRule("email", "ends with", "acme.io"), True),
		(FitRule("email_domain", "=", "acme.io"), True),
		(FitRule("employees", ">=", 120), True),
		(FitRule("employees", ">", "120"), False),
		(FitRule("employees", "<", 121), True),
		(FitRule("employees", "<=", 119), False),
		(FitRule("industry", ">=", 1), False),  # not a number
		(FitRule("missing", "<", 5), False),
		(FitRule("phone", "is set"), True),
		(FitRule("phone", "is not set"), False),
		(FitRule("fax", "is not set"), True),
	],
)
def test_fit_operators(rule, expected):
	assert (fit_score(GOOD_LEAD, [FitRule(rule.field, rule.operator, rule.value, 7)])[0] == 7) is expected


def test_fit_clamps():
	assert fit_score(GOOD_LEAD, DEFAULT_FIT_RULES, base=90)[0] == 100  # 90 + 85
	assert fit_score(GOOD_LEAD, [FitRule("source", "is set", None, -50)], base=10)[0] == 0


@pytest.mark.parametrize(
	"kwargs,fragment",
	[
		({"field": "", "operator": "="}, "field"),
		({"field": "x", "operator": "~"}, "operator"),
		({"field": "x", "operator": "=", "points": 101}, "points"),
		({"field": "x", "operator": "=", "points": 1.5}, "points"),
		({"field": "x", "operator": ">", "value": "many"}, "value"),
	],
)
def test_fit_rule_errors(kwargs, fragment):
	with pytest.raises(ValueError, match=fragment):
		FitRule(**kwargs)


def test_fit_base_error():
	with pytest.raises(ValueError, match="fit_base"):
		fit_score({}, [], base=101)


def test_fit_rule_dict_round_trip():
	for rule in DEFAULT_FIT_RULES:
		assert FitRule.from_dict(rule.to_dict()) == rule
	assert FitRule.from_dict({"field": "a", "operator": "=", "value": 1, "points": "-5"}).points == -5
	with pytest.raises(ValueError, match="fit_rules"):
		FitRule.from_dict("nope")


def test_scoring_config():
	default = ScoringConfig.default()
	assert default.weights == (1.0, 1.0, 1.0) and default.thresholds == {"A": 240, "B": 180, "C": 120}
	assert ScoringConfig.from_dict(default.to_dict()) == default
	assert ScoringConfig.from_dict(None) == default
	c = ScoringConfig.from_dict(
		{
			"weights": {"engagement": 2, "fit": 1, "activity": 1},
			"fit_base": 5,
			"fit_rules": [{"field": "source", "operator": "is set", "points": 10}],
		}
	)
	assert (
		c.weights == (2.0, 1.0, 1.0)
		and c.fit_base == 5
		and c.fit_rules == [FitRule("source", "is set", None, 10)]
	)


@pytest.mark.parametrize(
	"d,fragment",
	[
		({"weights": [0, 0, 0]}, "weights"),
		({"weights": [1, -1, 1]}, "weights.fit"),
		({"thresholds": {"A": 1, "B": 2, "C": 3}}, "descending"),
		({"fit_rules": [{"field": "x", "operator": "??"}]}, "operator"),
		({"fit_rules": "source"}, "fit_rules"),
		({"fit_base": 200}, "fit_base"),
		([1, 2], "config"),
	],
)
def test_scoring_config_errors(d, fragment):
	with pytest.raises(ValueError, match=fragment):
		ScoringConfig.from_dict(d)


def test_score_lead():
	stats = {
		"interactions_90d": 8,
		"meetings_90d": 2,
		"positive": 3,
		"neutral": 1,
		"days_since_last_activity": 3,
		"activities_30d": 4,
		"activities_90d": 9,
	}
	r = compute_lead_score(GOOD_LEAD, stats, ScoringConfig.default())
	# engagement 75 (see test_engagement_score), fit 85, activity 90 -> 250 -> A
	assert (r.engagement, r.fit, r.activity, r.total, r.grade) == (75, 85, 90, 250, "A")
	assert r.factors["activity"] == {"recency": 48.33, "frequency_30d": 24.0, "frequency_90d": 18.0}
	assert len(r.factors["fit"]["matched_rules"]) == 5
	assert compute_lead_score({}, {}).grade == "D"


@given(component, component, component, weight, weight, weight)
def test_total_within_bounds(e, f, a, we, wf, wa):
	ws = (we, wf, wa)
	if all(w == 0 for w in ws):
		ws = (1, 1, 1)
	t = total_score(e, f, a, ws)
	assert 0 <= t <= 300
	assert min(e, f, a) * 3 - 1 <= t <= max(e, f, a) * 3 + 1


@given(component, component, component)
def test_equal_weights_is_plain_sum(e, f, a):
	assert total_score(e, f, a) == e + f + a
	assert total_score(e, f, a, (3, 3, 3)) == e + f + a


@given(st.integers(0, 300), st.integers(0, 299))
def test_grade_monotonic(t, u):
	lo, hi = sorted((t, u))
	assert "ABCD".index(grade_for(hi)) <= "ABCD".index(grade_for(lo))


counts = st.integers(min_value=0, max_value=200)


@given(counts, counts, counts, counts, counts)
def test_engagement_bounds_and_monotonic(n, m, p, u, neg):
	stats = {"interactions_90d": n, "meetings_90d": m, "positive": p, "neutral": u, "negative": neg}
	s = engagement_score(stats)
	assert 0 <= s <= 100
	assert engagement_score({**stats, "interactions_90d": n + 1}) >= s
	assert engagement_score({**stats, "positive": p + 1}) >= s
	assert engagement_score({**stats, "meetings_90d": m + 1}) >= s


@given(st.none() | st.integers(0, 1000), counts, counts)
def test_activity_bounds_and_monotonic(days, c30, c90):
	s = activity_score(days, c30, c90)
	assert 0 <= s <= 100
	if days is not None:
		assert activity_score(days + 1, c30, c90) <= s
	assert activity_score(days, c30 + 1, c90) >= s
	assert activity_score(days, c30, c90 + 1) >= s


lead_values = st.one_of(
	st.none(),
	st.sampled_from(["Referral", "website", "a@gmail.com", "b@acme.io", "51-200", "1-10", " ", ""]),
	st.text(alphabet="ab@.-1 ", max_size=12),
	st.integers(-5, 5000),
)


@given(
	st.dictionaries(st.sampled_from(["source", "email", "company_size", "industry", "phone"]), lead_values),
	st.integers(0, 100),
)
def test_fit_bounds(lead, base):
	score, matched = fit_score(lead, DEFAULT_FIT_RULES, base)
	assert 0 <= score <= 100
	assert score == min(100, base + sum(m["points"] for m in matched))


def test_explicit_scores_fill_in_total_and_grade():
	assert explicit_scores({"engagement_score": 85, "fit_score": 75, "activity_score": 90}) == {
		"engagement_score": 85,
		"fit_score": 75,
		"activity_score": 90,
		"total_score": 250,
		"grade": "A",
	}
	weighted = ScoringConfig.from_dict({"weights": [2, 1, 1], "thresholds": {"A": 200, "B": 150, "C": 100}})
	# 3 x (2 x 50 + 100 + 0) / 4 = 150 -> B under these thresholds
	assert explicit_scores(
		{"engagement_score": 50, "fit_score": 100, "activity_score": 0.4, "total_score": 150, "grade": "B"},
		weighted,
	) == {"engagement_score": 50, "fit_score": 100, "activity_score": 0, "total_score": 150, "grade": "B"}


@pytest.mark.parametrize(
	"change,message",
	[
		({"fit_score": 101}, "fit_score must be between 0 and 100"),
		({"fit_score": "high"}, "fit_score must be a number between 0 and 100, got 'high'"),
		({"activity_score": None}, "activity_score must be a number"),
		({"engagement_score": True}, "engagement_score must be a number"),
		({"total_score": 251}, "total_score 251 does not match the components: expected 250"),
		({"grade": "B"}, "grade B does not match total 250"),
		({"grade": "Z"}, "grade must be one of A, B, C, D"),
	],
)
def test_explicit_scores_name_the_field(change, message):
	scores = {"engagement_score": 85, "fit_score": 75, "activity_score": 90} | change
	with pytest.raises(ValueError) as error:
		explicit_scores(scores)
	assert message in str(error.value)


LEAD_VALUES = st.fixed_dictionaries(
	{
		"source": st.sampled_from(["Referral", "Website", "Event", "", None]),
		"email": st.sampled_from(["a@gmail.com", "b@acme.io", "C@ACME.IO", "", None, "x"]),
		"company_size": st.sampled_from(["1-10", "51-200", "1000+", None]),
		"industry": st.sampled_from(["Software", " ", None]),
		"phone": st.sampled_from(["+14155550100", "+14155550101", "", None]),
	}
)
STATS = st.fixed_dictionaries(
	{},
	optional={
		"interactions_90d": st.integers(0, 12),
		"meetings_90d": st.integers(0, 4),
		"positive": st.integers(0, 5),
		"negative": st.integers(0, 5),
		"days_since_last_activity": st.one_of(st.none(), st.integers(0, 120)),
		"activities_30d": st.integers(0, 6),
		"activities_90d": st.integers(0, 12),
	},
)


@given(LEAD_VALUES, STATS, LEAD_VALUES, STATS)
def test_equal_input_keys_give_equal_scores(lead_a, stats_a, lead_b, stats_b):
	from crm_module.domain.lead_scoring import input_key

	if input_key(lead_a, stats_a) == input_key(lead_b, stats_b):
		assert compute_lead_score(lead_a, stats_a) == compute_lead_score(lead_b, stats_b)


def test_input_keys_group_leads_that_differ_only_in_what_scoring_ignores():
	from crm_module.domain.lead_scoring import input_key

	one = {"source": "Website", "email": "a@acme.io", "phone": "+14155550100", "lead_name": "A"}
	other = {"source": "website ", "email": "b@ACME.io", "phone": "+14155550199", "lead_name": "B"}
	assert input_key(one, {}) == input_key(other, {})
	assert input_key(one, {}) != input_key({**one, "phone": None}, {})
	assert input_key(one, {"activities_30d": 1}) != input_key(one, {"activities_30d": 2})
	assert input_key(one, {"activities_30d": 1}) != input_key(one, {"activities_30d": True})
