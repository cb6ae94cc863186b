from django.urls import re_path

from . import api

urlpatterns = [
    re_path(r"^register/?$", api.RegisterView.as_view(), name="auth-register"),
    re_path(r"^token/?$", api.TokenObtainView.as_view(), name="auth-token"),
    re_path(r"^token/refresh/?$", api.TokenRefreshView.as_view(), name="auth-token-refresh"),
    re_path(r"^logout/?$", api.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^me/?$", api.MeView.as_view(), name="auth-me"),
]
