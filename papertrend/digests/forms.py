"""Forms: subscribing (an email address only) and a subscription's preferences."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from django import forms

from papertrend.digests.models import Subscriber

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MAX_TOP_TRENDING = 50
MAX_CATEGORIES = 20
MAX_AUTHORS = 20
# arXiv category codes: "cs.LG", "math.AG", "hep-th", "astro-ph.CO", "q-bio.NC".
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2})?$")


@cache
def timezone_names() -> frozenset[str]:
    """IANA zone names the system knows, less the tzdata internals nobody lives in."""
    return frozenset(zoneinfo.available_timezones()) - {"Factory", "localtime", "posixrules"}


class SubscribeForm(forms.Form):
    """Just an email address; lower-cased, as ``Subscriber.email`` is stored."""

    email = forms.EmailField(max_length=254, label="Email address")

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class PreferencesForm(forms.ModelForm):
    """What a digest holds and when it comes.

    ``categories`` is typed space- or comma-separated (``cs.LG cs.CL``); ``authors`` one
    per line (names contain commas). ``similar_to_saved`` is offered only to
    subscriptions attached to an account. ``timezone`` must be an IANA zone name.
    """

    categories = forms.CharField(
        required=False,
        help_text="arXiv categories, separated by spaces or commas, e.g. cs.LG cs.CL",
    )
    authors = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="one name per line"
    )
    top_trending = forms.IntegerField(
        min_value=0,
        max_value=MAX_TOP_TRENDING,
        label="Top trending papers",
        help_text="how many of the top trending papers (0: none)",
    )
    weekday = forms.TypedChoiceField(
        coerce=int,
        choices=list(enumerate(WEEKDAYS)),
        help_text="for weekly digests",
    )
    hour = forms.TypedChoiceField(
        coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)], help_text="local time"
    )
    timezone = forms.CharField(
        max_length=64,
        widget=forms.TextInput(attrs={"list": "timezones"}),
        help_text="IANA time zone, e.g. Europe/Paris or America/New_York",
    )

    class Meta:
        model = Subscriber
        fields = [
            "top_trending",
            "categories",
            "query",
            "authors",
            "similar_to_saved",
            "frequency",
            "weekday",
            "hour",
            "timezone",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.user_id is None:
            del self.fields["similar_to_saved"]
        if not self.is_bound:
            self.initial["categories"] = " ".join(self.instance.categories or [])
            self.initial["authors"] = "\n".join(self.instance.authors or [])

    def clean_categories(self) -> list[str]:
        raw = str(self.cleaned_data.get("categories") or "")
        codes = list(dict.fromkeys(code for code in re.split(r"[\s,]+", raw) if code))
        bad = [code for code in codes if not _CATEGORY.match(code)]
        if bad:
            raise forms.ValidationError(f"Not an arXiv category: {', '.join(bad)}")
        if len(codes) > MAX_CATEGORIES:
            raise forms.ValidationError(f"At most {MAX_CATEGORIES} categories.")
        return codes

    def clean_authors(self) -> list[str]:
        raw = str(self.cleaned_data.get("authors") or "")
        names = list(dict.fromkeys(" ".join(line.split()) for line in raw.splitlines()))
        names = [name for name in names if name]
        if len(names) > MAX_AUTHORS:
            raise forms.ValidationError(f"At most {MAX_AUTHORS} authors.")
        if any(len(name) > 200 for name in names):
            raise forms.ValidationError("An author name is too long.")
        return names

    def clean_query(self) -> str:
        return " ".join(str(self.cleaned_data.get("query") or "").split())

    def clean_timezone(self) -> str:
        name = str(self.cleaned_data["timezone"]).strip()
        if name not in timezone_names():
            raise forms.ValidationError("Unknown time zone; use a name like Europe/Paris.")
        return name
