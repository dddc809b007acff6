from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from accounts.security import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    # The inquiry first: the patterns are tried in order, and its register takes the rush.
    path("", include("inquiry.urls")),
    path("admin/", admin.site.urls),
    # Staff sign in here (the admin's own login admits only administrators).
    path(
        "connexion/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularRedocView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/planning/", include("planning.urls")),
    path("api/v1/", include("publish.urls")),
    path("planning/", include("planning.web_urls")),
    path("", include("watch.urls")),
    path("", include("web.urls")),
]
