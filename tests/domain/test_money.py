from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_module.domain.money import money, money_to_float, percent, round_float, safe_div, to_decimal


def test_to_decimal_goes_through_str():
	assert to_decimal(0.1) == Decimal("0.1")  # not 0.1000000000000000055...
	assert to_decimal("1.50") == Decimal("1.50")
	assert to_decimal(7) == Decimal(7)
	assert to_decimal(Decimal("2.5")) == Decimal("2.5")
	assert to_decimal(None) == 0
	assert to_decimal("") == 0


@pytest.mark.parametrize("bad", ["abc", True, float("inf"), float("nan"), [1]])
def test_to_decimal_rejects_non_numbers_naming_the_field(bad):
	with pytest.raises(ValueError, match="amount"):
		to_decimal(bad, "amount")


def test_money_rounds_half_up_to_cents():
	assert money(2.345) == Decimal("2.35")  # str(2.345) == "2.345" -> half up
	assert money("2.344") == Decimal("2.34")
	assert money("2.335") == Decimal("2.34")  # half up, not half even (2.34 either way) ...
	assert money("2.325") == Decimal("2.33")  # ... half even would give 2.32
	assert money(-2.345) == Decimal("-2.35")  # ROUND_HALF_UP rounds away from zero
	assert money(10) == Decimal("10.00")
	assert str(money(None)) == "0.00"


def test_money_error_names_field():
	with pytest.raises(ValueError, match="value"):
		money("x")


def test_percent():
	assert percent(1, 3) == 33.33  # 33.333...
	assert percent(2, 3) == 66.67  # 66.666... half up
	assert percent(1, 8) == 12.5
	assert percent(1, 800) == 0.13  # 0.125 -> 0.13 (half up, computed in Decimal)
	assert percent(5, 0) == 0.0
	assert percent(0, None) == 0.0


def test_safe_div():
	assert safe_div(1, 4) == Decimal("0.25")
	assert safe_div(1, 0) == 0
	assert safe_div(1, 0, default=7) == 7
	assert safe_div(None, 5) == 0


def test_round_float_and_money_to_float():
	assert round_float("2.675") == 2.68  # float round(2.675, 2) would give 2.67
	assert round_float(1.25, 1) == 1.3
	assert money_to_float("108695.652") == 108695.65


cents = st.integers(min_value=-(10**12), max_value=10**12)


@given(cents)
def test_money_is_exact_on_cent_values(c):
	value = Decimal(c) / 100
	assert money(value) == value
	assert money(str(value)) == value
	assert money(money(value)) == money(value)


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
def test_money_within_half_a_cent(d):
	assert abs(money(d) - d) <= Decimal("0.005")
	assert money(d).as_tuple().exponent == -2
