"""Donor weights on the simplex: min_w ||A w - b||^2 with w >= 0 and sum(w) = 1.

The fast path is an active-set non-negative least squares (scipy's NNLS) with
the sum-to-one constraint added as a heavily weighted extra row; it finds the
support, and the weights are then solved exactly on that support from the
Karush-Kuhn-Tucker system, and the optimality conditions are checked. A
guessed support (the previous solution's, inside the V optimisation) is tried
first and NNLS skipped when it is optimal: a warm start. If any check fails
the problem is solved as a quadratic programme with Clarabel (through
qpsolvers). Both are exact; NNLS is much faster on small problems.

``Problem`` holds the scaled predictor matrix of every unit and its Gram
matrix, computed once, so placebo fits only slice them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import nnls

from mutuals.engine.errors import NonConvergenceError

_PENALTY = 1e4
_KKT_TOL = 1e-9


@dataclass(frozen=True)
class Problem:
    """Scaled predictors (rows) for every unit (columns), and their Gram matrix.

    The Gram matrix is computed once for all units and sliced for each fit;
    the NNLS path works on column slices of ``a`` (cheaper while there are
    fewer predictors than donors), the QP fallback on Gram slices.
    """

    a: np.ndarray  # (k, n_units), already multiplied by sqrt(V)
    gram: np.ndarray  # (n_units, n_units) = a.T @ a

    @classmethod
    def build(cls, predictors: np.ndarray, v: np.ndarray, gram: bool = True) -> Problem:
        a = predictors * np.sqrt(v)[:, None]
        return cls(a=a, gram=a.T @ a if gram else np.empty((0, 0)))

    def weights(
        self, target: int, donors: np.ndarray | slice, warm: np.ndarray | None = None
    ) -> np.ndarray:
        """Simplex weights of ``donors`` (column indices) reproducing ``target``."""
        w = simplex_weights(self.a[:, donors], self.a[:, target], warm)
        if w is not None:
            return w
        gram = self.gram if self.gram.size else self.a.T @ self.a
        sub = gram[donors][:, donors]
        return _qp_weights(sub, gram[donors, target])


def simplex_weights(
    a: np.ndarray, b: np.ndarray, warm: np.ndarray | None = None
) -> np.ndarray | None:
    """Simplex-constrained least squares by NNLS; None if the KKT check fails.

    ``warm`` is a guess at the support (for example the previous solution's):
    if the KKT conditions hold on it, NNLS is skipped (a warm start).
    """
    if a.shape[1] == 1:
        return np.ones(1)
    if warm is not None:
        w = _polish(a, b, warm)
        if w is not None:
            return w
    scale = _PENALTY * max(1.0, float(np.abs(a).max()))
    a_aug = np.vstack([a, np.full((1, a.shape[1]), scale)])
    b_aug = np.append(b, scale)
    w0, _ = nnls(a_aug, b_aug, maxiter=50 * a.shape[1])
    return _polish(a, b, w0 > 0)


def solve_simplex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact simplex-constrained least squares: NNLS, else Clarabel."""
    w = simplex_weights(a, b)
    return w if w is not None else _qp_weights(a.T @ a, a.T @ b)


def _polish(a: np.ndarray, b: np.ndarray, support: np.ndarray) -> np.ndarray | None:
    """Solve the KKT system on ``support``; None unless the result is optimal."""
    idx = np.flatnonzero(support)
    if idx.size == 0:
        return None
    k = idx.size
    a_s = a[:, idx]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = a_s.T @ a_s
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.append(a_s.T @ b, 1.0)
    try:
        sol = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(sol)) or np.any(sol[:k] < -_KKT_TOL):
        return None
    w = np.zeros(a.shape[1])
    w[idx] = np.clip(sol[:k], 0.0, None)
    w /= w.sum()
    # Stationarity: gradient a'(a w - b) + mu >= 0 off the support.
    reduced = a.T @ (a @ w - b) + sol[k]
    slack = _KKT_TOL * max(1.0, float(np.abs(kkt[:k, :k]).max()))
    if np.any(reduced < -slack):
        return None
    return w


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
