"""Template filters for code links: ``{% load code_tags %}``."""

from __future__ import annotations

from django import template

from papertrend.coderepos.models import PaperRepository

register = template.Library()


@register.filter
def framework_name(value: str) -> str:
    """Papers with Code's framework value as people write it ("pytorch" -> "PyTorch")."""
    return PaperRepository.FRAMEWORK_NAMES.get(value, value)
