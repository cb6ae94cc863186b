"""Auth endpoints: register, JWT pair, refresh with rotation + blacklist, logout, me."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from reelmate.api.ratelimit import limit_per_ip

from . import services
from .serializers import LogoutSerializer, RegisterSerializer, TokenPairSerializer, UserSerializer


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer}, tags=["auth"])
    @limit_per_ip("auth-register", "RATELIMIT_AUTH")
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(jwt_views.TokenObtainPairView):
    """Email + password → `{access, refresh}`; wrong credentials → 401."""

    authentication_classes: list = []

    @extend_schema(responses={200: TokenPairSerializer,
                              401: OpenApiResponse(description="`no_active_account`: wrong email or password.")},
                   tags=["auth"])
    @limit_per_ip("auth-login", "RATELIMIT_AUTH")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshView(jwt_views.TokenRefreshView):
    """Refresh → a new pair; the refresh used is blacklisted (rotation), so it works only once."""

    authentication_classes: list = []

    @extend_schema(responses={200: TokenPairSerializer, 401: OpenApiResponse(
        description="`token_not_valid`: the refresh token is invalid, expired or already used.")}, tags=["auth"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    @extend_schema(request=LogoutSerializer, responses={204: None}, tags=["auth"])
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer}, tags=["auth"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)
