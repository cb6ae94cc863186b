from rest_framework import serializers

from .models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "email", "name", "is_staff", "date_joined")
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class RegistrationAcceptedSerializer(serializers.Serializer):
    """The same for a new and a taken address, so registering cannot be used to find accounts."""

    email = serializers.EmailField(help_text="The address, as it is stored (lower case).")
    detail = serializers.CharField()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    """Documents the token responses."""

    access = serializers.CharField()
    refresh = serializers.CharField()
