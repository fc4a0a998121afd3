"""Opportunity lines (products on a deal): each line's amount and the lines' total, to the cent.

A line's amount is ``qty x rate x (1 - discount / 100)`` computed in ``Decimal`` and rounded half up to
cents once, at the end (``3 x 19.99`` with 10 % off is ``53.973`` -> ``53.97``). The total of an
opportunity's lines is the sum of those rounded amounts, so the value shown equals the sum of the
amounts shown on the lines.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from crm_module.domain.money import CENT, HUNDRED, ZERO, Number, money, to_decimal


@dataclass(frozen=True)
class Line:
	qty: Number
	rate: Number
	discount_percent: Number = 0


def line_amount(qty: Number | None, rate: Number | None, discount_percent: Number | None = 0) -> Decimal:
	"""``qty x rate x (1 - discount_percent / 100)`` in cents, rounded half up.

	Raises ``ValueError`` naming the field when ``qty`` is not above zero, ``rate`` is negative or the
	discount is outside 0..100."""
	q = to_decimal(qty, "qty")
	r = to_decimal(rate, "rate")
	d = to_decimal(discount_percent, "discount_percent")
	if q <= ZERO:
		raise ValueError(f"qty must be above 0, got {qty}")
	if r < ZERO:
		raise ValueError(f"rate must not be negative, got {rate}")
	if not ZERO <= d <= HUNDRED:
		raise ValueError(f"discount_percent must be between 0 and 100, got {discount_percent}")
	return money(q * r * (HUNDRED - d) / HUNDRED)


def lines_total(lines: Iterable[Line]) -> Decimal:
	"""The sum of the lines' rounded amounts (``Decimal("0.00")`` for no lines)."""
	return sum((line_amount(line.qty, line.rate, line.discount_percent) for line in lines), ZERO).quantize(
		CENT
	)
