"""The active-set simplex solver against Clarabel's QP and the NNLS solver it replaced.

Where the solution is unique (the target outside the donors' hull) the
weights must equal Clarabel's and the old solver's within 1e-8 and fit at
least as well; where it is not (ties, a target inside the hull) the loss
must be optimal and ties go to the first donor, as they did.
"""

from __future__ import annotations

import numpy as np
import pytest

from mutuals.engine import synth_solver
from mutuals.engine.synth_solver import (
    Problem,
    _qp_weights,
    active_set_weights,
    descend,
    solve_simplex,
)

from ._legacy_synth_solver import legacy_weights

SHAPES = [(3, 5), (12, 30), (30, 200), (10, 200), (40, 12), (5, 80), (25, 25)]


def _loss(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum((a @ w - b) ** 2))


def _clarabel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _qp_weights(a.T @ a, a.T @ b)


def _outside_hull(seed: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A problem with a unique solution: the target well away from the donors."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, n))
    b = rng.normal(size=k) * 2 + 1.5
    return a, b


CASES = [(seed, k, n) for seed in range(4) for k, n in SHAPES]


@pytest.mark.parametrize(("seed", "k", "n"), CASES)
def test_random_problems_match_clarabel(seed, k, n):
    a, b = _outside_hull(seed, k, n)
    ours, exact = solve_simplex(a, b), _clarabel(a, b)
    assert _loss(a, b, ours) > 1e-6  # unique: the target is outside the hull
    np.testing.assert_allclose(ours, exact, atol=1e-8, rtol=0)
    assert _loss(a, b, ours) <= _loss(a, b, exact) + 1e-12


@pytest.mark.parametrize(("seed", "k", "n"), CASES)
def test_random_problems_match_the_previous_solver(seed, k, n):
    a, b = _outside_hull(seed, k, n)
    previous = legacy_weights(a, b)
    assert previous is not None
    np.testing.assert_allclose(solve_simplex(a, b), previous, atol=1e-8, rtol=0)


@pytest.mark.parametrize(("seed", "k", "n"), CASES[::3])
def test_solution_satisfies_the_optimality_conditions(seed, k, n):
    a, b = _outside_hull(seed, k, n)
    w = active_set_weights(a, b)
    assert w is not None and w.min() >= 0 and w.sum() == pytest.approx(1, abs=1e-14)
    gradient = a.T @ (a @ w - b)
    on = w > 0
    mu = -gradient[on].mean()
    np.testing.assert_allclose(gradient[on] + mu, 0, atol=1e-10)
    assert (gradient[~on] + mu).min() >= -1e-10


def test_warm_starts_reach_the_same_weights():
    a, b = _outside_hull(7, 12, 60)
    cold = solve_simplex(a, b)
    rng = np.random.default_rng(7)
    nearby = solve_simplex(a * 1.01 + 0.01, b)
    vertex = np.eye(60)[17]
    for warm in (cold, nearby, vertex, rng.dirichlet(np.ones(60)), np.ones(60) * 3):
        # The same weights to the solver's own tolerance: a weight at zero may keep a few
        # units of 1e-12 by one path and not another, by how the processor adds.
        np.testing.assert_allclose(solve_simplex(a, b, warm), cold, atol=1e-10)


@pytest.mark.parametrize(
    "warm", [np.zeros(60), -np.ones(60), np.ones(59), np.full(60, np.nan)], ids=str
)
def test_unusable_warm_starts_are_ignored(warm):
    a, b = _outside_hull(8, 12, 60)
    np.testing.assert_allclose(solve_simplex(a, b, warm), solve_simplex(a, b), atol=1e-12)


def test_descend_returns_the_support_it_ends_on():
    a, b = _outside_hull(9, 10, 200)
    start = np.full(200, 1 / 200)
    w, support = descend(a, b, start, np.arange(200))
    np.testing.assert_array_equal(np.sort(support), np.flatnonzero(w))
    np.testing.assert_allclose(w, solve_simplex(a, b), atol=1e-12)


def _tie_problem() -> tuple[np.ndarray, np.ndarray, int]:
    a, b = _outside_hull(1, 6, 8)
    first = int(np.flatnonzero(solve_simplex(a, b))[0])
    return a, b, first


def test_tied_donors_give_the_weight_to_the_first():
    a, b, j = _tie_problem()
    alone = solve_simplex(a, b)
    for tied in (np.column_stack([a, a[:, j]]), np.column_stack([a[:, j], a])):
        w = solve_simplex(tied, b)
        assert _loss(tied, b, w) == pytest.approx(_loss(a, b, alone), rel=1e-12)
        copies = np.flatnonzero(np.all(tied == a[:, [j]], axis=0))
        assert w[copies[0]] == pytest.approx(alone[j], abs=1e-12)
        assert w[copies[1]] == 0
        np.testing.assert_allclose(w, legacy_weights(tied, b), atol=1e-12)
        # Clarabel splits the weight between the copies but fits exactly as well.
        exact = _clarabel(tied, b)
        assert _loss(tied, b, w) <= _loss(tied, b, exact) + 1e-12
        assert exact[copies].sum() == pytest.approx(alone[j], abs=1e-6)


@pytest.mark.parametrize("copies", [1, 2])
def test_donor_identical_to_the_target(copies):
    a, b = _outside_hull(2, 6, 8)
    a = np.column_stack([a[:, :3], *([b] * copies), a[:, 3:]])
    w = solve_simplex(a, b)
    expected = np.zeros(a.shape[1])
    expected[3] = 1.0
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_allclose(legacy_weights(a, b), expected, atol=1e-12)


def test_a_zero_column_is_a_donor_at_the_origin():
    a, b = _outside_hull(3, 6, 8)
    a[:, 1] = 0
    w = solve_simplex(a, b)
    assert w[1] > 0.1  # it matters to the fit
    np.testing.assert_allclose(w, _clarabel(a, b), atol=1e-8)
    np.testing.assert_allclose(w, legacy_weights(a, b), atol=1e-12)


def test_two_zero_columns_are_tied():
    a, b = _outside_hull(3, 6, 8)
    a[:, [1, 5]] = 0
    w = solve_simplex(a, b)
    without_second = solve_simplex(np.delete(a, 5, axis=1), b)
    assert w[5] == 0
    np.testing.assert_allclose(np.delete(w, 5), without_second, atol=1e-12)
    np.testing.assert_allclose(w, legacy_weights(a, b), atol=1e-12)
    assert _loss(a, b, w) <= _loss(a, b, _clarabel(a, b)) + 1e-12


@pytest.mark.parametrize("target", [np.ones(4), np.zeros(4)], ids=["b=1", "b=0"])
def test_all_columns_zero_gives_the_first_donor(target):
    w = solve_simplex(np.zeros((4, 5)), target)
    np.testing.assert_array_equal(w, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(legacy_weights(np.zeros((4, 5)), target), w)


def test_target_inside_the_hull_is_fitted_exactly():
    """The weights are not unique; any that reproduce the target are optimal."""
    a, _ = _outside_hull(4, 6, 12)
    b = a @ np.random.default_rng(4).dirichlet(np.ones(12))
    w = solve_simplex(a, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1, abs=1e-14)
    assert _loss(a, b, w) < 1e-20


def test_one_donor_and_one_predictor():
    assert solve_simplex(np.ones((3, 1)), np.zeros(3)).tolist() == [1.0]
    a = np.array([[0.0, 1.0, 3.0]])
    np.testing.assert_allclose(solve_simplex(a, np.array([2.0])), [0, 0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(solve_simplex(a, np.array([5.0])), [0, 0, 1], atol=1e-12)


def test_a_stalled_active_set_falls_back_to_clarabel(monkeypatch):
    a, b = _outside_hull(5, 12, 30)
    expected = solve_simplex(a, b)
    monkeypatch.setattr(synth_solver, "_support_solution", lambda *args: None)
    assert active_set_weights(a, b) is None
    np.testing.assert_allclose(solve_simplex(a, b), expected, atol=1e-8)


def test_problem_slices_one_scaled_matrix():
    rng = np.random.default_rng(6)
    predictors, v = rng.normal(size=(8, 20)), rng.dirichlet(np.ones(8))
    problem = Problem.build(predictors, v)
    a = predictors * np.sqrt(v)[:, None]
    donors = np.array([i for i in range(20) if i != 4])
    np.testing.assert_allclose(problem.weights(4, donors), solve_simplex(a[:, donors], a[:, 4]))
