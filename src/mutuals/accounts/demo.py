"""The demo's sign-in accounts: who they are; they sign in only while DEBUG is on.

Creating them and placing them in the demo world is the demo's job
(:mod:`mutuals.demo.accounts`).
"""

from __future__ import annotations

DEMO_DOMAIN = "demo.invalid"
DEMO_PASSWORD = "mutuals-demo-2011"
DEMO_USERS = (
    ("commissioner", "Demo commissioner"),
    ("provider", "Demo provider manager"),
    ("staff", "Demo staff member"),
    ("auditor", "Demo auditor"),
)


def is_demo_account(username: str) -> bool:
    return username.lower().endswith("@" + DEMO_DOMAIN)
