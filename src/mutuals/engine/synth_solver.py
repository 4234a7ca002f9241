"""Donor weights on the simplex: min_w ||A w - b||^2 with w >= 0 and sum(w) = 1.

An active-set method specialised to the simplex: Lawson and Hanson's NNLS with
the sum-to-one constraint kept in every subproblem. The weights start at the
donor nearest the target (a vertex of the simplex) or at a previous solution
(a warm start, used inside the V optimisation, where the weights for the last
V are usually optimal again or one step away). Each step solves the
equality-constrained least squares on the current support exactly, from its
Karush-Kuhn-Tucker system; if a weight would turn negative it moves only as
far as the boundary and drops that donor, otherwise it adds the donor whose
reduced gradient is most negative. It stops when no donor off the support
could lower the loss, that is when the KKT conditions hold, so the weights
are exact rather than within a solver's tolerance of the optimum. A step
costs one k x J product and a solve the size of the support (microseconds);
a cold fit takes about as many steps as it ends with donors, a warm-started
one usually a single step, where a general QP takes milliseconds.

The loss falls at every step, so the method cannot cycle; rounding on a
degenerate problem can still leave it without progress (or with a singular
system), and then the problem is solved as a quadratic programme with
Clarabel (through qpsolvers) instead.

Ties: when several donors fit equally well (identical columns, or every
column zero) the weight goes to the first of them in pool order, as it did
with the NNLS-based solver this replaced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.linalg.lapack import dgesv

from mutuals.engine.errors import NonConvergenceError

# A donor enters while its reduced gradient is below -_KKT_TOL (relative to the scale of
# the Gram matrix): a few thousand times rounding, because when the treated unit lies
# just outside the donors' hull the loss is ~1e-9 and a looser test stops at weights
# whose predictor loss is twice the optimum and whose outcome fit differs completely.
# A donor that cannot enter (rounding) is ignored if it violates by less than
# _KKT_SLACK, the test the NNLS-based solver applied.
_KKT_TOL = 1e-12
_KKT_SLACK = 1e-9
_STEPS_PER_DONOR = 3  # each donor enters and leaves a few times at most in practice


@dataclass(frozen=True)
class Problem:
    """Scaled predictors A = sqrt(V) X: one row per predictor, one column per unit.

    Built once per V; a fit (the treated unit, or a placebo) takes the
    columns of its target and its donors.
    """

    a: np.ndarray  # (k, n_units)

    @classmethod
    def build(cls, predictors: np.ndarray, v: np.ndarray) -> Problem:
        return cls(a=predictors * np.sqrt(v)[:, None])

    def weights(
        self, target: int, donors: np.ndarray | slice, warm: np.ndarray | None = None
    ) -> np.ndarray:
        """Simplex weights of ``donors`` (column indices) reproducing ``target``."""
        return solve_simplex(self.a[:, donors], self.a[:, target], warm)


def solve_simplex(a: np.ndarray, b: np.ndarray, warm: np.ndarray | None = None) -> np.ndarray:
    """Exact simplex-constrained least squares: the active set, else Clarabel.

    ``warm`` is a starting point over the same columns, such as the solution
    for a nearby V; any non-negative vector will do (it is rescaled to sum to one).
    """
    w = active_set_weights(a, b, warm)
    return w if w is not None else _qp_weights(a.T @ a, a.T @ b)


def active_set_weights(
    a: np.ndarray, b: np.ndarray, warm: np.ndarray | None = None
) -> np.ndarray | None:
    """The active-set solution, or None when rounding stalls it (see the module docstring)."""
    n = a.shape[1]
    if n == 1:
        return np.ones(1)
    w = _start(a, b, warm)
    found = descend(a, b, w, np.flatnonzero(w))
    return None if found is None else found[0]


def descend(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, support: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The active set from feasible weights ``w``, positive exactly on ``support``.

    Returns the optimal weights and their support (the V optimisation keeps
    both for its next start), or None when rounding stalls the method.
    """
    entering, violation = False, 0.0
    for _ in range(_STEPS_PER_DONOR * a.shape[1] + 10):
        solved = _support_solution(a, b, support)
        if solved is None:
            return None
        z, mu, a_s, gram = solved
        if z.min() <= 0:
            if entering and z[-1] <= 0:
                # Only rounding keeps a violating donor out: accept w if it is slight.
                slight = violation < _KKT_SLACK * _scale(gram)
                return (w, support[:-1]) if slight else None
            w, support = _step_back(w, z, support)
            entering = False
            continue
        w = np.zeros(a.shape[1])
        w[support] = z / z.sum()
        j, violation = _entering_donor(a, b, a_s @ z, mu, support)
        if violation < _KKT_TOL or violation < _KKT_TOL * _scale(gram):
            return w, support
        support, entering = np.append(support, j), True
    return None


def _start(a: np.ndarray, b: np.ndarray, warm: np.ndarray | None) -> np.ndarray:
    """Feasible starting weights: ``warm`` rescaled, else the vertex nearest ``b``."""
    if warm is not None and warm.shape == (a.shape[1],):
        total = warm.sum()
        if total > 0 and np.isfinite(total) and warm.min() >= 0:
            return warm / total
    w = np.zeros(a.shape[1])
    w[np.argmin(np.sum((a - b[:, None]) ** 2, axis=0))] = 1.0
    return w


def _support_solution(a: np.ndarray, b: np.ndarray, support: np.ndarray):
    """Least squares on the support with weights summing to one, from the KKT system.

    Returns the support's weights, the multiplier of the sum constraint, the
    support's columns and their Gram matrix; None if the system is singular.
    """
    p = support.size
    a_s = a[:, support]
    gram = a_s.T @ a_s
    kkt = np.empty((p + 1, p + 1))
    kkt[:p, :p] = gram
    kkt[:p, p] = 1.0
    kkt[p, :p] = 1.0
    kkt[p, p] = 0.0
    rhs = np.empty(p + 1)
    rhs[:p] = a_s.T @ b
    rhs[p] = 1.0
    _, _, sol, info = dgesv(kkt, rhs)
    if info != 0 or not math.isfinite(sol.sum()):
        return None
    return sol[:p], sol[p], a_s, gram


def _scale(gram: np.ndarray) -> float:
    """The size of the support's Gram matrix, to make the tolerances relative."""
    return max(1.0, float(gram.diagonal().max()))


def _step_back(w: np.ndarray, z: np.ndarray, support: np.ndarray):
    """Move from ``w`` towards ``z`` until the first weight reaches zero; drop it.

    Both sum to one, so every point between them does: the weights stay feasible.
    """
    current = w[support]
    blocking = np.flatnonzero(z <= 0)
    ratios = current[blocking] / (current[blocking] - z[blocking])
    alpha = ratios.min()
    moved = current + alpha * (z - current)
    moved[blocking[ratios <= alpha]] = 0.0
    keep = moved > 0
    w = np.zeros(w.size)
    w[support[keep]] = moved[keep] / moved[keep].sum()
    return w, support[keep]


def _entering_donor(
    a: np.ndarray, b: np.ndarray, fitted: np.ndarray, mu: float, support: np.ndarray
) -> tuple[int, float]:
    """The donor off the support whose weight would lower the loss fastest, and by how
    much its reduced gradient is negative (zero or less: none would).

    The reduced gradient a_j'(A w - b) + mu is zero on the support; off it a
    negative value means moving weight to donor j lowers the loss.
    """
    # einsum, not a.T @ ...: above ~9,000 entries OpenBLAS threads a matrix-vector
    # product, and on a busy machine each threaded call can stall for milliseconds.
    reduced = np.einsum("ij,i->j", a, fitted - b)
    reduced += mu
    reduced[support] = np.inf
    j = int(reduced.argmin())
    return j, -float(reduced[j])


def _qp_weights(gg: np.ndarray, gb: np.ndarray) -> np.ndarray:
    from qpsolvers import solve_qp

    n = gg.shape[0]
    w = solve_qp(
        P=sparse.csc_matrix(gg + 1e-12 * np.eye(n)),
        q=-gb,
        A=sparse.csc_matrix(np.ones((1, n))),
        b=np.ones(1),
        lb=np.zeros(n),
        solver="clarabel",
        tol_gap_abs=1e-12,
        tol_gap_rel=1e-12,
        tol_feas=1e-12,
    )
    if w is None:
        raise NonConvergenceError(
            "the donor-weight quadratic programme did not converge; check the predictors "
            "for constant or duplicated rows"
        )
    w = np.clip(w, 0.0, None)
    return w / w.sum()
