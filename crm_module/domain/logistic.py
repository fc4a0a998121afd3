"""L2-regularised logistic regression, plain Python: what the churn model and the forecast model fit.

Inputs are standardised (mean 0, standard deviation 1 over the rows; a constant input gets standard deviation 1)
and the weights are fitted by Newton's method on the log-likelihood with the penalty ``l2 x |w|^2 / 2`` (the
bias is not penalised), from ``start`` (zero by default), until no weight moves by more than 1e-6 or after
``max_steps`` steps.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Fit:
	weights: list[float]
	bias: float
	means: list[float]
	scales: list[float]

	def log_odds(self, x: Sequence[float]) -> float:
		return self.bias + sum(
			w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.means, self.scales, strict=True)
		)

	def probability(self, x: Sequence[float]) -> float:
		return sigmoid(self.log_odds(x))


def sigmoid(x: float) -> float:
	if x >= 0:
		return 1 / (1 + math.exp(-x))
	z = math.exp(x)
	return z / (1 + z)


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
	"""Solve ``matrix x = vector`` by Gaussian elimination with partial pivoting (matrix is positive
	definite here: the penalised Hessian)."""
	n = len(vector)
	rows = [[*matrix[i], vector[i]] for i in range(n)]
	for col in range(n):
		pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
		rows[col], rows[pivot] = rows[pivot], rows[col]
		if abs(rows[col][col]) < 1e-12:
			raise ValueError("history: the facts do not vary enough to fit a model")
		for r in range(col + 1, n):
			factor = rows[r][col] / rows[col][col]
			for c in range(col, n + 1):
				rows[r][c] -= factor * rows[col][c]
	solution = [0.0] * n
	for r in range(n - 1, -1, -1):
		solution[r] = (rows[r][n] - sum(rows[r][c] * solution[c] for c in range(r + 1, n))) / rows[r][r]
	return solution


def standardise(matrix: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
	d = len(matrix[0])
	means = [sum(x[j] for x in matrix) / len(matrix) for j in range(d)]
	scales = []
	for j in range(d):
		spread = math.sqrt(sum((x[j] - means[j]) ** 2 for x in matrix) / len(matrix))
		scales.append(spread if spread > 1e-9 else 1.0)
	return means, scales


def fit(
	matrix: Sequence[Sequence[float]],
	labels: Sequence[bool],
	l2: float = 1.0,
	max_steps: int = 25,
	start: Fit | None = None,
) -> Fit:
	"""Fit on rows ``matrix`` (one list of floats each) and their ``labels``."""
	means, scales = standardise(matrix)
	d = len(means)
	z = [[1.0, *((x[j] - means[j]) / scales[j] for j in range(d))] for x in matrix]
	beta = [start.bias, *start.weights] if start and len(start.weights) == d else [0.0] * (d + 1)
	for _step in range(max_steps):
		gradient = [0.0] * (d + 1)
		hessian = [[0.0] * (d + 1) for _ in range(d + 1)]
		for row, label in zip(z, labels, strict=True):
			p = sigmoid(sum(b * v for b, v in zip(beta, row, strict=True)))
			error, curvature = (1.0 if label else 0.0) - p, p * (1 - p)
			for i in range(d + 1):
				gradient[i] += error * row[i]
				weighted = curvature * row[i]
				hessian_row = hessian[i]
				for k in range(i, d + 1):
					hessian_row[k] += weighted * row[k]
		for i in range(d + 1):
			for k in range(i):
				hessian[i][k] = hessian[k][i]
			if i:  # the penalty leaves the bias alone
				gradient[i] -= l2 * beta[i]
				hessian[i][i] += l2
		step = solve(hessian, gradient)
		beta = [b + s for b, s in zip(beta, step, strict=True)]
		if max(abs(s) for s in step) < 1e-6:
			break
	return Fit(beta[1:], beta[0], means, scales)
