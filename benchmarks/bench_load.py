"""A mixed load on the whole product, and a soak that watches its memory.

Builds the demo world (national by default) in a scratch PostgreSQL database, evaluates
and monitors it, and serves it with gunicorn (3 workers, DEBUG off, Redis as the cache when
one answers). Then 50 clients, for 60 s, each keep asking for a mix of what people ask for:
public pages and downloads, a signed-in commissioner's and an auditor's pages (portfolio,
scorecards, contracts, the evaluation run), and the API with a token. Prints p50/p95/p99
per kind and overall, and the errors (target: none).

``--soak 600`` then keeps a lighter load (10 clients) for that many seconds and compares
the web processes' memory (resident set) after the first minute with the memory at the
end (target: less than 20% growth).

    uv run python benchmarks/bench_load.py [--scale national|small] [--seconds 60]
        [--clients 50] [--soak 600] [--database postgres|sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _served import (
    Request,
    Tally,
    World,
    build,
    cookie,
    drive,
    drop,
    environment,
    gunicorn,
    percentiles,
)

PORT = 8766
SOAK_GROWTH = 0.20


def mix(world: World):
    auditor, commissioner = cookie(world.auditor), cookie(world.commissioner)
    api = {"Authorization": f"Bearer {world.token}"}
    run = f"/evaluation/{world.run}/" if world.run else "/evaluation/"

    def choose(rng):
        roll = rng.random()
        spin_out = rng.choice(world.spin_outs)
        if roll < 0.30:
            path = rng.choice([
                "/", "/organisations/", f"/organisations/?page={rng.randint(1, 50)}",
                f"/organisations/{rng.choice(world.organisations)}/", "/published/",
                "/open-data/", "/open-data/programmes.csv", "/contracts/",
            ])  # fmt: skip
            return "public pages", Request(path)
        if roll < 0.55:
            own = rng.choice(world.commissioned)
            path = rng.choice(["/portfolio/", "/contracts/", f"/organisations/{own}/scorecard/",
                               f"/organisations/{own}/"])  # fmt: skip
            return "commissioner pages", Request(path, commissioner)
        if roll < 0.80:
            path = rng.choice(["/portfolio/", run, f"/organisations/{spin_out}/scorecard/",
                               f"/organisations/{spin_out}/", "/evaluation/"])  # fmt: skip
            return "auditor pages", Request(path, auditor)
        path = rng.choice([
            "/api/v1/organisations?limit=50", "/api/v1/contracts?limit=50",
            f"/api/v1/returns?organisation={spin_out}&limit=100", "/api/v1/programmes",
        ])  # fmt: skip
        return "API", Request(path, api)

    return choose


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's workers), in KiB."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(p) for p in found]


def report(title: str, tally: Tally, seconds: float) -> bool:
    """Print the load's latencies and error count; whether it had no errors (the target)."""
    print(title)
    print(f"{'kind':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, latencies in sorted(tally.latencies.items()):
        p50, p95, p99 = percentiles(latencies)
        print(f"{kind:<22}{len(latencies):>9}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}")
    everything = tally.all()
    p50, p95, p99 = percentiles(everything)
    print(f"{'all':<22}{len(everything):>9}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}")
    print(f"{len(everything) / seconds:.0f} requests a second; errors: {len(tally.errors)} "
          f"(target 0){'; first: ' + str(tally.errors[:3]) if tally.errors else ''}")  # fmt: skip
    return not tally.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="national", choices=["national", "small"])
    parser.add_argument("--database", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--soak", type=float, default=0, help="seconds of soak (e.g. 600)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = environment(folder, args.database)
        try:
            world = build(env, args.scale)
            with gunicorn(env, PORT) as server:
                choose = mix(world)
                drive(PORT, 10, 10, choose, Tally())  # warm every worker and cache alike
                tally = Tally()
                drive(PORT, args.clients, args.seconds, choose, tally)
                cache = "Redis" if "REDIS_URL" in env else "file cache"
                title = (f"{args.clients} clients for {args.seconds:.0f} s: gunicorn 3 workers, "
                         f"{args.database}, {cache}")  # fmt: skip
                met = report(title, tally, args.seconds)
                if args.soak:
                    met = soak(server.pid, choose, args.soak) and met
        finally:
            drop(env)
    if not met:
        sys.exit(1)


def soak(pid: int, choose, seconds: float) -> bool:
    """A long load's growth in the web processes' memory, printed; whether it is in target."""
    drive(PORT, 10, 60, choose, Tally())
    before = rss_kib(pid)
    started = time.perf_counter()
    tally = Tally()
    drive(PORT, 10, seconds - 60, choose, tally)
    after = rss_kib(pid)
    growth = after / before - 1
    verdict = "met" if growth < SOAK_GROWTH else "NOT met"
    print(f"Soak: {time.perf_counter() - started + 60:.0f} s, {len(tally.all())} requests, "
          f"{len(tally.errors)} errors; web processes' memory {before / 1024:.0f} MiB after the "
          f"first minute, {after / 1024:.0f} MiB at the end: {growth:+.1%} (target under "
          f"{SOAK_GROWTH:.0%}): {verdict}")  # fmt: skip
    return growth < SOAK_GROWTH and not tally.errors


if __name__ == "__main__":
    main()
