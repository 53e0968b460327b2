"""Forms for signing up and submitting papers."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from papertrend.papers import identifiers

# Names that are never given out, so "not available" does not prove an account exists.
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "staff", "support", "moderator", "papertrend", "system"}
)
USERNAME_NOT_AVAILABLE = "This username is not available. Please choose another."


class SignUpForm(UserCreationForm):
    """Username, e-mail and password (twice), checked by ``AUTH_PASSWORD_VALIDATORS``.

    The form says nothing about other accounts' e-mail addresses: an address may be
    given by more than one account (it is never verified, is not used to sign in, and
    refusing a taken one would tell anyone which addresses have accounts). A username
    must be free (case-insensitive) and not reserved; a taken one and a reserved one get
    the same "not available" message.
    """

    email = forms.EmailField(required=True, max_length=254, help_text="Never shown to others.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = str(self.cleaned_data.get("username") or "")
        taken = User.objects.filter(username__iexact=username).exists()
        if username.casefold() in RESERVED_USERNAMES or taken:
            raise forms.ValidationError(USERNAME_NOT_AVAILABLE, code="unavailable")
        return username

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip()


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
