"""What Quota Assignments and Print Policy Assignments share: a rule given to a cost center, a department (by
name, as in Account Management) or one user. The organization setting "Assign ... by" says which kinds count;
a personal assignment beats a group one, which beats the default (printmgmt.services.assignments)."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User

from ..choices import AssignmentType


class Assignment(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("Type", max_length=16, choices=AssignmentType.choices)
    name = models.CharField("Cost center or department", max_length=150, blank=True)   # groups only
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")  # personal
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.get_kind_display()}: {self.target}"

    @property
    def target(self) -> str:
        return self.user.email if self.kind == AssignmentType.PERSONAL and self.user_id else self.name

    @classmethod
    def constraints_for(cls, prefix: str) -> list:
        """One assignment per user, per cost center and per department of an organization; personal rows
        name a user and group rows a name."""
        return [
            models.UniqueConstraint(fields=["organization", "user"], condition=Q(kind=AssignmentType.PERSONAL),
                                    name=f"{prefix}_personal_unique"),
            models.UniqueConstraint(fields=["organization", "kind", "name"], condition=~Q(kind=AssignmentType.PERSONAL),
                                    name=f"{prefix}_group_unique"),
            models.CheckConstraint(condition=(Q(kind=AssignmentType.PERSONAL, user__isnull=False, name="")
                                              | (~Q(kind=AssignmentType.PERSONAL) & Q(user__isnull=True) & ~Q(name=""))),
                                   name=f"{prefix}_target"),
        ]
