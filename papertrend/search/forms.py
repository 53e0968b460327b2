"""The search page's parameters, validated by a Django form.

Every parameter is optional; an invalid one (a date like ``2024-13-45``, an
unknown mode) is dropped with a message rather than failing the page.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict

from papertrend.search.service import MODES, SORTS, SearchFilters

_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")
MAX_CATEGORIES = 10


class SearchForm(forms.Form):
    """``q``, ``page``, ``mode``, ``sort``, ``category`` (comma- or space-separated
    codes or archives), ``from`` / ``to`` (YYYY-MM-DD), ``has_code``, ``official_code``."""

    q = forms.CharField(required=False, strip=True)
    page = forms.IntegerField(required=False, min_value=1)
    mode = forms.ChoiceField(required=False, choices=[(m, m) for m in MODES])
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS])
    category = forms.CharField(required=False, max_length=500)
    from_ = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    has_code = forms.BooleanField(required=False)
    official_code = forms.BooleanField(required=False)

    def __init__(self, data: object = None) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        # ``from`` is a Python keyword: the field is ``from_`` and reads ``?from=``.
        self.fields["from"] = self.fields.pop("from_")

    def clean_category(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("category") or ""
        codes = [c for c in re.split(r"[\s,]+", raw) if c][:MAX_CATEGORIES]
        bad = [c for c in codes if not _CATEGORY.match(c)]
        if bad:
            raise forms.ValidationError(f"not an arXiv category or archive: {bad[0][:40]}")
        return tuple(dict.fromkeys(codes))

    def usable(self, name: str, default: object = None) -> object:
        """The cleaned value of ``name``, or ``default`` when it was invalid or absent."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def filters(self) -> SearchFilters:
        categories = self.usable("category", ())
        return SearchFilters(
            categories=categories,  # type: ignore[arg-type]
            published_from=self.usable("from"),  # type: ignore[arg-type]
            published_to=self.usable("to"),  # type: ignore[arg-type]
            has_code=bool(self.usable("has_code", False)),
            official_code=bool(self.usable("official_code", False)),
        )

    def search_arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``service.search_papers`` for these parameters, all but
        the page: ``q``, ``filters``, ``sort``, ``mode`` (invalid ones at their defaults).
        The page, the feeds and the BibTeX export all search through this."""
        return {
            "q": str(self.usable("q", "")),
            "filters": self.filters(),
            "sort": str(self.usable("sort", "relevance")),
            "mode": str(self.usable("mode", "hybrid")),
        }

    def problems(self) -> list[str]:
        """One sentence per parameter that was ignored."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        names = {"from": "start date", "to": "end date", "category": "category"}
        return [
            f"The {names.get(field, field)} was ignored: {' '.join(str(e) for e in errors)}"
            for field, errors in self.errors.items()
            if field in names
        ]


def search_parameters(query: QueryDict) -> dict[str, str]:
    """The search parameters of a request (``q``, ``mode``, ``sort``, ``category``,
    ``from``, ``to``, ``has_code``, ``official_code``) that were given, for links to the same search
    elsewhere (the page from a feed); the page number is left out."""
    names = ("q", "mode", "sort", "category", "from", "to", "has_code", "official_code")
    given = {name: str(query.get(name) or "") for name in names}
    return {name: value[:1000] for name, value in given.items() if value}
