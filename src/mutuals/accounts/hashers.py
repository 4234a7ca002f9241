"""How passwords are stored: Argon2id at the cost OWASP's password storage guidance sets as
its first recommended configuration (19 MiB of memory, 2 passes, 1 lane).

Django's own Argon2 default asks for 100 MiB and 8 lanes: about a third of a second of
both processors of a two-core server for every sign-in, so that a few dozen staff signing
in to vote at once queue every other page behind them (measured in
``benchmarks/bench_ballot.py``), and anyone able to post sign-in attempts can occupy the
server. At 19 MiB and one lane a sign-in costs about 40 ms of one processor, and a stolen
hash still costs an attacker 19 MiB of memory per guess. A password stored at the old cost
still verifies, and is stored again at this cost when its owner next signs in (Django
rehashes a password whose parameters differ).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB, 2 passes, 1 lane (OWASP's minimum recommended configuration)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
