"""The sandbox org's security model, declared as data: profiles, permission sets, org-wide defaults.

Salesforce grants access in layers (Salesforce Security Guide, "Control Who Sees What"; "Salesforce
Record Access: Under the Hood"):

- **object permissions** (Read, Create, Edit, Delete, View All, Modify All) and **field-level
  security** (Read, Edit per field) come from the user's *profile* plus every *permission set*
  assigned to them — permissions only add up, nothing a set grants can be taken away by another;
- the system permissions **View All Data** / **Modify All Data** (System Administrator, the
  integration user) give Read / Edit on every record of every object;
- **organization-wide defaults** (OWD) give the baseline record access for records a user does not
  own: Private, Public Read Only, Public Read/Write, or Controlled by Parent (a contact follows its
  account, an opportunity's history follows the opportunity);
- **ownership and the role hierarchy**: the owner has full access to a record, and users above the
  owner's role have the owner's access ("Grant Access Using Hierarchies", always on for standard
  objects).  Users in the same role do not see each other's private records.

The sandbox keeps no Profile object in its catalog (adding one, or ``User.ProfileId``, would change
the schema the pipeline syncs): a user's profile follows from their role and department by
:func:`profile_name` — the seed's org chart decides it, deterministically.  Permission sets are the
org's ``PermissionSet`` records, assigned through ``PermissionSetAssignment`` (active, not revoked,
not expired), so revoking an assignment changes what the user sees at once.

Fields that are not "permissionable" (``Id``, required fields, system audit fields) are always
readable on a readable object, as in Salesforce (Field Permissions: "you can't remove access to
required fields").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .seed import INTEGRATION_USERNAME, SALES_HOME_PERMISSION_SET


class Sharing(StrEnum):
    """An organization-wide default (the ``Default Internal Access`` column of Sharing Settings)."""

    PRIVATE = "Private"
    READ = "Read"  # Public Read Only
    READ_WRITE = "ReadWrite"  # Public Read/Write
    CONTROLLED_BY_PARENT = "ControlledByParent"


# Sharing Settings of the seeded org.  Objects not listed have no record-level sharing (setup objects,
# picklist-like objects): whoever can read the object reads every record.
ORG_WIDE_DEFAULTS: Mapping[str, Sharing] = MappingProxyType({
    "Account": Sharing.READ,
    "Contact": Sharing.CONTROLLED_BY_PARENT,  # parent: Account; a contact without an account is private
    "Opportunity": Sharing.PRIVATE,
    "Lead": Sharing.PRIVATE,
    "Case": Sharing.PRIVATE,
    "User": Sharing.READ,
    "OpportunityHistory": Sharing.CONTROLLED_BY_PARENT,  # parent: Opportunity
})

# (child object, its reference field to the parent, the parent object) for Controlled by Parent.
PARENTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "Contact": ("AccountId", "Account"),
    "OpportunityHistory": ("OpportunityId", "Opportunity"),
})

# Objects every internal user reads (setup objects: every profile of the seed has "View Setup and
# Configuration"; Organization, User and roles are readable by all).
SETUP_OBJECTS = frozenset({
    "Organization", "User", "UserRole", "OpportunityStage", "ListView", "PermissionSet", "PermissionSetGroup",
    "PermissionSetAssignment",
})


@dataclass(frozen=True)
class FieldSet:
    """Fields an object grant covers: every permissionable field but ``names`` (``every=True``), or only ``names``."""

    every: bool = True
    names: frozenset[str] = frozenset()

    def covers(self, name: str) -> bool:
        return (name not in self.names) if self.every else (name in self.names)


ALL_FIELDS = FieldSet()
NO_FIELDS = FieldSet(every=False)


def all_but(*names: str) -> FieldSet:
    return FieldSet(every=True, names=frozenset(names))


def only(*names: str) -> FieldSet:
    return FieldSet(every=False, names=frozenset(names))


@dataclass(frozen=True)
class ObjectGrant:
    """One object's permissions in one profile or permission set, with its field-level security."""

    read: bool = False
    create: bool = False
    edit: bool = False
    delete: bool = False
    view_all: bool = False
    modify_all: bool = False
    field_read: FieldSet = ALL_FIELDS
    field_edit: FieldSet = ALL_FIELDS


READ_ONLY = ObjectGrant(read=True, field_edit=NO_FIELDS)
READ_CREATE_EDIT = ObjectGrant(read=True, create=True, edit=True)
FULL = ObjectGrant(read=True, create=True, edit=True, delete=True)


@dataclass(frozen=True)
class PermissionSource:
    """A profile or a permission set: system permissions and object grants."""

    name: str
    view_all_data: bool = False
    modify_all_data: bool = False
    api_only: bool = False
    objects: Mapping[str, ObjectGrant] = field(default_factory=dict)


_FINANCIALS = ("AnnualRevenue",)  # hidden from reps on Account and Lead
_OPP_HIDDEN = ("ExpectedRevenue",)  # the weighted amount: managers' forecast figure, hidden from reps

SYSTEM_ADMINISTRATOR = "System Administrator"
INTEGRATION_PROFILE = "Salesforce API Only System Integrations"
SALES_MANAGER = "Sales Manager"
STANDARD_USER = "Standard User"
SUPPORT_USER = "Support User"
MARKETING_USER = "Marketing User"

PROFILES: Mapping[str, PermissionSource] = MappingProxyType({
    SYSTEM_ADMINISTRATOR: PermissionSource(SYSTEM_ADMINISTRATOR, view_all_data=True, modify_all_data=True),
    INTEGRATION_PROFILE: PermissionSource(INTEGRATION_PROFILE, view_all_data=True, modify_all_data=True,
                                          api_only=True),
    SALES_MANAGER: PermissionSource(SALES_MANAGER, objects={
        "Account": FULL, "Contact": FULL, "Lead": FULL, "Opportunity": FULL, "Case": READ_ONLY,
    }),
    STANDARD_USER: PermissionSource(STANDARD_USER, objects={
        "Account": ObjectGrant(read=True, create=True, edit=True, field_read=all_but(*_FINANCIALS),
                               field_edit=all_but(*_FINANCIALS)),
        "Contact": FULL,
        "Lead": ObjectGrant(read=True, create=True, edit=True, delete=True, field_read=all_but(*_FINANCIALS),
                            field_edit=all_but(*_FINANCIALS)),
        # Forecast category is the manager's call: reps read it, cannot set it.
        "Opportunity": ObjectGrant(read=True, create=True, edit=True, delete=True, field_read=all_but(*_OPP_HIDDEN),
                                   field_edit=all_but(*_OPP_HIDDEN, "ForecastCategoryName")),
        # no Case: a query of Case by a rep is INVALID_TYPE
    }),
    SUPPORT_USER: PermissionSource(SUPPORT_USER, objects={
        "Account": ObjectGrant(read=True, field_read=all_but(*_FINANCIALS), field_edit=NO_FIELDS),
        "Contact": ObjectGrant(read=True, edit=True), "Case": FULL,
    }),
    MARKETING_USER: PermissionSource(MARKETING_USER, objects={
        "Account": ObjectGrant(read=True, field_read=all_but(*_FINANCIALS), field_edit=NO_FIELDS),
        "Contact": READ_ONLY, "Lead": FULL,
    }),
})

# What each seeded permission set (PermissionSet.Name) adds.  Slack Sales Home User grants no data
# access: it only marks who may use Sales Home (the app checks the assignment, as synced).
PERMISSION_SETS: Mapping[str, PermissionSource] = MappingProxyType({
    SALES_HOME_PERMISSION_SET: PermissionSource(SALES_HOME_PERMISSION_SET),
    "Sales_Cloud_User": PermissionSource("Sales_Cloud_User", objects={
        "Account": ObjectGrant(read=True, field_read=all_but(*_FINANCIALS), field_edit=NO_FIELDS),
        "Contact": ObjectGrant(read=True, field_edit=NO_FIELDS),
        "Lead": ObjectGrant(read=True, field_read=all_but(*_FINANCIALS), field_edit=NO_FIELDS),
        "Opportunity": ObjectGrant(read=True, field_read=all_but(*_OPP_HIDDEN), field_edit=NO_FIELDS),
    }),
    # Pipeline dashboards need the financial fields: holders of this set read them (field grants only).
    "Sales_Analytics": PermissionSource("Sales_Analytics", objects={
        "Account": ObjectGrant(field_read=only(*_FINANCIALS), field_edit=NO_FIELDS),
        "Lead": ObjectGrant(field_read=only(*_FINANCIALS), field_edit=NO_FIELDS),
        "Opportunity": ObjectGrant(field_read=only(*_OPP_HIDDEN), field_edit=NO_FIELDS),
    }),
    "Sales_Home_Integration": PermissionSource("Sales_Home_Integration", view_all_data=True),
})


def profile_name(username: str, role_developer_name: str | None, department: str | None) -> str:
    """The profile of a user of the seeded org (see the module docstring): by role, then department."""
    if username == INTEGRATION_USERNAME:
        return INTEGRATION_PROFILE
    role = role_developer_name or ""
    if role == "Sales_Operations":
        return SYSTEM_ADMINISTRATOR
    if role.startswith(("VP_", "Sales_Director_", "Sales_Manager_")):
        return SALES_MANAGER
    if department in ("Customer Success", "Support"):
        return SUPPORT_USER
    if department == "Marketing":
        return MARKETING_USER
    return STANDARD_USER
