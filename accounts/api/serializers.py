from rest_framework import serializers


class FirmOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    plan = serializers.CharField()
    region = serializers.CharField()
    time_zone = serializers.CharField()
    texting_available = serializers.BooleanField()
    texting_unavailable_reason = serializers.CharField()


class WhoAmIOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="user.uuid")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    role = serializers.CharField()
    token_scope = serializers.CharField(allow_null=True)
    firm = FirmOutput()
