"""Money and ratio helpers.

Definitions:

- A money amount is a ``decimal.Decimal`` quantized to cents (``0.01``) with ``ROUND_HALF_UP``.
- Inputs may be ``int``, ``float``, ``str`` or ``Decimal``; they are converted with ``Decimal(str(x))`` so
  that a float such as ``0.1`` becomes exactly ``Decimal("0.1")``.
- A percentage is ``numerator / denominator x 100`` computed in ``Decimal`` and returned as a ``float``
  rounded half-up to 2 decimals; it is ``0.0`` when the denominator is zero.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")

Number = int | float | str | Decimal


def to_decimal(x: Number | None, field: str = "value") -> Decimal:
	"""Convert ``x`` to ``Decimal`` via ``Decimal(str(x))``; ``None`` and ``""`` become ``0``.

	Raises ``ValueError`` naming ``field`` when ``x`` is not a finite number (booleans are rejected)."""
	if x is None or x == "":
		return ZERO
	if isinstance(x, bool):
		raise ValueError(f"{field} must be a number, got {x!r}")
	if isinstance(x, Decimal):
		d = x
	else:
		try:
			d = Decimal(str(x).strip())
		except (InvalidOperation, ValueError):
			raise ValueError(f"{field} must be a number, got {x!r}")
	if not d.is_finite():
		raise ValueError(f"{field} must be a finite number, got {x!r}")
	return d


def money(x: Number | None, field: str = "value") -> Decimal:
	"""Return ``x`` as a ``Decimal`` quantized to cents, rounding half up (``2.345`` -> ``2.35``)."""
	return to_decimal(x, field).quantize(CENT, rounding=ROUND_HALF_UP)


def round_float(x: Number, places: int = 2) -> float:
	"""Round ``x`` half up to ``places`` decimals in ``Decimal`` and return a ``float``."""
	return float(to_decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def safe_div(numerator: Number | None, denominator: Number | None, default: Number = 0) -> Decimal:
	"""Return ``numerator / denominator`` as an unrounded ``Decimal``, or ``Decimal(default)`` when the
	denominator is zero or missing."""
	den = to_decimal(denominator, "denominator")
	if den == 0:
		return to_decimal(default, "default")
	return to_decimal(numerator, "numerator") / den


def percent(numerator: Number | None, denominator: Number | None) -> float:
	"""Return ``numerator / denominator x 100`` rounded half up to 2 decimals as ``float``; ``0.0`` when the
	denominator is zero (for example ``percent(1, 3) == 33.33`` and ``percent(2, 3) == 66.67``)."""
	ratio = safe_div(numerator, denominator) * HUNDRED
	return float(ratio.quantize(CENT, rounding=ROUND_HALF_UP))


def money_to_float(x: Number | None) -> float:
	"""Return the cents-rounded amount as a JSON-friendly ``float``."""
	return float(money(x))
