"""``{{ user|public_name }}``: the name a person chose to be shown under, or a neutral
stand-in — never their username or email address."""

from django import template

from mutuals.accounts.names import display_name

register = template.Library()


@register.filter
def public_name(user) -> str:
    return display_name(user)
