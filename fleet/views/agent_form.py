"""**Create Fleet Agent** / **Edit Agent**: one form with four tabs (Discovery Criteria, SNMP Profile,
Scheduled Tasks, Other Settings), like the guide's. Its dialogs (Add Discovery Criteria to Include /
Exclude, Import, Create SNMP Profile) are buttons of the same form: each round trip keeps the draft
definition (profiles with their keys, criteria) in one encrypted hidden field, and nothing is stored before
**Create Agent** / **Save Changes** hands the whole definition to fleet.services.agents.save_fleet_agent.
Works without JavaScript."""
import json
from dataclasses import asdict, dataclass, field

from cryptography.fernet import InvalidToken
from django import forms
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from accounts.roles import Perm
from lexcloud import crypto
from lexcloud.csvfile import read_upload

from ..choices import AgentType, CriterionKind, SearchType
from ..forms.agents import CriteriaImportForm, CriterionForm, FleetAgentForm, SnmpProfileForm
from ..services import agents as agent_services
from ..services import criteria as criteria_text
from ..services.agents import CriterionSpec, ProfileSpec
from .agent_base import AgentsMixin

DRAFT_LIFETIME = 24 * 3600        # seconds a form may stay open between two round trips
KINDS = (CriterionKind.INCLUDE, CriterionKind.EXCLUDE)
TABS = ("criteria", "snmp", "tasks", "other")
TAB_OF_ERROR = {"criteria": "criteria", "profiles": "snmp", "discovery_interval": "tasks",
                "refresh_interval": "tasks", "log_level": "other", "network_delay": "other"}


@dataclass
class Draft:
    """The definition being edited: profiles (ProfileSpec values + id + default flag) and criteria."""

    profiles: list = field(default_factory=list)
    criteria: list = field(default_factory=list)
    editing: int | None = None      # index of the profile open in the SNMP profile dialog

    @classmethod
    def new(cls) -> "Draft":
        return cls(profiles=[{**agent_services.default_profile_spec().values(), "id": None, "default": True}])

    @classmethod
    def of(cls, agent) -> "Draft":
        profiles = [{**ProfileSpec.of(p).values(), "id": p.pk, "default": p.is_default}
                    for p in agent.snmp_profiles.all()]
        names = {p["id"]: p["name"] for p in profiles}
        criteria = [{"kind": c.kind, "address": c.address, "profile": names.get(c.profile_id, "")}
                    for c in agent.criteria.order_by("id")]
        return cls(profiles=profiles, criteria=criteria)

    @classmethod
    def load(cls, token: str) -> "Draft":
        try:
            return cls(**json.loads(crypto.fernet().decrypt(token.encode(), ttl=DRAFT_LIFETIME)))
        except (InvalidToken, ValueError, TypeError):
            raise SuspiciousOperation("The form expired or was altered: open it again.") from None

    def dump(self) -> str:
        return crypto.fernet().encrypt(json.dumps(asdict(self)).encode()).decode()

    def profile_names(self) -> list[str]:
        return [p["name"] for p in self.profiles]

    def default_name(self) -> str:
        return next(p["name"] for p in self.profiles if p["default"])

    def rows(self, kind):
        return [(i, c) for i, c in enumerate(self.criteria) if c["kind"] == kind]

    def has(self, kind, address, profile) -> bool:
        return any(c["kind"] == kind and c["address"] == address and c["profile"].lower() == profile.lower()
                   for c in self.criteria)

    def specs(self):
        profiles = [ProfileSpec(id=p["id"], **{n: p[n] for n in ProfileSpec.FIELDS}) for p in self.profiles]
        criteria = [CriterionSpec(c["kind"], c["address"], c["profile"]) for c in self.criteria]
        return profiles, criteria


def _carried(form_class, data, prefix=None, **kwargs):
    """An unbound form showing what was typed, without error messages (for round trips that do not submit
    that form)."""
    blank = form_class(prefix=prefix, **kwargs)
    initial = {name: f.widget.value_from_datadict(data, {}, blank.add_prefix(name))
               for name, f in blank.fields.items() if not isinstance(f, forms.FileField)}
    return form_class(prefix=prefix, initial=initial, **kwargs)


class FleetAgentFormView(AgentsMixin, TemplateView):
    template_name = "fleet/agents/fleet_form.html"
    permission = Perm.FLEET_MANAGE

    # ---- plumbing
    def target(self):
        """The agent being edited (None: Create Fleet Agent)."""
        return self.get_agent(kinds=(AgentType.FLEET,)) if "agent_id" in self.kwargs else None

    def get(self, request, *args, **kwargs):
        agent = self.target()
        self.draft = Draft.of(agent) if agent else Draft.new()
        initial = {"name": agent.name, "description": agent.description,
                   **{n: getattr(agent, n) for n in agent_services.FleetSettings.FIELDS}} if agent else {}
        self.forms = {"main": FleetAgentForm(initial=initial)}
        return self.show("criteria")

    def post(self, request, *args, **kwargs):
        self.agent_obj = self.target()
        self.draft = Draft.load(request.POST.get("state", ""))
        self.forms = {"main": _carried(FleetAgentForm, request.POST)}
        self.errors = {"criteria": [], "profiles": []}
        action = request.POST.get("action", "save")
        if action == "enter":
            action = self.enter_action()
        name, _, arg = action.partition(":")
        handler = getattr(self, f"do_{name}", None)
        if handler is None:
            raise SuspiciousOperation("unknown action")
        return handler(arg) if arg else handler()

    def enter_action(self) -> str:
        """Enter pressed in a field: add what was being typed there, else save."""
        for kind in KINDS:
            if self.request.POST.get(f"{kind}-address", "").strip():
                return f"add:{kind}"
        if self.request.POST.get("profile-name", "").strip():
            return "save_profile"
        return "save"

    def show(self, tab):
        return self.render_to_response(self.get_context_data(tab=tab))

    def get_context_data(self, **kwargs):
        draft = self.draft
        names = draft.profile_names()
        default = draft.default_name()
        forms_ = getattr(self, "forms", {})
        for kind in KINDS:
            forms_.setdefault(kind, CriterionForm(prefix=kind, profiles=names, initial={"profile": default},
                                                  exclude=kind == CriterionKind.EXCLUDE))
            forms_.setdefault(f"{kind}_import", CriteriaImportForm(prefix=f"{kind}-import"))
        if "profile" not in forms_:
            editing = draft.profiles[draft.editing] if draft.editing is not None else None
            shown = [n for n in ProfileSpec.FIELDS if n not in ProfileSpec.SECRETS]
            initial = {n: editing[n] for n in shown} if editing else {}
            forms_["profile"] = SnmpProfileForm(prefix="profile", initial=initial)
        agent = getattr(self, "agent_obj", None) or (self.target() if "agent_id" in self.kwargs else None)
        return super().get_context_data(
            agent=agent, draft_state=draft.dump(), form=forms_["main"], profile_form=forms_["profile"],
            include_form=forms_["include"], exclude_form=forms_["exclude"],
            include_import=forms_["include_import"], exclude_import=forms_["exclude_import"],
            include_rows=draft.rows(CriterionKind.INCLUDE), exclude_rows=draft.rows(CriterionKind.EXCLUDE),
            profiles=list(enumerate(draft.profiles)), editing=draft.editing,
            errors=getattr(self, "errors", {}), opened=getattr(self, "opened", ""), fleet_tab="agents",
            **kwargs)

    # ---- Discovery Criteria tab
    def _kind(self, kind):
        if kind not in KINDS:
            raise SuspiciousOperation("unknown criteria list")
        return kind

    def do_add(self, kind):
        """**Add Discovery Criteria**: one or more addresses (one per line or comma-separated)."""
        kind = self._kind(kind)
        names = self.draft.profile_names()
        form = CriterionForm(self.request.POST, prefix=kind, profiles=names,
                             exclude=kind == CriterionKind.EXCLUDE)
        self.forms[kind] = form
        if not form.is_valid():
            return self.show("criteria")
        profile = form.cleaned_data.get("profile", "") if kind == CriterionKind.INCLUDE else ""
        texts = criteria_text.split_addresses(form.cleaned_data["address"])
        added = []
        try:
            if not texts:
                raise ValidationError("Enter an address.")
            for text in texts:
                address = criteria_text.normalize_address(text)
                if self.draft.has(kind, address, profile) or (kind, address) in added:
                    raise ValidationError(f'"{address}" is already in the list'
                                          + (f' with the SNMP profile "{profile}".' if profile else "."))
                added.append((kind, address))
        except ValidationError as error:
            form.add_error("address", error)
            return self.show("criteria")
        self.draft.criteria += [{"kind": kind, "address": a, "profile": profile} for _k, a in added]
        self.forms.pop(kind)
        self.opened = f"add:{kind}"      # ready for the next address
        return self.show("criteria")

    def _selected(self, kind):
        chosen = {int(i) for i in self.request.POST.getlist(f"selected_{kind}") if i.isdigit()}
        return [i for i, _c in self.draft.rows(kind) if i in chosen]

    def do_delete(self, kind):
        kind = self._kind(kind)
        chosen = set(self._selected(kind))
        if not chosen:
            self.errors["criteria"].append("Select one or more addresses.")
        self.draft.criteria = [c for i, c in enumerate(self.draft.criteria) if i not in chosen]
        return self.show("criteria")

    def do_export(self, kind):
        """**Export** the selected addresses (all when none is selected) in the import format."""
        kind = self._kind(kind)
        chosen = set(self._selected(kind)) or {i for i, _c in self.draft.rows(kind)}
        rows = [(c["address"], c["profile"]) for i, c in self.draft.rows(kind) if i in chosen]
        content = criteria_text.criteria_csv(rows, kind)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="discovery-criteria-{kind}.csv"'
        return response

    def do_import(self, kind):
        kind = self._kind(kind)
        form = CriteriaImportForm(self.request.POST, self.request.FILES, prefix=f"{kind}-import")
        self.forms[f"{kind}_import"] = form
        upload = self.request.FILES.get(f"{kind}-import-file")
        try:
            if upload is None:
                raise ValidationError("Choose a CSV or TXT file.")
            _name, content = read_upload(upload)
            rows = criteria_text.parse_criteria_file(content, kind, set(self.draft.profile_names()))
        except ValidationError as error:
            form.is_valid()
            form.add_error("file", error)
            return self.show("criteria")
        if form.is_valid() and form.cleaned_data["overwrite"]:
            self.draft.criteria = [c for c in self.draft.criteria if c["kind"] != kind]
        added = 0
        for row in rows:
            profile = (row.profile or self.draft.default_name()) if kind == CriterionKind.INCLUDE else ""
            if not self.draft.has(kind, row.address, profile):
                self.draft.criteria.append({"kind": kind, "address": row.address, "profile": profile})
                added += 1
        skipped = len(rows) - added
        messages.info(self.request, f"{added} address{'es' if added != 1 else ''} imported"
                                    + (f", {skipped} already listed." if skipped else "."))
        self.forms[f"{kind}_import"] = CriteriaImportForm(prefix=f"{kind}-import")
        return self.show("criteria")

    # ---- SNMP Profile tab
    def _index(self, arg) -> int:
        if not arg.isdigit() or int(arg) >= len(self.draft.profiles):
            raise SuspiciousOperation("unknown profile")
        return int(arg)

    def do_edit_profile(self, arg):
        self.draft.editing = self._index(arg)
        return self.show("snmp")

    def do_cancel_profile(self):
        self.draft.editing = None
        return self.show("snmp")

    def do_save_profile(self):
        """**Create SNMP Profile** (or save the profile open in the dialog)."""
        form = SnmpProfileForm(self.request.POST, prefix="profile")
        self.forms["profile"] = form
        if not form.is_valid():
            return self.show("snmp")
        spec = form.spec()
        editing = self.draft.editing
        current = self.draft.profiles[editing] if editing is not None else None
        if current is not None:
            for name in ProfileSpec.SECRETS:   # left blank: the keys stay
                if not getattr(spec, name):
                    setattr(spec, name, current[name])
        try:
            spec.clean()
            others = [p["name"].lower() for i, p in enumerate(self.draft.profiles) if i != editing]
            if spec.name.lower() in others:
                raise ValidationError({"name": f'An SNMP profile named "{spec.name}" already exists.'})
        except ValidationError as error:
            form.apply_service_error(error)
            return self.show("snmp")
        values = {**spec.values(), "id": current["id"] if current else None,
                  "default": current["default"] if current else False}
        if current is None:
            self.draft.profiles.append(values)
        else:
            for criterion in self.draft.criteria:
                if criterion["profile"] == current["name"]:
                    criterion["profile"] = spec.name
            self.draft.profiles[editing] = values
        self.draft.editing = None
        self.forms.pop("profile")
        return self.show("snmp")

    def do_delete_profile(self, arg):
        index = self._index(arg)
        profile = self.draft.profiles[index]
        if profile["default"]:
            self.errors["profiles"].append(agent_services.DEFAULT_NOT_DELETABLE)
            return self.show("snmp")
        self.draft.profiles.pop(index)
        dropped = [c for c in self.draft.criteria
                   if c["kind"] == CriterionKind.INCLUDE and c["profile"] == profile["name"]]
        self.draft.criteria = [c for c in self.draft.criteria if c not in dropped]
        if dropped:
            self.errors["profiles"].append(f"{len(dropped)} discovery criteria used this profile and were "
                                           "removed.")
        self.draft.editing = None
        return self.show("snmp")

    # ---- Create Agent / Save Changes
    def do_save(self):
        form = FleetAgentForm(self.request.POST)
        self.forms["main"] = form
        if not form.is_valid():
            return self.show(self._tab_of(form.errors))
        profiles, criteria = self.draft.specs()
        try:
            agent = agent_services.save_fleet_agent(
                self.organization, agent=self.agent_obj, name=form.cleaned_data["name"],
                description=form.cleaned_data["description"], settings_=form.fleet_settings(),
                profiles=profiles, criteria=criteria, user=self.request.user)
        except ValidationError as error:
            details = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            self.errors["criteria"] += details.pop("criteria", [])
            self.errors["profiles"] += details.pop("profiles", [])
            if details:
                form.apply_service_error(ValidationError(details))
            tab = ("criteria" if self.errors["criteria"] else "snmp" if self.errors["profiles"]
                   else self._tab_of(details))
            return self.show(tab)
        if form.cleaned_data["network_delay"] < agent_services.NETWORK_DELAY_DEFAULT:
            messages.warning(self.request, agent_services.NETWORK_DELAY_WARNING)
        if self.agent_obj is None:
            messages.success(self.request, f"{agent.name} created. Install the agent and activate it with "
                                           "its activation code.")
        else:
            messages.success(self.request, "Changes saved. They take effect immediately.")
        return redirect("fleet:agent", org_id=self.organization.pk, agent_id=agent.pk)

    def _tab_of(self, errors) -> str:
        if "search_type" in errors and self.request.POST.get("search_type") == SearchType.ADVANCED:
            return "criteria"
        for name in errors:
            if name in TAB_OF_ERROR:
                return TAB_OF_ERROR[name]
        tab = self.request.POST.get("tab")
        return tab if tab in TABS else "criteria"
