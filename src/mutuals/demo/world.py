"""The synthetic demo world: a pure, deterministic generator.

``build_world("small", seed=2011)`` returns the same :class:`World`, byte for
byte, every time; it imports no web framework and writes nothing. What is in
it is described in :mod:`mutuals.demo.organisations` (who), :mod:`mutuals.demo.panel`
(the quarterly returns, 2007-Q1 to 2019-Q4), :mod:`mutuals.demo.contracts` and
:mod:`mutuals.demo.effects` (the true effects, and how the truth is computed).

Evaluating "as of" an earlier quarter (to see the "too early to assess"
verdict, as the NAO did in 2011) is the evaluation's ``as_of`` option: the
world itself always runs to 2019-Q4, each truth record says how many quarters
its effect waits before starting (``delay_quarters``), and
:meth:`World.truth_as_of` gives the truth for an evaluation cut at a quarter.
``World.injected`` holds the effect put into every spin-out's reported quarter
from its first treated quarter on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import polars as pl

from mutuals.demo.catalogue import METRICS, PROGRAMMES, SERVICES, MetricSpec, ProgrammeSpec
from mutuals.demo.contracts import ContractSpec, build_contracts
from mutuals.demo.effects import EFFECTS, Effect, effects_table
from mutuals.demo.organisations import build_organisations
from mutuals.demo.panel import build_panel
from mutuals.demo.truth import truth_records

Scale = Literal["small", "national"]

# In-house comparators per scale: (community health units, council social work teams).
COMPARATORS: dict[str, tuple[int, int]] = {"small": (135, 15), "national": (4_900, 100)}


@dataclass(frozen=True, eq=False)
class World:
    scale: Scale
    seed: int
    programmes: tuple[ProgrammeSpec, ...]
    metrics: tuple[MetricSpec, ...]
    services: tuple[str, ...]
    organisations: pl.DataFrame
    memberships: pl.DataFrame
    contracts: tuple[ContractSpec, ...]
    observations: pl.DataFrame
    injected: pl.DataFrame
    truth: list[dict]
    effects: tuple[Effect, ...] = field(default=EFFECTS)

    def describe_effects(self) -> str:
        return effects_table()

    def truth_as_of(self, period: str) -> list[dict]:
        """The truth for an evaluation that only sees quarters up to ``period``."""
        return truth_records(self.organisations, self.injected, as_of=period)

    def fingerprint(self) -> str:
        """A hash of every frame and record, equal for equal worlds."""
        digest = hashlib.sha256()
        for frame in (self.organisations, self.memberships, self.observations, self.injected):
            digest.update(frame.write_ipc(None, compression="uncompressed").getvalue())
        digest.update(repr((self.contracts, self.truth)).encode())
        return digest.hexdigest()


def build_world(scale: Scale = "small", seed: int = 2011) -> World:
    """Generate the demo world for ``scale`` from ``seed``."""
    if scale not in get_args(Scale):
        raise ValueError(f"scale must be one of {', '.join(get_args(Scale))}, not {scale!r}")
    health, social = COMPARATORS[scale]
    streams = np.random.SeedSequence(seed).spawn(3)
    organisations, memberships = build_organisations(
        np.random.default_rng(streams[0]), health, social
    )
    observations, injected = build_panel(organisations, np.random.default_rng(streams[1]))
    contracts = build_contracts(organisations, observations, np.random.default_rng(streams[2]))
    return World(
        scale=scale,
        seed=seed,
        programmes=PROGRAMMES,
        metrics=METRICS,
        services=SERVICES,
        organisations=organisations,
        memberships=memberships,
        contracts=contracts,
        observations=observations,
        injected=injected,
        truth=truth_records(organisations, injected),
    )
