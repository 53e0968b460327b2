"""Forms for signing up and submitting papers."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from papertrend.papers import identifiers


class SignUpForm(UserCreationForm):
    """Username, e-mail and password (twice), checked by ``AUTH_PASSWORD_VALIDATORS``.

    The e-mail is required and must not belong to another account (case-insensitive).
    """

    email = forms.EmailField(required=True, max_length=254, help_text="Never shown to others.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email


class SubmitForm(forms.Form):
    """An arXiv identifier or arxiv.org link (``2101.00001``, ``arXiv:2101.00001v2``, URLs)."""

    paper = forms.CharField(
        label="arXiv identifier or link",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "2101.00001 or https://arxiv.org/abs/…"}),
    )

    def clean_paper(self) -> str:
        raw = self.cleaned_data["paper"].strip()
        if not identifiers.is_valid(raw):
            raise forms.ValidationError(
                "That is not an arXiv identifier or arxiv.org link (try 2101.00001)."
            )
        return raw
