"""/api/v1/organizations/{org_id}/print/policies/...: Print Policies (list, create, read, change, delete,
duplicate) and Print Policy Assignments (list, assign, remove). Print Release Management Administrators only.
Thin: the shapes here, every rule in printmgmt.services.policies."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm

from ..choices import AssignmentType
from ..models import PrintPolicy, PrintPolicyAssignment
from ..services import policies as policy_services


class PolicyWindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday.")
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M", help_text="At or before start: the window ends the next day.")


class PrintPolicySerializer(serializers.ModelSerializer):
    start = serializers.TimeField(write_only=True, required=False, allow_null=True, format="%H:%M",
                                  help_text="All days / Monday-Friday: the Start time (printer's local time).")
    end = serializers.TimeField(write_only=True, required=False, allow_null=True, format="%H:%M",
                                help_text="All days / Monday-Friday: the End time; at or before start: next day.")
    windows = PolicyWindowSerializer(many=True, required=False,
                                     help_text="Allowed days and times (one per weekday). Write it for Custom.")
    schedule = serializers.SerializerMethodField(help_text="The days and times in words.")

    class Meta:
        model = PrintPolicy
        fields = ["id", "name", "is_default", "force_mono", "mono_min_pages", "force_duplex", "duplex_binding",
                  "duplex_scope", "duplex_mono_min_pages", "duplex_color_min_pages", "limit_times", "days",
                  "start", "end", "windows", "schedule", "created_at", "updated_at"]
        read_only_fields = ["id", "is_default", "created_at", "updated_at"]
        validators = []   # unique names: printmgmt.services.policies

    def get_schedule(self, policy) -> str:
        return policy_services.describe_windows(policy)

    def to_representation(self, policy):
        data = super().to_representation(policy)
        data["windows"] = PolicyWindowSerializer(policy.windows.all(), many=True).data
        return data

    def service_values(self) -> dict:
        values = dict(self.validated_data)
        if "windows" in values:
            values["windows"] = [(w["weekday"], w["start"], w["end"]) for w in values["windows"]]
        return values


class DuplicatePolicySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="A unique name for the copy.")


class PolicyAssignmentSerializer(serializers.ModelSerializer):
    target = serializers.CharField(help_text="A cost center or department name, or a user's e-mail address.")
    policy = serializers.PrimaryKeyRelatedField(queryset=PrintPolicy.objects.none())
    policy_name = serializers.CharField(source="policy.name", read_only=True)

    class Meta:
        model = PrintPolicyAssignment
        fields = ["id", "kind", "target", "policy", "policy_name", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view = self.context.get("view")
        if view is not None and getattr(view, "organization", None) is not None:
            self.fields["policy"].queryset = PrintPolicy.objects.filter(organization=view.organization)


class PolicyScopedMixin(OrgScopedAPIMixin):
    permission = Perm.PRINT_ADMIN
    serializer_class = PrintPolicySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrintPolicy.objects.none()
        policy_services.default_policy(self.organization)
        return self.scoped(PrintPolicy.objects).prefetch_related("windows")


class PolicyListAPI(PolicyScopedMixin, generics.ListCreateAPIView):
    """Print Policies (the Default Print Policy first); POST creates one."""

    def perform_create(self, serializer):
        serializer.instance = policy_services.create_policy(self.organization, by=self.request.user,
                                                            **serializer.service_values())


class PolicyDetailAPI(PolicyScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    """One policy: PATCH changes the given settings (the Default Print Policy too); DELETE removes it (not the
    default), its assignees falling back to the next rule."""

    lookup_url_kwarg = "policy_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        serializer.instance = policy_services.update_policy(serializer.instance, by=self.request.user,
                                                            **serializer.service_values())

    def perform_destroy(self, instance):
        policy_services.delete_policy(instance, by=self.request.user)


class PolicyDuplicateAPI(PolicyScopedMixin, generics.GenericAPIView):
    """Duplicate: a new policy with this one's settings under a unique name."""

    lookup_url_kwarg = "policy_id"

    @extend_schema(request=DuplicatePolicySerializer, responses={201: PrintPolicySerializer})
    def post(self, request, org_id, policy_id):
        body = DuplicatePolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        copy = policy_services.duplicate_policy(self.get_object(), body.validated_data["name"], by=request.user)
        return Response(PrintPolicySerializer(copy).data, status=status.HTTP_201_CREATED)

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_object()   # another organization's id answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)


class AssignmentScopedMixin(OrgScopedAPIMixin):
    permission = Perm.PRINT_ADMIN
    serializer_class = PolicyAssignmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrintPolicyAssignment.objects.none()
        rows = self.scoped(PrintPolicyAssignment.objects).select_related("policy", "user")
        params = self.request.query_params
        if params.get("kind"):
            rows = rows.filter(kind=params["kind"])
        if params.get("policy", "").isdigit():
            rows = rows.filter(policy_id=int(params["policy"]))
        return rows


class PolicyAssignmentListAPI(AssignmentScopedMixin, generics.ListCreateAPIView):
    """Print Policy Assignments; POST assigns a policy to a cost center, department or user (again: replaces)."""

    @extend_schema(parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=AssignmentType.values, description="Only this type."),
        OpenApiParameter("policy", OpenApiTypes.INT, description="Print Policy Assigned: only this policy's.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        rows = policy_services.assign_policy(self.organization, data["policy"], data["kind"], [data["target"]],
                                             by=self.request.user)
        serializer.instance = rows[0]


class PolicyAssignmentDetailAPI(AssignmentScopedMixin, generics.RetrieveDestroyAPIView):
    """One assignment; DELETE is Remove Policy."""

    lookup_url_kwarg = "policy_assignment_id"

    def perform_destroy(self, instance):
        policy_services.remove_assignment(instance, by=self.request.user)
