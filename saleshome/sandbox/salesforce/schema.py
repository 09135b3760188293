"""The sandbox org's object catalog: every object, every field, with describe metadata.

Objects are declared as data (a compact field notation below) and turned into
:class:`ObjectDef` / :class:`FieldDef` values.  Everything else in the sandbox (storage,
SOQL compilation, describe, seed data) reads this catalog; nothing else declares fields.

Field notation: ``"Name:type[:flag,flag...]"`` with flags
``ro`` (not createable, not updateable), ``create`` (createable only), ``update`` (updateable only),
``req`` (not nillable),
``calc=EXPR`` (formula; EXPR is DuckDB SQL over the same row), ``len=N``, ``p=N``, ``s=N``, ``digits=N`` (int),
``ref=Obj|Obj``, ``rel=Name``, ``pick=Key`` (picklist values from :data:`PICKLISTS`), ``vals=A|B|C`` (the
picklist's own values, for a field an admin adds), ``restricted`` (a
restricted picklist: describe says ``restrictedPicklist: true`` and a write of any other value is refused),
``comp=Name`` (component of the compound field ``Name``), ``name`` (the name field),
``nofilter`` (not filterable), ``custom`` (ends in ``__c``), ``label=Text`` (the field's label).

System fields differ by object, as in Salesforce: most objects have ``IsDeleted`` (the
Recycle Bin) and the five audit fields, but setup objects such as User, PermissionSet and
PermissionSetAssignment have no ``IsDeleted`` (their records are never soft-deleted), and a
few lack some audit fields (see :data:`_SYSTEM_FIELDS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

# Salesforce field type -> DuckDB storage type (None: not stored, derived at read time).
STORAGE_TYPES: dict[str, str | None] = {
    "id": "VARCHAR",
    "reference": "VARCHAR",
    "string": "VARCHAR",
    "picklist": "VARCHAR",
    "multipicklist": "VARCHAR",
    "combobox": "VARCHAR",
    "textarea": "VARCHAR",
    "url": "VARCHAR",
    "email": "VARCHAR",
    "phone": "VARCHAR",
    "currency": "DOUBLE",
    "percent": "DOUBLE",
    "double": "DOUBLE",
    "int": "INTEGER",
    "long": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "time": "TIME",
    "address": None,
    "location": None,
    "base64": None,
}

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "double": "xsd:double",
    "int": "xsd:int",
    "long": "xsd:long",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
    "location": "urn:location",
    "base64": "xsd:base64Binary",
}

STAGES: list[dict[str, Any]] = [
    # ApiName, probability, forecast category, closed, won
    {"ApiName": "Prospecting", "DefaultProbability": 10, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Qualification", "DefaultProbability": 10, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Needs Analysis", "DefaultProbability": 20, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Value Proposition", "DefaultProbability": 50, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Id. Decision Makers", "DefaultProbability": 60, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Perception Analysis", "DefaultProbability": 70, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Proposal/Price Quote", "DefaultProbability": 75, "ForecastCategoryName": "Pipeline", "IsClosed": False, "IsWon": False},
    {"ApiName": "Negotiation/Review", "DefaultProbability": 90, "ForecastCategoryName": "Best Case", "IsClosed": False, "IsWon": False},
    # The custom, won-like stage: the contract is signed but the org's sales process
    # keeps the deal open until payment.  Orgs like this choose it as "won" in settings.
    {"ApiName": "Contract Signed", "DefaultProbability": 95, "ForecastCategoryName": "Commit", "IsClosed": False, "IsWon": False},
    {"ApiName": "Closed Won", "DefaultProbability": 100, "ForecastCategoryName": "Closed", "IsClosed": True, "IsWon": True},
    {"ApiName": "Closed Lost", "DefaultProbability": 0, "ForecastCategoryName": "Omitted", "IsClosed": True, "IsWon": False},
]
FORECAST_CATEGORY = {"Pipeline": "Pipeline", "Best Case": "BestCase", "Commit": "Forecast", "Closed": "Closed", "Omitted": "Omitted"}

TIME_ZONES = [
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Asia/Kolkata",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
]

PICKLISTS: dict[str, list[str]] = {
    "Stage": [s["ApiName"] for s in STAGES],
    "ForecastCategory": list(FORECAST_CATEGORY.values()),
    "ForecastCategoryName": list(FORECAST_CATEGORY),
    "Currency": ["USD", "EUR", "GBP", "JPY", "AUD"],
    "AccountType": ["Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"],
    "Industry": ["Agriculture", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Finance", "Healthcare", "Hospitality", "Insurance", "Manufacturing", "Media", "Retail", "Technology", "Telecommunications", "Transportation", "Utilities"],
    "Rating": ["Hot", "Warm", "Cold"],
    "LeadSource": ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Trade Show", "Word of mouth", "Other"],
    "OppType": ["New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade"],
    "Region": ["AMER", "EMEA", "APAC", "LATAM"],
    "LeadStatus": ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"],
    "CaseStatus": ["New", "Working", "Escalated", "Closed"],
    "CasePriority": ["High", "Medium", "Low"],
    "CaseOrigin": ["Phone", "Email", "Web"],
    "CaseType": ["Mechanical", "Electrical", "Electronic", "Structural", "Other"],
    "CaseReason": ["Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other"],
    "TimeZone": TIME_ZONES,
    "Locale": ["en_US", "en_GB", "fr_FR", "de_DE", "ja_JP", "en_AU", "pt_BR", "en_IN"],
    "Language": ["en_US", "fr", "de", "ja", "pt_BR"],
    "EmailEncoding": ["UTF-8", "ISO-8859-1"],
    "OrgType": ["Enterprise Edition", "Unlimited Edition", "Developer Edition"],
    "Department": ["Sales", "Sales Operations", "Customer Success", "Marketing", "Support"],
    "PermissionSetGroupStatus": ["Updated", "Outdated", "Updating", "Failed"],
}


@dataclass(frozen=True)
class FieldDef:
    """One field of one object, with the describe metadata Salesforce reports for it."""

    name: str
    type: str
    label: str
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    filterable: bool = True
    sortable: bool = True
    custom: bool = False
    calculated: bool = False
    formula: str | None = None
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    compound_field_name: str | None = None
    picklist: str | None = None
    name_field: bool = False
    default_on_create: bool = False
    restricted_picklist: bool = False  # a value outside the picklist is INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST
    values: tuple[str, ...] = ()  # the picklist's own values (``vals=``), instead of a shared value set

    @property
    def storage_type(self) -> str | None:
        if self.type == "int" and self.digits > 9:
            return "BIGINT"
        return STORAGE_TYPES[self.type]

    @property
    def stored(self) -> bool:
        return self.storage_type is not None and not self.calculated

    @property
    def picklist_values(self) -> list[str]:
        if self.values:
            return list(self.values)
        return PICKLISTS[self.picklist] if self.picklist else []

    def describe(self) -> dict[str, Any]:
        """This field as ``sobjects/{Object}/describe`` reports it (REST API guide, DescribeSObjectResult)."""
        soap = SOAP_TYPES.get(self.type, "xsd:string")
        return {
            "aggregatable": self.type not in ("textarea", "address", "location", "base64", "multipicklist"),
            "aiPredictionField": False,
            "autoNumber": self.name == "CaseNumber",
            "byteLength": self.length * 3,
            "calculated": self.calculated,
            "calculatedFormula": self.formula,
            "cascadeDelete": False,
            "caseSensitive": False,
            "compoundFieldName": self.compound_field_name,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": None,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.default_on_create,
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": self.digits,
            "displayLocationInDecimal": False,
            "encrypted": False,
            "externalId": False,
            "extraTypeInfo": None,
            "filterable": self.filterable,
            "filteredLookupInfo": None,
            "formulaTreatNullNumberAsZero": False,
            "groupable": self.type not in ("textarea", "double", "currency", "percent", "address", "location", "datetime"),
            "highScaleNumber": False,
            "htmlFormatted": False,
            "idLookup": self.type == "id" or self.name in ("Email", "Username", "CaseNumber"),
            "inlineHelpText": None,
            "label": self.label,
            "length": self.length,
            "mask": None,
            "maskType": None,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": len(self.reference_to) > 1,
            "nillable": self.nillable,
            "permissionable": self.nillable and not self.calculated and self.type != "id",
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in self.picklist_values
            ],
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "precision": self.precision,
            "queryByDistance": False,
            "referenceTargetField": None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": None,
            "restrictedDelete": False,
            "restrictedPicklist": self.restricted_picklist,
            "scale": self.scale,
            "searchPrefilterable": False,
            "soapType": soap,
            "sortable": self.sortable,
            "type": self.type,
            "unique": self.name == "Username",
            "updateable": self.updateable,
            "writeRequiresMasterRead": False,
        }


@dataclass(frozen=True)
class ObjectDef:
    """One sObject: its name, key prefix, flags, and fields in describe order."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    has_list_views: bool = False
    # describeGlobal's ``queryable``: False for objects SOQL cannot read (platform events, or an object the
    # integration user's profile cannot read); set through ``POST /_sandbox/schema {"queryable": false}``.
    queryable: bool = True
    _index: dict[str, FieldDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for f in self.fields:
            self._index[f.name.lower()] = f

    def field(self, name: str) -> FieldDef | None:
        """The field called ``name`` (case-insensitive, as SOQL is), or None."""
        return self._index.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (e.g. ``Owner`` → OwnerId)."""
        low = name.lower()
        for f in self.fields:
            if f.relationship_name and f.relationship_name.lower() == low:
                return f
        return None

    @property
    def soft_deletes(self) -> bool:
        """Whether deleted records go to the Recycle Bin (``IsDeleted``); else a delete is a hard delete."""
        return self.field("IsDeleted") is not None

    @property
    def stored_fields(self) -> list[FieldDef]:
        return [f for f in self.fields if f.stored]

    @property
    def name_field(self) -> FieldDef | None:
        return next((f for f in self.fields if f.name_field), None)

    def urls(self, api_version: str) -> dict[str, str]:
        base = f"/services/data/v{api_version}/sobjects/{self.name}"
        urls = {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "describe": f"{base}/describe",
            "quickActions": f"{base}/quickActions",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        }
        if self.has_list_views:
            urls["listviews"] = f"{base}/listviews"
        return urls

    def describe_global_entry(self, api_version: str) -> dict[str, Any]:
        """This object as ``sobjects/`` (describeGlobal) lists it."""
        return {
            "activateable": False,
            "associateEntityType": None,
            "associateParentEntity": None,
            "createable": self.createable,
            "custom": False,
            "customSetting": False,
            "deepCloneable": False,
            "deletable": self.deletable,
            "deprecatedAndHidden": False,
            "feedEnabled": self.name in ("Account", "Contact", "Lead", "Case", "Opportunity", "User"),
            "hasSubtypes": False,
            "isInterface": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": self.label_plural,
            "layoutable": self.createable,
            "mergeable": self.name in ("Account", "Contact", "Lead", "Case"),
            "mruEnabled": self.has_list_views,
            "name": self.name,
            "queryable": self.queryable,
            "replicateable": True,
            "retrieveable": True,
            "searchable": self.has_list_views,
            "triggerable": self.createable,
            "undeletable": self.deletable and self.soft_deletes,
            "updateable": self.updateable,
            "urls": self.urls(api_version),
        }

    def describe(self, api_version: str, catalog: Catalog) -> dict[str, Any]:
        """This object as ``sobjects/{Object}/describe`` reports it."""
        out = self.describe_global_entry(api_version)
        out.update(
            {
                "actionOverrides": [],
                "childRelationships": catalog.child_relationships(self.name),
                "compactLayoutable": self.createable,
                "defaultImplementation": None,
                "extendedBy": None,
                "extendsInterfaces": None,
                "fields": [f.describe() for f in self.fields],
                "implementedBy": None,
                "implementsInterfaces": None,
                "listviewable": None,
                "lookupLayoutable": None,
                "namedLayoutInfos": [],
                "networkScopeFieldName": None,
                "recordTypeInfos": [],
                "searchLayoutable": self.has_list_views,
                "sobjectDescribeOption": "FULL",
                "supportedScopes": [
                    {"label": "All " + self.label_plural.lower(), "name": "everything"},
                    {"label": "My " + self.label_plural.lower(), "name": "mine"},
                ],
            }
        )
        return out


_LABEL_OVERRIDES = {
    "Id": "Record ID",
    "IsDeleted": "Deleted",
    "CreatedById": "Created By ID",
    "LastModifiedById": "Last Modified By ID",
    "SystemModstamp": "System Modstamp",
    "OwnerId": "Owner ID",
    "AccountId": "Account ID",
    "CurrencyIsoCode": "Currency ISO Code",
    # Opportunity's standard fields as Salesforce labels them (Object Reference: Opportunity).
    "StageName": "Stage",
    "Probability": "Probability (%)",
    "ForecastCategoryName": "Forecast Category",
}


def _label(name: str) -> str:
    if name in _LABEL_OVERRIDES:
        return _LABEL_OVERRIDES[name]
    base = name.removesuffix("__c").replace("_", " ")
    out = ""
    for i, ch in enumerate(base):
        if ch.isupper() and i and (base[i - 1].islower() or (i + 1 < len(base) and base[i + 1].islower())) and base[i - 1] != " ":
            out += " "
        out += ch
    return out.replace("Is ", "").strip()


_DEFAULT_LENGTH = {"id": 18, "reference": 18, "string": 255, "picklist": 255, "multipicklist": 4099, "combobox": 255, "textarea": 32000, "url": 255, "email": 80, "phone": 40}


def parse_field(spec: str) -> FieldDef:
    """A field from the compact notation (``"Segment__c:picklist:pick=Region"``)."""
    return _parse_field(spec)


def _parse_field(spec: str) -> FieldDef:
    name, ftype, *rest = spec.split(":", 2)
    flags: dict[str, str] = {}
    if rest:
        for part in rest[0].split(","):
            key, _, value = part.partition("=")
            flags[key] = value
    kwargs: dict[str, Any] = {}
    if "ro" in flags:
        kwargs.update(createable=False, updateable=False)
    if "create" in flags:
        kwargs.update(updateable=False)
    if "update" in flags:
        kwargs.update(createable=False)
    if "req" in flags or ftype in ("id", "boolean"):
        kwargs["nillable"] = False
    if "calc" in flags:
        kwargs.update(calculated=True, formula=flags["calc"], createable=False, updateable=False)
    if ftype in ("textarea", "multipicklist", "address", "location", "base64") or "nofilter" in flags:
        kwargs["filterable"] = False
    if ftype in ("textarea", "multipicklist", "address", "location", "base64"):
        kwargs["sortable"] = False
    if "ref" in flags:
        kwargs["reference_to"] = tuple(flags["ref"].split("|"))
    if "rel" in flags:
        kwargs["relationship_name"] = flags["rel"]
    if "comp" in flags:
        kwargs["compound_field_name"] = flags["comp"]
    if "pick" in flags:
        kwargs["picklist"] = flags["pick"]
    if "restricted" in flags:
        kwargs["restricted_picklist"] = True
    if flags.get("vals"):
        kwargs["values"] = tuple(v for v in flags["vals"].split("|") if v)
    if "name" in flags:
        kwargs["name_field"] = True
    if "default" in flags or ftype == "boolean":
        kwargs["default_on_create"] = True
    length = int(flags.get("len", _DEFAULT_LENGTH.get(ftype, 0)))
    precision = int(flags.get("p", 18 if ftype == "currency" else 3 if ftype == "percent" else 0))
    scale = int(flags.get("s", 2 if ftype == "currency" else 0))
    if ftype == "double" and "p" not in flags:
        precision, scale = 18, int(flags.get("s", 0))
    return FieldDef(
        name=name,
        type=ftype,
        label=flags.get("label") or _label(name),
        custom=name.endswith("__c"),
        length=length,
        precision=precision,
        scale=scale,
        digits=int(flags.get("digits", 9)) if ftype == "int" else 18 if ftype == "long" else 0,
        **kwargs,
    )


_AUDIT = [
    "CreatedDate:datetime:ro,req,default",
    "CreatedById:reference:ro,req,default,ref=User,rel=CreatedBy",
    "LastModifiedDate:datetime:ro,req,default",
    "LastModifiedById:reference:ro,req,default,ref=User,rel=LastModifiedBy",
    "SystemModstamp:datetime:ro,req,default",
]


def _address(prefix: str, compound: str) -> list[str]:
    return [
        f"{prefix}Street:textarea:comp={compound},len=255",
        f"{prefix}City:string:comp={compound},len=40",
        f"{prefix}State:string:comp={compound},len=80",
        f"{prefix}PostalCode:string:comp={compound},len=20",
        f"{prefix}Country:string:comp={compound},len=80",
        f"{prefix}Latitude:double:comp={compound},p=18,s=15",
        f"{prefix}Longitude:double:comp={compound},p=18,s=15",
        f"{compound}:address:ro",
    ]


_OBJECT_SPECS: list[tuple[str, str, str, str, dict[str, Any], list[str]]] = [
    ("Organization", "Organization", "Organizations", "00D", {"createable": False, "deletable": False}, [
        "Name:string:ro,req,name,len=80", "OrganizationType:picklist:ro,pick=OrgType", "IsSandbox:boolean:ro",
        "InstanceName:string:ro,len=5", "DefaultLocaleSidKey:picklist:ro,pick=Locale",
        "LanguageLocaleKey:picklist:ro,pick=Language", "TimeZoneSidKey:picklist:ro,pick=TimeZone",
        "DefaultCurrencyIsoCode:picklist:ro,pick=Currency",
    ]),
    ("UserRole", "Role", "Roles", "00E", {}, [
        "Name:string:req,name,len=80", "ParentRoleId:reference:ref=UserRole,rel=ParentRole",
        "DeveloperName:string:req,len=80",
    ]),
    ("User", "User", "Users", "005", {"deletable": False, "has_list_views": True}, [
        "Username:string:req,len=80", "LastName:string:req,len=80", "FirstName:string:len=40",
        "Name:string:ro,name,len=121", "CompanyName:string:len=80", "Department:string:len=80",
        "Title:string:len=80", "Email:email:req", "Alias:string:req,len=8",
        "IsActive:boolean", "TimeZoneSidKey:picklist:req,pick=TimeZone", "LocaleSidKey:picklist:req,pick=Locale",
        "LanguageLocaleKey:picklist:req,pick=Language", "EmailEncodingKey:picklist:req,pick=EmailEncoding",
        "UserRoleId:reference:ref=UserRole,rel=UserRole", "ManagerId:reference:ref=User,rel=Manager",
        "DefaultCurrencyIsoCode:picklist:pick=Currency", "LastLoginDate:datetime:ro",
    ]),
    ("Account", "Account", "Accounts", "001", {"has_list_views": True}, [
        "Name:string:req,name", "Type:picklist:pick=AccountType", "ParentId:reference:ref=Account,rel=Parent",
        *_address("Billing", "BillingAddress"), "Phone:phone", "Website:url",
        "Industry:picklist:pick=Industry", "AnnualRevenue:currency", "NumberOfEmployees:int",
        "Rating:picklist:pick=Rating", "AccountSource:picklist:pick=LeadSource",
        "Description:textarea", "CurrencyIsoCode:picklist:default,pick=Currency",
        "OwnerId:reference:default,ref=User,rel=Owner", "LastActivityDate:date:ro",
    ]),
    ("Contact", "Contact", "Contacts", "003", {"has_list_views": True}, [
        "AccountId:reference:ref=Account,rel=Account", "LastName:string:req,len=80", "FirstName:string:len=40",
        "Name:string:ro,name,len=121", *_address("Mailing", "MailingAddress"), "Phone:phone",
        "Email:email", "Title:string:len=128", "Department:string:len=80",
        "LeadSource:picklist:pick=LeadSource", "Description:textarea",
        "CurrencyIsoCode:picklist:default,pick=Currency", "OwnerId:reference:default,ref=User,rel=Owner",
        "LastActivityDate:date:ro",
    ]),
    ("Lead", "Lead", "Leads", "00Q", {"has_list_views": True}, [
        "LastName:string:req,len=80", "FirstName:string:len=40", "Name:string:ro,name,len=121",
        "Title:string:len=128", "Company:string:req", *_address("", "Address"), "Phone:phone",
        "Email:email", "Website:url", "LeadSource:picklist:pick=LeadSource",
        "Status:picklist:req,default,pick=LeadStatus", "Industry:picklist:pick=Industry",
        "Rating:picklist:pick=Rating", "AnnualRevenue:currency", "NumberOfEmployees:int",
        "OwnerId:reference:default,ref=User,rel=Owner", "IsConverted:boolean:create",
        "ConvertedDate:date:ro", "ConvertedAccountId:reference:ro,ref=Account,rel=ConvertedAccount",
        "ConvertedOpportunityId:reference:ro,ref=Opportunity,rel=ConvertedOpportunity",
        "Description:textarea", "CurrencyIsoCode:picklist:default,pick=Currency",
        "LastActivityDate:date:ro",
    ]),
    ("Case", "Case", "Cases", "500", {"has_list_views": True}, [
        "CaseNumber:string:ro,name,default,len=30", "ContactId:reference:ref=Contact,rel=Contact",
        "AccountId:reference:ref=Account,rel=Account", "Type:picklist:pick=CaseType",
        "Status:picklist:default,pick=CaseStatus", "Reason:picklist:pick=CaseReason",
        "Origin:picklist:pick=CaseOrigin", "Subject:string", "Priority:picklist:default,pick=CasePriority",
        "Description:textarea", "IsClosed:boolean:ro", "ClosedDate:datetime:ro",
        "IsEscalated:boolean", "OwnerId:reference:default,ref=User|Group,rel=Owner",
        "CurrencyIsoCode:picklist:default,pick=Currency",
    ]),
    ("Opportunity", "Opportunity", "Opportunities", "006", {"has_list_views": True}, [
        "AccountId:reference:ref=Account,rel=Account", "Name:string:req,name,len=120",
        "Description:textarea", "StageName:picklist:req,pick=Stage", "Amount:currency",
        "Probability:percent:p=3", "ExpectedRevenue:currency:calc=Amount * Probability / 100",
        "CloseDate:date:req", "Type:picklist:pick=OppType", "NextStep:string",
        "LeadSource:picklist:pick=LeadSource", "IsClosed:boolean:ro", "IsWon:boolean:ro",
        "ForecastCategory:picklist:ro,pick=ForecastCategory",
        "ForecastCategoryName:picklist:pick=ForecastCategoryName",
        "CurrencyIsoCode:picklist:default,pick=Currency", "OwnerId:reference:default,ref=User,rel=Owner",
        "LastActivityDate:date:ro", "Region__c:picklist:pick=Region,restricted",
        "Days_To_Close__c:int:calc=CloseDate - TODAY()",
    ]),
    ("OpportunityHistory", "Opportunity History", "Opportunity History", "008",
     {"createable": False, "updateable": False, "deletable": False}, [
        "OpportunityId:reference:ro,req,ref=Opportunity,rel=Opportunity",
        "StageName:picklist:ro,req,pick=Stage", "Amount:currency:ro", "ExpectedRevenue:currency:ro",
        "CloseDate:date:ro", "Probability:percent:ro,p=3", "ForecastCategory:picklist:ro,pick=ForecastCategory",
        "PrevAmount:currency:ro", "PrevCloseDate:date:ro", "CurrencyIsoCode:picklist:ro,pick=Currency",
    ]),
    ("OpportunityStage", "Opportunity Stage", "Opportunity Stage", "01J",
     {"createable": False, "updateable": False, "deletable": False}, [
        "MasterLabel:string:ro,name", "ApiName:string:ro", "IsActive:boolean:ro", "SortOrder:int:ro",
        "IsClosed:boolean:ro", "IsWon:boolean:ro", "ForecastCategory:picklist:ro,pick=ForecastCategory",
        "ForecastCategoryName:picklist:ro,pick=ForecastCategoryName", "DefaultProbability:percent:ro,p=3",
        "Description:string:ro",
    ]),
    ("PermissionSet", "Permission Set", "Permission Sets", "0PS", {}, [
        "Name:string:req,len=80", "Label:string:req,name,len=80", "Description:textarea:len=255",
        "IsOwnedByProfile:boolean:ro", "IsCustom:boolean:ro",
    ]),
    # Only so that PermissionSetAssignment.PermissionSetGroupId points somewhere: the seed has no group.
    ("PermissionSetGroup", "Permission Set Group", "Permission Set Groups", "0PG", {}, [
        "DeveloperName:string:req,len=80", "MasterLabel:string:req,name,len=80", "Description:textarea:len=1000",
        "Language:picklist:default,pick=Language", "HasActivationRequired:boolean",
        "Status:picklist:ro,pick=PermissionSetGroupStatus", "NamespacePrefix:string:ro,len=15",
    ]),
    # Object Reference, PermissionSetAssignment: no IsDeleted and no Created*/LastModified* fields;
    # SystemModstamp is labelled "Date Assigned"; a delete is a hard delete (no Recycle Bin).
    ("PermissionSetAssignment", "Permission Set Assignment", "Permission Set Assignments", "0Pa",
     {"updateable": True}, [
        "PermissionSetId:reference:create,req,ref=PermissionSet,rel=PermissionSet",
        "PermissionSetGroupId:reference:create,ref=PermissionSetGroup,rel=PermissionSetGroup",
        "AssigneeId:reference:create,req,ref=User,rel=Assignee",
        "IsActive:boolean:ro", "IsRevoked:boolean:update", "ExpirationDate:datetime:label=Expires On",
    ]),
    ("ListView", "List View", "List Views", "00B", {"createable": False, "updateable": False, "deletable": False}, [
        "Name:string:ro,name,len=40", "DeveloperName:string:ro,len=80", "NamespacePrefix:string:ro,len=15",
        "SobjectType:picklist:ro", "IsSoqlCompatible:boolean:ro", "LastViewedDate:datetime:ro",
        "LastReferencedDate:datetime:ro",
    ]),
]

_IS_DELETED = "IsDeleted:boolean:ro"
_SYSTEM_DEFAULT = (_IS_DELETED, *_AUDIT)


def _audit(*names: str) -> tuple[str, ...]:
    return tuple(a for a in _AUDIT if a.split(":", 1)[0] in names)


# The system fields of objects that do not have all six (Object Reference / Field Reference of each):
# setup objects have no IsDeleted (never in the Recycle Bin: deleted setup records are gone at once,
# or cannot be deleted at all), history rows are never modified, a role has no Created* fields, and
# a permission set assignment has SystemModstamp alone.  Organization is left with the default set
# (not checked against the reference).
_SYSTEM_FIELDS: dict[str, tuple[str, ...]] = {
    "User": tuple(_AUDIT),
    "UserRole": _audit("LastModifiedDate", "LastModifiedById", "SystemModstamp"),
    "OpportunityHistory": (_IS_DELETED, *_audit("CreatedDate", "CreatedById", "SystemModstamp")),
    "OpportunityStage": tuple(_AUDIT),
    "PermissionSet": tuple(_AUDIT),
    "PermissionSetAssignment": ("SystemModstamp:datetime:ro,req,default,label=Date Assigned",),
    "ListView": tuple(_AUDIT),
    "RecordType": tuple(_AUDIT),
}
SYSTEM_FIELD_NAMES = ("IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                      "SystemModstamp")


def _build_object(name: str, label: str, plural: str, prefix: str, flags: dict[str, Any], specs: list[str]) -> ObjectDef:
    system = _SYSTEM_FIELDS.get(name, _SYSTEM_DEFAULT)
    deleted = [s for s in system if s == _IS_DELETED]
    all_specs = ["Id:id:ro", *deleted, *specs, *(s for s in system if s != _IS_DELETED)]
    return ObjectDef(name=name, label=label, label_plural=plural, key_prefix=prefix,
                     fields=tuple(_parse_field(s) for s in all_specs), **flags)


class Catalog:
    """All objects of the sandbox org, looked up case-insensitively as SOQL does."""

    def __init__(self, objects: list[ObjectDef]) -> None:
        self._objects = {o.name.lower(): o for o in objects}
        self._by_prefix = {o.key_prefix: o for o in objects}

    def copy(self) -> Catalog:
        return Catalog(list(self._objects.values()))

    def replace(self, obj: ObjectDef) -> None:
        """Swap in a new definition of an object (an admin changed its fields)."""
        self._objects[obj.name.lower()] = obj
        self._by_prefix[obj.key_prefix] = obj

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._objects.values())

    def get(self, name: str) -> ObjectDef | None:
        return self._objects.get(name.lower())

    def by_key_prefix(self, prefix: str) -> ObjectDef | None:
        return self._by_prefix.get(prefix)

    def child_relationships(self, parent: str) -> list[dict[str, Any]]:
        out = []
        for obj in self._objects.values():
            for f in obj.fields:
                if parent in f.reference_to and f.relationship_name not in ("CreatedBy", "LastModifiedBy"):
                    out.append({
                        "cascadeDelete": obj.name == "OpportunityHistory",
                        "childSObject": obj.name,
                        "deprecatedAndHidden": False,
                        "field": f.name,
                        "junctionIdListNames": [],
                        "junctionReferenceTo": [],
                        "relationshipName": _child_relationship_name(obj, f),
                        "restrictedDelete": False,
                    })
        return out


def _child_relationship_name(child: ObjectDef, f: FieldDef) -> str | None:
    if f.relationship_name in ("Owner", "Manager", "Parent", "ParentRole"):
        return None if f.relationship_name == "Owner" else {"Manager": "ManagedUsers", "Parent": "ChildAccounts", "ParentRole": None}.get(f.relationship_name)
    return child.label_plural.replace(" ", "") if child.name != "OpportunityHistory" else "OpportunityHistories"


# Object Reference, RecordType: an org has it once an admin creates a record type (``picklists.py`` adds it,
# with the ``RecordTypeId`` field of the object the type is for); records without one have the master type.
_RECORD_TYPE_SPEC: tuple[str, str, str, str, dict[str, Any], list[str]] = (
    "RecordType", "Record Type", "Record Types", "012", {"createable": False, "updateable": False, "deletable": False}, [
        "Name:string:ro,req,name,len=80", "DeveloperName:string:ro,req,len=80", "SobjectType:picklist:ro,req",
        "Description:string:ro", "IsActive:boolean:ro",
    ])
RECORD_TYPE_FIELD = "RecordTypeId:reference:ref=RecordType,rel=RecordType,label=Record Type ID"


def record_type_object() -> ObjectDef:
    """The RecordType object (not in the seeded org: added with the first record type)."""
    return _build_object(*_RECORD_TYPE_SPEC)


@cache
def catalog() -> Catalog:
    """The sandbox org's catalog (built once, on first use — not at import)."""
    return Catalog([_build_object(*spec) for spec in _OBJECT_SPECS])
