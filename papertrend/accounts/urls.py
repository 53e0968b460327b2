"""Routes for accounts (``/accounts/…``), upvotes (``/papers/<key>/upvote``) and ``/submit``.

Included at the site root *before* the papers routes, whose ``papers/<path:key>``
would otherwise take ``/papers/<key>/upvote`` for a paper key.
"""

from django.urls import path

from papertrend.accounts import signin, views

app_name = "accounts"
urlpatterns = [
    path("accounts/signup", views.signup, name="signup"),
    # Throttled per account and per IP (accounts.signin), as is /admin/login/.
    path("accounts/login", signin.throttled(views.SignInView.as_view()), name="login"),
    path("accounts/logout", views.SignOutView.as_view(), name="logout"),
    path("papers/<path:key>/upvote", views.vote, {"action": "upvote"}, name="upvote"),
    path("papers/<path:key>/unvote", views.vote, {"action": "unvote"}, name="unvote"),
    path("submit", views.submit, name="submit"),
]
