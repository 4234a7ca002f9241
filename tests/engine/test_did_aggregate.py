"""The aggregation recipes and the cohort-blocked bootstrap against their direct definitions.

Each aggregate's influence function is built from a recipe (weights on the
cells plus the cohort-share terms, which depend on a unit only through its
cohort), and the bootstrap perturbs the cells once and applies the recipes.
These tests hold both to the direct formulas they replaced: R ``did``'s
``wif`` as a dense units-by-cohorts matrix, and the multiplier draws as
signed sums of each effect's own influence function over all units.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mutuals.engine import did as did_module
from mutuals.engine import did_aggregate as agg
from mutuals.engine import did_threads
from mutuals.engine.did_tables import _aggregates

MPDTA = Path(__file__).parents[1] / "data" / "mpdta.csv"
ARGS = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module", params=["never", "notyet"])
def cells(request) -> agg.Cells:
    config = did_module.DidConfig(**ARGS, control=request.param)
    panel, _ = did_module._prepare(pl.read_csv(MPDTA), config)
    return did_module._cells(panel, config)[0]


def _dense_wif(cells: agg.Cells, cohorts: np.ndarray) -> np.ndarray:
    """R ``did``'s weight influence function, units by columns, as it was computed."""
    pg = np.array([np.mean(cells.unit_cohort == g) for g in cohorts])
    total = pg.sum()
    member = (cells.unit_cohort[:, None] == cohorts[None, :]).astype(float)
    if1 = (member - pg) / total
    if2 = (member - pg).sum(axis=1, keepdims=True) * (pg / total**2)[None, :]
    return if1 - if2


def _direct_share_weighted(cells: agg.Cells, which: np.ndarray) -> np.ndarray:
    cohorts = cells.group[which]
    pg = np.array([np.mean(cells.unit_cohort == g) for g in cohorts])
    weights = pg / pg.sum()
    wif = _dense_wif(cells, cohorts)
    return cells.psi[:, which] @ weights + wif @ cells.att[which] / cells.n_units


def test_event_time_and_calendar_recipes_equal_the_direct_formulas(cells):
    event = cells.time - cells.group
    masks = [event == e for e in np.unique(event)]
    masks += [(cells.time == t) & (cells.group <= t) for t in np.unique(cells.time)]
    masks = [m for m in masks if m.any()]
    recipes = agg.Linear.of([agg.share_weighted(cells, m) for m in masks])
    direct = np.column_stack([_direct_share_weighted(cells, m) for m in masks])
    np.testing.assert_allclose(agg.influence(cells, recipes), direct, atol=1e-14, rtol=1e-12)


def test_overall_cohort_recipe_equals_the_direct_formula(cells):
    cohorts = agg.cohorts_with_post_cells(cells)
    groups = agg.cohort_effects(cells, cohorts)
    group_psi = np.column_stack(
        [cells.psi[:, (cells.group == g) & (cells.time >= g)].mean(axis=1) for g in cohorts]
    )
    np.testing.assert_allclose(agg.influence(cells, groups), group_psi, atol=1e-14)
    pg = np.array([np.mean(cells.unit_cohort == g) for g in cohorts])
    direct = group_psi @ (pg / pg.sum())
    direct += _dense_wif(cells, cohorts) @ groups.att / cells.n_units
    overall = agg.overall_cohort(cells, groups, cohorts)
    np.testing.assert_allclose(agg.influence(cells, overall)[:, 0], direct, atol=1e-14)


def _direct_draws(psi: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
    """The multiplier bootstrap as it was: the same draws, signed sums over all units."""
    rng = np.random.default_rng(seed)
    block = max(1, min(n_draws, 2_000_000 // psi.shape[0]))
    out = np.empty((n_draws, psi.shape[1]))
    for start in range(0, n_draws, block):
        stop = min(n_draws, start + block)
        xi = rng.integers(0, 2, size=(stop - start, psi.shape[0]), dtype=np.int8)
        out[start:stop] = (2.0 * xi - 1.0) @ psi
    return out


@pytest.mark.parametrize("n_draws", [99, 1001])
def test_bootstrap_draws_equal_signed_sums_of_each_influence_function(cells, n_draws):
    built = _aggregates(cells).built
    cell_draws, built_draws = agg.bootstrap_draws(cells, built, n_draws, seed=5)
    direct = _direct_draws(np.hstack([cells.psi, agg.influence(cells, built)]), n_draws, 5)
    np.testing.assert_allclose(cell_draws, direct[:, : len(cells.att)], atol=1e-12)
    np.testing.assert_allclose(built_draws, direct[:, len(cells.att) :], atol=1e-12)


def test_cohort_blocks_leave_out_only_zeros(cells):
    blocks = cells.blocks
    rebuilt = np.zeros_like(cells.psi)
    ends = [*blocks.starts[1:], cells.n_units]
    for lo, hi, columns, psi in zip(blocks.starts, ends, blocks.columns, blocks.psi, strict=True):
        rebuilt[np.ix_(blocks.order[lo:hi], columns)] = psi[:, :-1]
        np.testing.assert_array_equal(psi[:, -1], 1.0)
    np.testing.assert_array_equal(rebuilt, cells.psi)


def test_pretrend_covariances_equal_the_direct_products(cells):
    pre = cells.time < cells.group
    np.testing.assert_allclose(
        agg.cells_vcov(cells, pre), cells.psi[:, pre].T @ cells.psi[:, pre], rtol=1e-12
    )


def _thread_counts() -> list[int]:
    return [getter() for getter, _ in did_threads._openblas_controls()]


def test_single_threaded_blas_sets_one_thread_and_restores():
    before = _thread_counts()
    if not before:
        pytest.skip("no OpenBLAS found in this process")
    with did_threads.single_threaded_blas():
        assert _thread_counts() == [1] * len(before)
        with did_threads.single_threaded_blas():
            assert _thread_counts() == [1] * len(before)
        assert _thread_counts() == [1] * len(before)  # still inside the outer block
    assert _thread_counts() == before


def test_single_threaded_blas_restores_after_overlapping_threads():
    before = _thread_counts()
    inside = threading.Barrier(2)

    def work():
        with did_threads.single_threaded_blas():
            inside.wait(timeout=10)
            np.ones((300, 300)) @ np.ones((300, 300))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert _thread_counts() == before


def test_single_threaded_blas_does_nothing_without_openblas(monkeypatch):
    monkeypatch.setattr(did_threads, "_openblas_controls", lambda: ())
    with did_threads.single_threaded_blas():
        assert np.ones(3) @ np.ones(3) == 3
