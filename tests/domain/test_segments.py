import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.segments import SEGMENT_FIELDS, matches, parse_criteria, to_filters, to_or_filters

AT_RISK = {
	"match": "all",
	"conditions": [
		{"field": "health_score", "op": "<", "value": 50},
		{"field": "risk_level", "op": "in", "value": ["Red", "Yellow"]},
		{"field": "industry", "op": "is set"},
	],
}


def test_segment_fields():
	assert SEGMENT_FIELDS["health_score"] == "number" and SEGMENT_FIELDS["industry"] == "text"
	assert len(SEGMENT_FIELDS) == 11


def test_parse_and_filters():
	c = parse_criteria(json.dumps(AT_RISK))
	assert c.match == "all" and len(c.conditions) == 3
	assert to_filters(c) == [
		["health_score", "<", 50],
		["risk_level", "in", ["Red", "Yellow"]],
		["industry", "is", "set"],
	]
	assert parse_criteria(c.to_dict()) == c


def test_matches_all():
	c = parse_criteria(AT_RISK)
	assert matches(c, {"health_score": 30, "risk_level": "red", "industry": "Tech"})
	assert not matches(c, {"health_score": 50, "risk_level": "Red", "industry": "Tech"})  # 50 is not < 50
	assert not matches(c, {"health_score": 30, "risk_level": "Green", "industry": "Tech"})
	assert not matches(c, {"health_score": 30, "risk_level": "Red", "industry": " "})
	assert not matches(c, {"risk_level": "Red", "industry": "Tech"})  # unset number fails "<"


def test_matches_any_and_or_filters():
	c = parse_criteria(
		{
			"match": "any",
			"conditions": [
				{"field": "open_opportunities", "op": ">=", "value": 3},
				{"field": "pipeline_value", "op": "between", "value": [1000, "5000"]},
			],
		}
	)
	assert matches(c, {"open_opportunities": 3})
	assert matches(c, {"open_opportunities": 0, "pipeline_value": 5000})  # between is inclusive
	assert matches(c, {"pipeline_value": "1000"})
	assert not matches(c, {"open_opportunities": 2, "pipeline_value": 5000.01})
	assert to_or_filters(c) == [
		["open_opportunities", ">=", 3],
		["pipeline_value", "between", [1000, 5000.0]],
	]
	with pytest.raises(ValueError, match="match"):
		to_filters(c)
	with pytest.raises(ValueError, match="match"):
		to_or_filters(parse_criteria(AT_RISK))


@pytest.mark.parametrize(
	"op,value,row_value,expected",
	[
		("=", "Enterprise", "enterprise", True),
		("!=", "Enterprise", "SMB", True),
		("!=", "Enterprise", None, True),  # unset passes != and not in
		("not in", ["A", "B"], "", True),
		("not in", ["A", "B"], "a", False),
		("in", "A, B", "b", True),
		("like", "%prise", "Enterprise", True),
		("like", "ent%", "Enterprise", True),
		("like", "_nterprise", "Enterprise", True),
		("like", "prise", "Enterprise", False),
		("like", "a.c", "abc", False),  # "." is literal
		("is not set", None, None, True),
		("is set", None, "x", True),
		("=", "x", None, False),
	],
)
def test_text_operators(op, value, row_value, expected):
	c = parse_criteria({"conditions": [{"field": "segment", "op": op, "value": value}]})
	assert matches(c, {"segment": row_value}) is expected


def test_date_fields():
	fields = {"last_interaction_date": "date"}
	c = parse_criteria(
		{
			"conditions": [
				{"field": "last_interaction_date", "op": "between", "value": ["2024-01-01", "2024-01-31"]}
			]
		},
		fields,
	)
	assert matches(c, {"last_interaction_date": date(2024, 1, 31)})
	assert matches(c, {"last_interaction_date": "2024-01-01 10:00:00"})
	assert not matches(c, {"last_interaction_date": "2024-02-01"})
	assert not matches(c, {"last_interaction_date": "garbage"})
	assert to_filters(c) == [["last_interaction_date", "between", ["2024-01-01", "2024-01-31"]]]


def test_non_numeric_row_value_fails_number_condition():
	c = parse_criteria({"conditions": [{"field": "health_score", "op": ">", "value": 1}]})
	assert not matches(c, {"health_score": "n/a"})


@pytest.mark.parametrize(
	"raw,message",
	[
		("{not json", "criteria: invalid JSON"),
		("[1]", "criteria"),
		({"match": "some", "conditions": [{"field": "segment", "op": "is set"}]}, "match"),
		({"conditions": []}, "conditions"),
		({}, "conditions"),
		({"conditions": ["x"]}, "conditions[0]"),
		(
			{"conditions": [{"field": "segment", "op": "is set"}, {"field": "foo", "op": "=", "value": 1}]},
			"conditions[1].field: unknown field 'foo'",
		),
		(
			{"conditions": [{"field": "health_score", "op": "like", "value": "1%"}]},
			"conditions[0].op: operator 'like' is not allowed for number field 'health_score'",
		),
		({"conditions": [{"field": "industry", "op": "<", "value": "b"}]}, "conditions[0].op"),
		(
			{"conditions": [{"field": "health_score", "op": "<", "value": "abc"}]},
			"conditions[0].value (health_score)",
		),
		(
			{"conditions": [{"field": "health_score", "op": "<", "value": True}]},
			"conditions[0].value (health_score)",
		),
		(
			{"conditions": [{"field": "health_score", "op": "between", "value": [1]}]},
			"conditions[0].value (health_score): between",
		),
		(
			{"conditions": [{"field": "health_score", "op": "between", "value": [9, 1]}]},
			"low must not be greater",
		),
		(
			{"conditions": [{"field": "risk_level", "op": "in", "value": []}]},
			"conditions[0].value (risk_level)",
		),
		(
			{"conditions": [{"field": "risk_level", "op": "=", "value": ""}]},
			"conditions[0].value (risk_level)",
		),
		(
			{"conditions": [{"field": "risk_level", "op": "=", "value": ["Red"]}]},
			"conditions[0].value (risk_level)",
		),
	],
)
def test_parse_errors(raw, message):
	with pytest.raises(ValueError) as e:
		parse_criteria(raw)
	assert message in str(e.value)


def test_bad_date_and_unknown_type():
	with pytest.raises(ValueError, match=r"conditions\[0\].value \(d\)"):
		parse_criteria({"conditions": [{"field": "d", "op": "=", "value": "soon"}]}, {"d": "date"})
	with pytest.raises(ValueError, match=r"conditions\[0\].field"):
		parse_criteria({"conditions": [{"field": "d", "op": "=", "value": 1}]}, {"d": "blob"})


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
def test_number_comparisons_match_python(threshold, value, op):
	c = parse_criteria({"conditions": [{"field": "health_score", "op": op, "value": threshold}]})
	expected = {
		"=": value == threshold,
		"!=": value != threshold,
		"<": value < threshold,
		"<=": value <= threshold,
		">": value > threshold,
		">=": value >= threshold,
	}[op]
	assert matches(c, {"health_score": value}) is expected
