"""Small exact-arithmetic and input-checking helpers shared by the scoring modules.

Every checker raises ``ValueError`` with a message that starts with the name of the offending field."""

import math
from decimal import Decimal
from fractions import Fraction
from math import floor
from numbers import Real


def round_half_up(x: Fraction | float | int) -> int:
	"""Round half up to an integer, exactly (``2.5`` -> 3, ``-2.5`` -> -2)."""
	exact = Fraction(str(x)) if isinstance(x, float) else Fraction(x)
	return floor(exact + Fraction(1, 2))


def clamp(x, lo=0, hi=100):
	"""Return ``x`` limited to ``lo..hi``."""
	return max(lo, min(hi, x))


def as_fraction(name: str, value) -> Fraction:
	"""Return a finite real number (int, float, ``Decimal``, ``Fraction``; not bool) as an exact ``Fraction``."""
	if isinstance(value, bool) or not isinstance(value, Real | Decimal):
		raise ValueError(f"{name} must be a number, got {value!r}")
	if isinstance(value, float | Decimal) and not math.isfinite(value):
		raise ValueError(f"{name} must be a finite number")
	return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def as_count(name: str, value) -> int:
	"""Return a non-negative whole count; ``None`` counts as 0."""
	if value is None:
		return 0
	if isinstance(value, bool) or not isinstance(value, int) or value < 0:
		raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
	return value
