from decimal import Decimal

import pytest

from crm_module.domain.opportunity_lines import Line, line_amount, lines_total


def test_three_at_19_99_with_ten_percent_off_is_53_97():
	assert line_amount(3, 19.99, 10) == Decimal("53.97")  # 53.973 rounds down


def test_amount_rounds_half_up_once_at_the_end():
	assert line_amount(1, "0.125", 0) == Decimal("0.13")
	assert line_amount(3, "0.335", 0) == Decimal("1.01")  # 1.005 -> 1.01, not 3 x 0.34 = 1.02
	assert line_amount("2.5", 10, 50) == Decimal("12.50")
	assert line_amount(7, "0.10", 0) == Decimal("0.70")  # 0.1 as float does not drift


def test_full_discount_and_no_discount():
	assert line_amount(4, 99.99, 100) == Decimal("0.00")
	assert line_amount(4, 99.99, None) == Decimal("399.96")


def test_total_is_the_sum_of_the_rounded_line_amounts():
	lines = [Line(3, 19.99, 10), Line(1, 0.125), Line(2, 1000, 12.5)]
	assert lines_total(lines) == Decimal("53.97") + Decimal("0.13") + Decimal("1750.00")
	assert lines_total([]) == Decimal("0.00")


@pytest.mark.parametrize(
	("qty", "rate", "discount", "field"),
	[
		(0, 10, 0, "qty"),
		(-1, 10, 0, "qty"),
		(1, -0.01, 0, "rate"),
		(1, 10, 101, "discount_percent"),
		(1, 10, -5, "discount_percent"),
		("x", 1, 0, "qty"),
	],
)
def test_bad_lines_name_the_field(qty, rate, discount, field):
	with pytest.raises(ValueError, match=f"^{field} "):
		line_amount(qty, rate, discount)
