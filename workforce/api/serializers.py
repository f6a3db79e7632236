from rest_framework import serializers

from workforce.models import Centre, RosterImport, Team, User


class CentreRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Centre
        fields = ["id", "name"]


class TeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name"]


class CentreSerializer(serializers.ModelSerializer):
    people_count = serializers.IntegerField(read_only=True)
    team_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Centre
        fields = ["id", "name", "county", "province", "address", "people_count", "team_count"]


class TeamSerializer(serializers.ModelSerializer):
    centre = CentreRefSerializer(read_only=True)
    lead = PersonRefSerializer(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "centre", "lead", "member_count"]


class MeSerializer(serializers.ModelSerializer):
    centre = CentreRefSerializer(read_only=True)
    roles = serializers.SerializerMethodField()
    teams = TeamRefSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "mobile", "centre", "roles", "teams"]

    def get_roles(self, user) -> list[str]:
        return sorted(user.roles)


class WorkerSerializer(serializers.ModelSerializer):
    """A person as HR and managers see them: ID number and bank account masked. Profile
    fields are null for accounts without a worker profile (e.g. made in the admin)."""

    centre = CentreRefSerializer(read_only=True)
    teams = TeamRefSerializer(source="team_list", many=True, read_only=True)
    roles = serializers.SerializerMethodField()
    gender = serializers.CharField(source="profile.gender", read_only=True, default="", allow_null=True)
    birth_date = serializers.DateField(source="profile.birth_date", read_only=True, default=None, allow_null=True)
    education = serializers.CharField(source="profile.education", read_only=True, default="", allow_null=True)
    hire_date = serializers.DateField(source="profile.hire_date", read_only=True, default=None, allow_null=True)
    employment_type = serializers.CharField(
        source="profile.employment_type", read_only=True, default="", allow_null=True
    )
    id_number = serializers.CharField(source="profile.id_number_masked", read_only=True, default="", allow_null=True)
    bank_name = serializers.CharField(source="profile.bank_name", read_only=True, default="", allow_null=True)
    bank_account = serializers.CharField(
        source="profile.bank_account_masked", read_only=True, default="", allow_null=True
    )

    class Meta:
        model = User
        fields = [
            "id", "username", "name", "mobile", "is_active", "centre", "teams", "roles",
            "gender", "birth_date", "education", "hire_date", "employment_type",
            "id_number", "bank_name", "bank_account",
        ]  # fmt: skip
        read_only_fields = fields

    def get_roles(self, user) -> list[str]:
        return [grant.role for grant in user.role_list]


class RosterImportSerializer(serializers.ModelSerializer):
    rejected = serializers.IntegerField(read_only=True)

    class Meta:
        model = RosterImport
        fields = [
            "id", "status", "original_name", "total", "processed", "created", "updated", "unchanged", "rejected",
            "errors", "failure", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class RosterImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv or .xlsx roster, one row per person.")
    initial_password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, min_length=8,
        help_text="Password given to people this file creates (they can log in with their mobile).",
    )  # fmt: skip
