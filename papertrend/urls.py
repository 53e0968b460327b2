"""URL routes: pages from each app, and the admin."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from papertrend.accounts.signin import admin_login

admin.site.site_header = "papertrend administration"
admin.site.site_title = "papertrend admin"

urlpatterns = [
    # The admin's sign-in, throttled per account and per IP like /accounts/login.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("papertrend/favicon.svg"), permanent=True)),
    path("search", include("papertrend.search.urls")),
    path("", include("papertrend.api.urls")),
    path("", include("papertrend.accounts.urls")),
    path("", include("papertrend.trending.urls")),
    path("digests/", include("papertrend.digests.urls")),
    path("", include("papertrend.papers.urls")),
]
