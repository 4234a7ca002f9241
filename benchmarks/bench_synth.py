"""Time the synthetic control against pysyncon on a synthetic panel.

    uv run python benchmarks/bench_synth.py [--donors 200] [--pre 30] [--post 10]
        [--pysyncon-placebos 3] [--quick]

One treated unit, ``--donors`` donors, ``--pre`` pre-periods and ``--post``
post-periods of a factor-model outcome. Reports one fixed-V fit (V = identity
over every pre-period outcome), the full placebo test, one V-optimised fit
with covariate predictors, and pysyncon beside each. pysyncon's placebo runs
a process pool over every donor, and one of its fits takes ~20 s at this size;
to keep this to a few minutes we time ``--pysyncon-placebos`` of its placebo
fits in this process and extrapolate linearly to all donors (printed as such).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mutuals.engine.synth import Predictor, synth  # noqa: E402

TARGETS = {"fixed": 0.020, "placebo": 5.0, "optimised": 5.0, "ratio": 80.0, "weights": 1e-4}


def make_panel(donors: int, pre: int, post: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n, periods = donors + 1, pre + post
    factors = rng.normal(size=(periods, 3)).cumsum(axis=0)
    loadings = rng.uniform(0.2, 1.5, size=(n, 3))
    y = 10 + factors @ loadings.T + rng.normal(scale=0.3, size=(periods, n))
    y[pre:, 0] -= 1.0  # the treated unit's effect
    covs = {f"x{k}": np.repeat(rng.normal(size=n)[None, :], periods, 0) for k in range(4)}
    return pl.DataFrame(
        {
            "unit": np.tile([f"u{i:03d}" for i in range(n)], periods),
            "time": np.repeat(np.arange(periods), n),
            "y": y.ravel(),
            **{k: v.ravel() for k, v in covs.items()},
        }
    )


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _pysyncon_prep(frame: pd.DataFrame, treated: str, pre: int):
    from pysyncon import Dataprep

    controls = sorted(u for u in frame.unit.unique() if u != treated)
    return Dataprep(
        foo=frame,
        predictors=[],
        predictors_op="mean",
        time_predictors_prior=range(pre),
        special_predictors=[("y", [t], "mean") for t in range(pre)],
        dependent="y",
        unit_variable="unit",
        time_variable="time",
        treatment_identifier=treated,
        controls_identifier=controls,
        time_optimize_ssr=range(pre),
    )


def pysyncon_fit(frame: pd.DataFrame, treated: str, pre: int):
    from pysyncon import Synth

    model = Synth()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model.fit(dataprep=_pysyncon_prep(frame, treated, pre), custom_V=np.full(pre, 1 / pre))
    return pd.Series(model.W, index=sorted(u for u in frame.unit.unique() if u != treated))


def pysyncon_tight_weights(frame: pd.DataFrame, treated: str, pre: int) -> pd.Series:
    """pysyncon's matrices and inner solver with a tight tolerance (ftol 1e-14)."""
    from pysyncon import Synth

    x0, x1 = _pysyncon_prep(frame, treated, pre).make_covariate_mats()
    x = pd.concat([x0, x1], axis=1)
    x = x.divide(x.std(axis=1), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w, _ = Synth.w_optimize(
            V_mat=np.eye(pre) / pre,
            X0=x.drop(columns=x1.name).to_numpy(),
            X1=x[x1.name].to_numpy(),
            qp_options={"maxiter": 10_000, "ftol": 1e-14},
        )
    return pd.Series(w, index=x0.columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=200)
    parser.add_argument("--pre", type=int, default=30)
    parser.add_argument("--post", type=int, default=10)
    parser.add_argument("--pysyncon-placebos", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 donors, 2 pysyncon placebos")
    args = parser.parse_args()
    if args.quick:
        args.donors, args.pysyncon_placebos = 50, 2
    panel = make_panel(args.donors, args.pre, args.post)
    frame = panel.to_pandas()
    base = dict(outcome="y", unit="unit", time="time", treated="u000", start=args.pre)
    rows = []

    synth(panel, **base)  # warm up imports and caches outside the timing
    t_fix, ours = timed(lambda: synth(panel, **base), repeat=7)
    t_theirs, theirs = timed(lambda: pysyncon_fit(frame, "u000", args.pre))
    ours_w = pd.Series(ours.weights["weight"].to_numpy(), index=ours.weights["unit"].to_list())
    tight = pysyncon_tight_weights(frame, "u000", args.pre)
    diff_tight = float(np.abs(ours_w.reindex(tight.index) - tight).max())
    diff_default = float(np.abs(ours_w.reindex(theirs.index) - theirs).max())
    rows.append(("one fixed-V fit", t_fix, t_theirs, TARGETS["fixed"]))

    t_plac, placebo = timed(lambda: synth(panel, **base, placebo=True))
    k = min(args.pysyncon_placebos, args.donors)
    donors = [f"u{i:03d}" for i in range(1, k + 1)]
    others = frame[frame.unit != "u000"]
    t_k, _ = timed(lambda: [pysyncon_fit(others, d, args.pre) for d in donors])
    t_theirs_plac = t_k / k * (args.donors + 1)
    rows.append((f"placebo, {args.donors} donors", t_plac, t_theirs_plac, TARGETS["placebo"]))

    predictors = [Predictor(f"x{j}", range(args.pre)) for j in range(4)]
    predictors += [Predictor("y", range(s, s + 5)) for s in range(0, args.pre, 5)]
    t_opt, _ = timed(lambda: synth(panel, **base, predictors=predictors))
    rows.append(("one V-optimised fit", t_opt, float("nan"), TARGETS["optimised"]))

    print(f"Synthetic control: 1 treated, {args.donors} donors, {args.pre} pre + {args.post} post")
    print(f"{'stage':<24} {'mutuals s':>10} {'pysyncon s':>11} {'speed-up':>9} {'target':>9}")
    for name, ours_t, theirs_t, target in rows:
        ratio = theirs_t / ours_t if np.isfinite(theirs_t) else float("nan")
        print(f"{name:<24} {ours_t:>10.4f} {theirs_t:>11.3f} {ratio:>8.0f}x {target:>8}s")
    print(
        f"(pysyncon placebo: {k} placebo fits timed in-process, extrapolated linearly "
        f"to {args.donors + 1} fits; pysyncon's V-optimised fit is not timed at this size)"
    )
    print(f"placebo speed-up target >= {TARGETS['ratio']:.0f}x; p-value {placebo.placebo_p:.4f}")
    print(f"max |w - pysyncon w| (its solver at ftol 1e-14): {diff_tight:.2e} (target 1e-4)")
    print(f"max |w - pysyncon w| (its default fit, ftol 1e-6): {diff_default:.2e}")


if __name__ == "__main__":
    main()
