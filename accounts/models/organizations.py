"""Organizations, users, groups, role assignments and user imports: the tenancy backbone of every portal."""
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..choices import GroupKind, ImportStatus, OrganizationKind, OrganizationStatus, Region, Service
from ..querysets import OrgScopedQuerySet
from ..roles import ROLE_CHOICES


def default_entitlements():
    return [Service.ACCOUNT.value]


class OrganizationQuerySet(OrgScopedQuerySet):
    org_field = "pk"


class Organization(models.Model):
    """"Represents the overall account for a specific customer." Partners have child organizations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.CUSTOMER)
    region = models.CharField(max_length=4, choices=Region.choices, default=Region.US)
    entitlements = models.JSONField(default=default_entitlements, blank=True)
    status = models.CharField(max_length=20, choices=OrganizationStatus.choices, default=OrganizationStatus.ACTIVE)
    mps_express_enabled = models.BooleanField(default=False)
    deletion_requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_partner(self) -> bool:
        return self.kind == OrganizationKind.PARTNER

    @property
    def federation_enabled(self) -> bool:
        """Users sign in through the organization's identity provider (printer login rules depend on it)."""
        provider = getattr(self, "identity_provider", None)  # the reverse one-to-one, None when there is none
        return bool(provider and provider.enabled)

    @property
    def pending_deletion(self) -> bool:
        return self.status == OrganizationStatus.PENDING_DELETION

    def is_entitled(self, service: str) -> bool:
        return service == Service.ACCOUNT or service in self.entitlements

    def ancestors(self) -> list["Organization"]:
        chain, org = [], self.parent
        while org is not None:
            chain.append(org)
            org = org.parent
        return chain


class UserQuerySet(OrgScopedQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, organization, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), organization=organization, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """"An individual who has access to the website." The e-mail address is the account name."""

    email = models.EmailField(unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="users")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    display_name = models.CharField(max_length=150, blank=True)
    shortname = models.CharField(max_length=150, blank=True)
    department = models.CharField(max_length=150, blank=True)
    cost_center = models.CharField(max_length=150, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    # created by Print Management for a guest of e-mail submission (the guide's "unique identifier ... in the
    # identity provider for guest print"): prints with a PIN, never signs in to the portal
    is_guest = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        # the users list: one organization's users in e-mail order, a page at a time
        indexes = [models.Index(fields=["organization", "email"], name="user_org_email")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.display_name or " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class Group(models.Model):
    """"A collection of users that can be managed with a common set of roles or permissions."
    Child Organization Access groups live in a partner organization; their roles apply in every child."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=32, choices=GroupKind.choices, default=GroupKind.ORGANIZATION_ACCESS)
    predefined = models.BooleanField(default=False)
    members = models.ManyToManyField(User, related_name="member_of", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="group_name_unique_in_org")]

    def __str__(self):
        return self.name

    @property
    def is_child_access(self) -> bool:
        return self.kind == GroupKind.CHILD_ORGANIZATION_ACCESS


class RoleAssignment(models.Model):
    """One role held by a user, a group, or the whole organization (when neither is set)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=64, choices=ROLE_CHOICES)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="role_assignments")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="role_assignments")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=True) | Q(group__isnull=True), name="role_one_holder"),
            models.UniqueConstraint(fields=["user", "role"], condition=Q(user__isnull=False), name="user_role_unique"),
            models.UniqueConstraint(fields=["group", "role"], condition=Q(group__isnull=False), name="group_role_unique"),
            models.UniqueConstraint(fields=["organization", "role"], condition=Q(user__isnull=True, group__isnull=True),
                                    name="org_role_unique"),
        ]

    def __str__(self):
        return f"{self.role} ({self.source})"

    @property
    def source(self) -> str:
        return "user" if self.user_id else "group" if self.group_id else "organization"


class UserImport(models.Model):
    """A CSV/TXT user import run in the background; holds its progress and its log."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="user_imports")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255)
    content = models.TextField()
    send_password_links = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
