"""The simplex solver the active set replaced, kept as a reference for its tests.

scipy's NNLS with the sum-to-one constraint as a heavily weighted extra row
finds the support; the weights are then solved on it from the KKT system and
accepted if the optimality conditions hold (otherwise None). This is the code
of ``synth_solver.simplex_weights`` before the active-set method, without
its warm start.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

_PENALTY = 1e4
_KKT_TOL = 1e-9


def legacy_weights(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    if a.shape[1] == 1:
        return np.ones(1)
    scale = _PENALTY * max(1.0, float(np.abs(a).max()))
    a_aug = np.vstack([a, np.full((1, a.shape[1]), scale)])
    b_aug = np.append(b, scale)
    w0, _ = nnls(a_aug, b_aug, maxiter=50 * a.shape[1])
    return _polish(a, b, w0 > 0)


def _polish(a: np.ndarray, b: np.ndarray, support: np.ndarray) -> np.ndarray | None:
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
    reduced = a.T @ (a @ w - b) + sol[k]
    slack = _KKT_TOL * max(1.0, float(np.abs(kkt[:k, :k]).max()))
    if np.any(reduced < -slack):
        return None
    return w
