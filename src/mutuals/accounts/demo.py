"""The demo's sign-in accounts: one per role, usable only while DEBUG is on."""

from __future__ import annotations

from django.contrib.auth import get_user_model

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


def ensure_demo_users() -> list[str]:
    """Create (or reset the password of) the demo accounts; returns their user names."""
    model = get_user_model()
    names = []
    for role, full_name in DEMO_USERS:
        email = f"{role}@{DEMO_DOMAIN}"
        user, _ = model.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": full_name}
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = role == "auditor"
        user.save()
        names.append(email)
    return names
