"""Deterministic, realistic seed data for the sandbox org: every object of the catalog, vectorised.

:func:`generate_org` returns one :class:`pyarrow.Table` per object of the catalog, with one
column per stored field (in catalog order, typed as the store keeps them).  Large objects are
built with numpy and pyarrow compute, never one row at a time, so a million opportunities take
a few seconds.  Record ids are numbered in CreatedDate order (as Salesforce's ids grow with
time) from a per-object base drawn from the seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from saleshome.sandbox.people import (
    FIRST_NAMES,
    LAST_NAMES,
    REGIONS,
    Company,
    Person,
    company,
    draw_names,
    email_local,
    sales_team,
    team_size,
)
from saleshome.sandbox.salesforce.ids import POD
from saleshome.sandbox.salesforce.listviews import LIST_VIEWS
from saleshome.sandbox.salesforce.schema import FORECAST_CATEGORY, PICKLISTS, STAGES, SYSTEM_FIELD_NAMES, catalog

Arr: TypeAlias = npt.NDArray[Any]
AnyArray: TypeAlias = "pa.Array[Any]"

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
HISTORY_DAYS = 730  # the org's data spans the two years before ``now``

SALES_HOME_PERMISSION_SET = "Slack_Sales_Home_User"
INTEGRATION_USER_NAME = "Sales Home Integration"
INTEGRATION_USERNAME = "integration@saleshome.sandbox"  # the store finds the integration user by this

# (Name, Label, Description, IsCustom)
PERMISSION_SETS: tuple[tuple[str, str, str, bool], ...] = (
    (
        SALES_HOME_PERMISSION_SET,
        "Slack Sales Home User",
        "Gives access to Sales Home in Slack: notifications, digests, lists and deal celebrations.",
        True,
    ),
    ("Sales_Cloud_User", "Sales Cloud User", "Standard access to accounts, contacts, leads and opportunities.", False),
    ("Sales_Analytics", "Sales Analytics", "Pipeline dashboards and forecast reports.", True),
    (
        "Sales_Home_Integration",
        "Sales Home Integration",
        "API access for the Sales Home integration user: read all sales objects.",
        True,
    ),
)

# Share of all opportunities per stage: skewed to early stages, ~22% won, ~30% lost.
STAGE_SHARES: Mapping[str, float] = MappingProxyType(
    {
        "Prospecting": 11.0,
        "Qualification": 9.0,
        "Needs Analysis": 7.0,
        "Value Proposition": 6.0,
        "Id. Decision Makers": 4.5,
        "Perception Analysis": 3.5,
        "Proposal/Price Quote": 3.0,
        "Negotiation/Review": 2.0,
        "Contract Signed": 1.5,
        "Closed Won": 22.5,
        "Closed Lost": 30.0,
    }
)

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_ID_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)

_ARROW_TYPES: Mapping[str, pa.DataType] = MappingProxyType(
    {
        "VARCHAR": pa.string(),
        "TIMESTAMP": pa.timestamp("ms"),
        "DATE": pa.date32(),
        "BOOLEAN": pa.bool_(),
        "DOUBLE": pa.float64(),
        "INTEGER": pa.int32(),
        "TIME": pa.time32("ms"),
    }
)

# --- word lists ---------------------------------------------------------------------------------

# fmt: off
_COMPANY_WORDS: tuple[str, ...] = (
    "Blue", "North", "Summit", "Silver", "Iron", "Granite", "Cedar", "Harbor", "Pioneer", "Atlas", "Crescent",
    "Evergreen", "Redwood", "Golden", "Bright", "Clear", "Swift", "True", "Prime", "Vertex", "Apex", "Nova",
    "Stellar", "Coastal", "Prairie", "Lakeside", "Highland", "Metro", "United", "Global", "Pacific", "Atlantic",
    "Northern", "Southern", "Western", "Eastern", "Quantum", "Fusion", "Bluebird", "Falcon", "Eagle", "Oak", "Maple",
    "Willow", "Aspen", "Sierra", "Cascade", "Horizon", "Keystone", "Liberty", "Beacon", "Anchor", "Compass",
    "Meridian", "Zenith", "Orion", "Polaris", "Sterling", "Cobalt", "Crimson", "Emerald", "Sapphire", "Onyx", "Ember",
    "Lumen", "Vista", "Riverbend", "Stonebridge", "Westfield", "Brookline", "Fairview", "Kingsley", "Ashford",
    "Hawthorne", "Whitmore", "Bradford", "Sunrise", "Tidal", "Harvest", "Heritage", "Copper", "Juniper", "Magnolia",
    "Osprey", "Raven", "Sequoia", "Thunder",
)
# fmt: on
# (core word, industry)
# fmt: off
_COMPANY_CORES: tuple[tuple[str, str], ...] = (
    ("Logistics", "Transportation"), ("Health", "Healthcare"), ("Foods", "Retail"), ("Energy", "Energy"),
    ("Financial", "Finance"), ("Capital", "Finance"), ("Systems", "Technology"), ("Software", "Technology"),
    ("Analytics", "Technology"), ("Manufacturing", "Manufacturing"), ("Motors", "Manufacturing"),
    ("Pharma", "Biotechnology"), ("Biotech", "Biotechnology"), ("Insurance", "Insurance"), ("Retail", "Retail"),
    ("Telecom", "Telecommunications"), ("Media", "Media"), ("Construction", "Construction"),
    ("Engineering", "Engineering"), ("Consulting", "Consulting"), ("Hospitality", "Hospitality"),
    ("Airlines", "Transportation"), ("Freight", "Transportation"), ("Robotics", "Electronics"),
    ("Semiconductors", "Electronics"), ("Networks", "Communications"), ("Dynamics", "Engineering"),
    ("Labs", "Biotechnology"), ("Partners", "Consulting"), ("Industries", "Manufacturing"), ("Holdings", "Finance"),
    ("Brands", "Retail"), ("Outfitters", "Retail"), ("Markets", "Retail"), ("Bank", "Banking"),
    ("Credit Union", "Banking"), ("Utilities", "Utilities"), ("Solar", "Energy"), ("Water", "Utilities"),
    ("Mining", "Energy"), ("Chemicals", "Chemicals"), ("Textiles", "Manufacturing"), ("Apparel", "Retail"),
    ("Medical", "Healthcare"), ("Clinics", "Healthcare"), ("Education", "Education"), ("Learning", "Education"),
    ("Studios", "Entertainment"), ("Games", "Entertainment"), ("Beverages", "Agriculture"), ("Farms", "Agriculture"),
    ("Steel", "Manufacturing"), ("Aerospace", "Engineering"), ("Marine", "Transportation"), ("Realty", "Finance"),
    ("Transit", "Transportation"),
)
# fmt: on
# fmt: off
_COMPANY_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("", 0.34), (" Inc.", 0.2), (" LLC", 0.08), (" Corp.", 0.08), (" Ltd", 0.06), (" GmbH", 0.04), (" S.A.", 0.04),
    (" plc", 0.03), (" Co.", 0.04), (" Group", 0.05), (" AG", 0.02), (" Pty Ltd", 0.02),
)
# fmt: on
# (city, state, country, postal code, latitude, longitude, phone prefix) per region, in REGIONS order.
# fmt: off
_CITIES: tuple[tuple[tuple[str, str, str, str, float, float, str], ...], ...] = (
    (
        ("San Francisco", "CA", "United States", "94105", 37.79, -122.4, "+1 415"),
        ("New York", "NY", "United States", "10001", 40.75, -73.99, "+1 212"),
        ("Chicago", "IL", "United States", "60601", 41.88, -87.62, "+1 312"),
        ("Austin", "TX", "United States", "78701", 30.27, -97.74, "+1 512"),
        ("Seattle", "WA", "United States", "98101", 47.61, -122.33, "+1 206"),
        ("Boston", "MA", "United States", "02110", 42.36, -71.05, "+1 617"),
        ("Atlanta", "GA", "United States", "30303", 33.75, -84.39, "+1 404"),
        ("Denver", "CO", "United States", "80202", 39.75, -104.99, "+1 303"),
        ("Toronto", "ON", "Canada", "M5H 2N2", 43.65, -79.38, "+1 416"),
        ("Los Angeles", "CA", "United States", "90012", 34.05, -118.24, "+1 213"),
        ("Miami", "FL", "United States", "33131", 25.76, -80.19, "+1 305"),
        ("Minneapolis", "MN", "United States", "55401", 44.98, -93.27, "+1 612"),
    ),
    (
        ("London", "", "United Kingdom", "EC2A 4NE", 51.52, -0.08, "+44 20"),
        ("Manchester", "", "United Kingdom", "M1 1AE", 53.48, -2.24, "+44 161"),
        ("Paris", "Île-de-France", "France", "75008", 48.87, 2.31, "+33 1"),
        ("Lyon", "Auvergne-Rhône-Alpes", "France", "69002", 45.76, 4.83, "+33 4"),
        ("Berlin", "Berlin", "Germany", "10115", 52.53, 13.38, "+49 30"),
        ("Munich", "Bavaria", "Germany", "80331", 48.14, 11.58, "+49 89"),
        ("Amsterdam", "North Holland", "Netherlands", "1012 AB", 52.37, 4.89, "+31 20"),
        ("Madrid", "Madrid", "Spain", "28013", 40.42, -3.7, "+34 91"),
        ("Milan", "Lombardy", "Italy", "20121", 45.46, 9.19, "+39 02"),
        ("Stockholm", "", "Sweden", "111 52", 59.33, 18.06, "+46 8"),
        ("Dublin", "", "Ireland", "D02 X285", 53.34, -6.26, "+353 1"),
        ("Dubai", "", "United Arab Emirates", "00000", 25.2, 55.27, "+971 4"),
        ("Johannesburg", "Gauteng", "South Africa", "2001", -26.2, 28.05, "+27 11"),
        ("Lagos", "Lagos", "Nigeria", "100001", 6.52, 3.38, "+234 1"),
    ),
    (
        ("Sydney", "NSW", "Australia", "2000", -33.87, 151.21, "+61 2"),
        ("Melbourne", "VIC", "Australia", "3000", -37.81, 144.96, "+61 3"),
        ("Singapore", "", "Singapore", "018989", 1.28, 103.85, "+65 6"),
        ("Tokyo", "Tokyo", "Japan", "100-0005", 35.68, 139.76, "+81 3"),
        ("Osaka", "Osaka", "Japan", "530-0001", 34.69, 135.5, "+81 6"),
        ("Bengaluru", "Karnataka", "India", "560001", 12.97, 77.59, "+91 80"),
        ("Mumbai", "Maharashtra", "India", "400001", 19.08, 72.88, "+91 22"),
        ("Seoul", "", "South Korea", "04524", 37.57, 126.98, "+82 2"),
        ("Auckland", "", "New Zealand", "1010", -36.85, 174.76, "+64 9"),
        ("Hong Kong", "", "Hong Kong", "999077", 22.28, 114.16, "+852 2"),
    ),
    (
        ("São Paulo", "SP", "Brazil", "01310-100", -23.56, -46.66, "+55 11"),
        ("Rio de Janeiro", "RJ", "Brazil", "20040-002", -22.91, -43.17, "+55 21"),
        ("Mexico City", "CDMX", "Mexico", "06600", 19.43, -99.13, "+52 55"),
        ("Buenos Aires", "CABA", "Argentina", "C1002", -34.6, -58.38, "+54 11"),
        ("Santiago", "RM", "Chile", "8320000", -33.45, -70.67, "+56 2"),
        ("Bogotá", "DC", "Colombia", "110111", 4.71, -74.07, "+57 1"),
        ("Lima", "Lima", "Peru", "15001", -12.05, -77.04, "+51 1"),
    ),
)
# fmt: on
# fmt: off
_STREETS: tuple[str, ...] = (
    "Market", "Main", "Oak", "Maple", "Park", "Church", "High", "King", "Queen", "Station", "Harbour", "River",
    "Lake", "Hill", "Mill", "Bridge", "Victoria", "Elm", "Cedar", "Pine", "Washington", "Lincoln", "Madison",
    "Franklin", "Commerce", "Industrial", "Innovation", "Enterprise", "Technology", "Garden",
)
# fmt: on
_STREET_KINDS = ("Street", "Avenue", "Road", "Boulevard", "Way", "Drive", "Lane", "Plaza")
# Currency mix per region (REGIONS order): mostly USD.
# fmt: off
_REGION_CURRENCIES: tuple[tuple[tuple[str, float], ...], ...] = (
    (("USD", 1.0),), (("EUR", 0.45), ("GBP", 0.3), ("USD", 0.25)), (("USD", 0.55), ("AUD", 0.25), ("JPY", 0.2)),
    (("USD", 1.0),),
)
# fmt: on
_REGION_SHARES = (0.5, 0.25, 0.17, 0.08)  # share of the pipeline per region
# fmt: off
PRODUCTS = (
    "Analytics Cloud", "Data Platform", "Service Desk", "Commerce Suite", "Marketing Hub", "Security Edge",
    "Field Service", "Collaboration", "Identity", "Integration Hub", "Mobile SDK", "Premier Support", "Payments",
    "Observability", "AI Assistant",
)
# fmt: on
# Opportunity name endings per opportunity Type (PICKLISTS["OppType"] order).
# fmt: off
DEAL_KINDS: tuple[tuple[str, ...], ...] = (
    ("New Business", "Pilot", "Platform Deal"), ("Expansion", "Upgrade", "Add-On", "Seat Expansion"),
    ("Renewal", "Migration", "Replacement"), ("Renewal", "Right-Size"),
)
# fmt: on
# fmt: off
NEXT_STEPS = (
    "Schedule discovery call", "Send follow-up email", "Book demo with IT team", "Confirm budget with CFO",
    "Send proposal", "Security review with InfoSec", "Negotiate pricing", "Legal review of MSA", "Send order form",
    "Executive sponsor meeting", "Finalize SOW", "Reference call with a customer", "Technical deep dive",
    "Align on success criteria", "Procurement paperwork",
)
# fmt: on
# fmt: off
_OPP_DESCRIPTIONS = (
    "Customer is consolidating vendors this fiscal year.", "Champion is the VP of Operations; budget approved.",
    "Competitive deal against an incumbent.", "Expansion driven by new team onboarding.",
    "Renewal with a request for multi-year pricing.", "Pilot with 50 seats, success criteria agreed.",
    "Procurement requires a security questionnaire.", "Referral from an existing customer.",
)
# fmt: on
# fmt: off
CONTACT_ROLES: tuple[tuple[str, str], ...] = (
    ("Chief Executive Officer", "Executive"), ("Chief Financial Officer", "Finance"),
    ("Chief Technology Officer", "Engineering"), ("Chief Information Officer", "IT"),
    ("VP of Engineering", "Engineering"), ("VP of Sales", "Sales"), ("VP of Marketing", "Marketing"),
    ("Director of IT", "IT"), ("IT Manager", "IT"), ("Procurement Manager", "Procurement"),
    ("Head of Operations", "Operations"), ("Operations Manager", "Operations"), ("Data Engineer", "Engineering"),
    ("Product Manager", "Product"), ("Controller", "Finance"), ("Security Architect", "IT"),
    ("Marketing Manager", "Marketing"), ("Customer Service Manager", "Support"), ("Business Analyst", "Operations"),
    ("Software Engineer", "Engineering"),
)
# fmt: on
# fmt: off
CASE_SUBJECTS = (
    "Cannot log in after password reset", "Sync job failing with timeout", "Invoice amount incorrect",
    "Request for additional licenses", "Dashboard not loading", "API rate limit errors",
    "Data export missing records", "SSO configuration help", "Feature request: bulk edit",
    "Integration with ERP returns 500", "Slow performance on reports", "Mobile app crashes on launch",
    "Billing address update", "Question about renewal terms", "Email notifications not received",
    "Permission error when editing records", "Duplicate records after import", "Webhook deliveries delayed",
    "Need help with onboarding", "Certificate expired warning",
)
# fmt: on
_LEAD_SOURCE_SHARES = (0.35, 0.12, 0.15, 0.08, 0.12, 0.13, 0.05)  # PICKLISTS["LeadSource"] order


# --- vectorised helpers ---------------------------------------------------------------------------


def make_ids(key_prefix: str, numbers: Arr) -> pa.StringArray:
    """The 18-character ids of records ``numbers`` (vectorised :func:`ids.make_id`)."""
    n = len(numbers)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :5] = np.frombuffer((key_prefix + POD).encode("ascii"), dtype=np.uint8)
    rest = np.asarray(numbers, dtype=np.int64).copy()
    for pos in range(14, 4, -1):
        out[:, pos] = _B62[rest % 62]
        rest //= 62
    if n and (rest != 0).any():
        raise ValueError("a record number does not fit in a Salesforce id")
    upper = ((out[:, :15] >= ord("A")) & (out[:, :15] <= ord("Z"))).reshape(n, 3, 5)
    out[:, 15:] = _ID_SUFFIX[(upper * (1 << np.arange(5))).sum(axis=2)]
    offsets = np.arange(0, 18 * (n + 1), 18, dtype=np.int32)
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(out.tobytes()))
    return array


def _indices(index: Arr) -> Any:
    """``index`` as an Arrow int64 array, for ``take``."""
    return pa.array(np.asarray(index, dtype=np.int64), pa.int64())


def _strings(values: Sequence[str], codes: Arr) -> AnyArray:
    """``values[codes]`` as an Arrow string array."""
    return pa.array(list(values), pa.string()).take(_indices(np.asarray(codes, dtype=np.int64)))


def _concat(*parts: Any) -> AnyArray:
    """Element-wise concatenation of string arrays and Python strings (null in, null out)."""
    return pc.binary_join_element_wise(*parts, "")  # type: ignore[no-any-return]


def _digits(values: Arr, width: int) -> AnyArray:
    """Integers as zero-padded decimal strings."""
    text: AnyArray = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    padded: AnyArray = pc.utf8_lpad(text, width=width, padding="0")
    return padded


def _null_where(array: AnyArray, mask: Arr) -> AnyArray:
    out: AnyArray = pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(None, array.type), array)
    return out


def _ts(ms: Arr) -> AnyArray:
    out: AnyArray = pa.array(np.asarray(ms, dtype=np.int64).astype("datetime64[ms]"))
    return out


def _dates(days: Arr) -> AnyArray:
    out: AnyArray = pa.array(np.asarray(days, dtype=np.int64).astype("datetime64[D]"))
    return out


def _round_hundreds(values: Arr) -> Arr:
    out: Arr = np.maximum(np.round(values / 100.0), 1.0) * 100.0
    return out


def _weighted(rng: np.random.Generator, shares: Sequence[float], n: int) -> Arr:
    """``n`` indexes into ``shares``, drawn with those relative weights."""
    p = np.asarray(shares, dtype=float)
    out: Arr = rng.choice(len(p), size=n, p=p / p.sum())
    return out


def _grouped_choice(rng: np.random.Generator, group: Arr, groups: Sequence[Sequence[Any]]) -> Arr:
    """For each element, a uniform index into the flattened ``groups``, within ``groups[group]``."""
    sizes = np.array([len(g) for g in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out: Arr = starts[group] + (rng.random(len(group)) * sizes[group]).astype(np.int64)
    return out


def _numbered_ids(rng: np.random.Generator, key_prefix: str, created: Arr) -> pa.StringArray:
    """Ids that grow with CreatedDate, from a per-object base drawn from ``rng``."""
    base = int(rng.integers(62**5, 62**6))
    rank = np.empty(len(created), dtype=np.int64)
    rank[np.argsort(created, kind="stable")] = np.arange(len(created))
    return make_ids(key_prefix, base + rank)


def _table(obj: str, columns: dict[str, Any], n: int) -> pa.Table:
    """The seed table of ``obj``: every stored field in catalog order, typed, missing ones null."""
    definition = catalog().get(obj)
    if definition is None:
        raise KeyError(f"unknown object {obj!r}")
    stored = {f.name: f for f in definition.stored_fields}
    # The generators give every record IsDeleted and the audit fields; objects without some of them drop them.
    unknown = set(columns) - set(stored) - set(SYSTEM_FIELD_NAMES)
    if unknown:
        raise KeyError(f"{obj} has no stored fields {sorted(unknown)}")
    arrays = []
    for name, fdef in stored.items():
        arrow_type = _ARROW_TYPES[fdef.storage_type or "VARCHAR"]
        value = columns.get(name)
        if value is None:
            arrays.append(pa.nulls(n, cast(Any, arrow_type)))
        elif isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays.append(value.cast(arrow_type))
        else:
            arrays.append(pa.array(np.asarray(value), from_pandas=True).cast(arrow_type))
    return pa.Table.from_arrays(arrays, names=list(stored))


# --- context -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    rng: np.random.Generator
    seed: int
    opportunities: int
    now: int  # ms since the epoch, UTC
    start: int  # ms: the org's creation
    company: Company

    @property
    def today(self) -> int:
        return self.now // DAY_MS

    def created_times(self, n: int, earliest: Arr | int, latest_margin: int = HOUR_MS) -> Arr:
        """Creation times skewed to recent (a growing business), after ``earliest``, before now."""
        low = np.maximum(np.asarray(earliest, dtype=np.int64), self.start + DAY_MS)
        high = self.now - latest_margin
        frac = self.rng.random(n) ** 0.75
        out: Arr = np.minimum(low + (frac * np.maximum(high - low, 0)).astype(np.int64), high)
        return out

    def later(self, after: Arr, bias: float = 1.0) -> Arr:
        """A time strictly between ``after`` and now (bias < 1 pushes it to recent)."""
        after = np.asarray(after, dtype=np.int64)
        span = np.maximum(self.now - MINUTE_MS - after, 1)
        out: Arr = after + 1 + (self.rng.random(len(after)) ** bias * (span - 1)).astype(np.int64)
        return out


def _context(seed: int, opportunities: int, now: datetime) -> _Context:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now_ms = int(now.timestamp() * 1000)
    return _Context(
        rng=np.random.default_rng([seed, 0x5EED]),
        seed=seed,
        opportunities=opportunities,
        now=now_ms,
        start=now_ms - HISTORY_DAYS * DAY_MS,
        company=company(seed),
    )


# --- users and roles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Users:
    ids: pa.StringArray
    created: Arr
    active: Arr
    region: Arr  # index into REGIONS
    level: list[str]
    department: list[str]
    title: list[str]
    manager: Arr  # index, -1 for none
    admin: int
    integration: int
    table: pa.Table

    def pool(self, rng: np.random.Generator, n: int, kinds: tuple[str, ...], active_share: float = 0.95) -> Arr:
        """``n`` owners drawn among people of ``kinds`` (titles or levels), mostly active, weighted by region."""
        eligible = np.array([(lv in kinds or t in kinds) for lv, t in zip(self.level, self.title, strict=True)])
        if not eligible.any():
            eligible = np.array([lv == "ic" for lv in self.level]) | (np.arange(len(self.level)) == 0)
        eligible[self.integration] = False
        weights = np.where(eligible, np.asarray(_REGION_SHARES)[self.region], 0.0)
        counts = np.bincount(self.region[eligible], minlength=len(REGIONS))
        weights = weights / np.maximum(counts[self.region], 1)
        weights = weights * np.where(self.active, active_share, 1 - active_share)
        if weights.sum() == 0:
            weights = eligible.astype(float)
        return rng.choice(len(weights), size=n, p=weights / weights.sum())

    def id_of(self, index: Arr) -> AnyArray:
        return self.ids.take(_indices(np.asarray(index, dtype=np.int64)))


_SELLERS = ("Account Executive", "Senior Account Executive", "manager")
_SDRS = ("Sales Development Representative",)
_SUPPORT = ("Customer Success Manager", "Support Engineer")


def _role_key(person: Person) -> tuple[str, str]:
    if person.level in ("vp", "admin"):
        return (person.level, "")
    if person.level == "ic" and person.department in ("Sales Operations",):
        return ("admin", "")
    return (person.level, person.region)


def _roles(ctx: _Context, admin_id: str) -> tuple[pa.Table, dict[tuple[str, str], str]]:
    """The role hierarchy: VP of Sales > Sales Operations, and per region Director > Manager > Rep."""
    names: list[tuple[tuple[str, str], str, str, tuple[str, str] | None]] = [
        (("vp", ""), "VP of Sales", "VP_of_Sales", None),
        (("admin", ""), "Sales Operations", "Sales_Operations", ("vp", "")),
    ]
    for region in REGIONS:
        names.append((("director", region), f"Sales Director {region}", f"Sales_Director_{region}", ("vp", "")))
        names.append((("manager", region), f"Sales Manager {region}", f"Sales_Manager_{region}", ("director", region)))
        names.append((("ic", region), f"Sales Rep {region}", f"Sales_Rep_{region}", ("manager", region)))
    ids = make_ids("00E", np.arange(len(names)) + int(ctx.rng.integers(62**4, 62**5)))
    by_key = {key: ids[i].as_py() for i, (key, *_rest) in enumerate(names)}
    created = np.full(len(names), ctx.start + MINUTE_MS)
    table = _table(
        "UserRole",
        {
            "Id": ids,
            "IsDeleted": np.zeros(len(names), bool),
            "Name": [n[1] for n in names],
            "DeveloperName": [n[2] for n in names],
            "ParentRoleId": pa.array([by_key[n[3]] if n[3] else None for n in names], pa.string()),
            **_audit(created, created, pa.array([admin_id] * len(names))),
        },
        len(names),
    )
    return table, by_key


def _audit(
    created: Arr, modified: Arr, created_by: AnyArray, modified_by: AnyArray | None = None, modstamp: Arr | None = None
) -> dict[str, Any]:
    return {
        "CreatedDate": _ts(created),
        "CreatedById": created_by,
        "LastModifiedDate": _ts(modified),
        "LastModifiedById": created_by if modified_by is None else modified_by,
        "SystemModstamp": _ts(modified if modstamp is None else modstamp),
    }


def _user_created(ctx: _Context, team: list[Person]) -> Arr:
    m = len(team) + 1
    rng = ctx.rng
    early = ctx.start + (rng.random(m) * 30 * DAY_MS).astype(np.int64)
    hires = ctx.start + 30 * DAY_MS + (rng.random(m) * (HISTORY_DAYS - 90) * DAY_MS).astype(np.int64)
    created = np.where(rng.random(m) < 0.7, early, hires)
    for i, person in enumerate(team):
        if person.level in ("vp", "admin"):
            created[i] = ctx.start + (i + 1) * MINUTE_MS
    created[-1] = max(ctx.start + DAY_MS, ctx.now - 90 * DAY_MS)  # Sales Home was installed 90 days ago
    return created


def _users(ctx: _Context) -> tuple[_Users, pa.Table]:
    """The team of :func:`people.sales_team` plus the integration user, and the role hierarchy."""
    team = sales_team(ctx.seed, team_size(ctx.opportunities))
    m = len(team) + 1
    rng = ctx.rng
    admin = next((i for i, p in enumerate(team) if p.level == "admin"), 0)
    created = _user_created(ctx, team)
    ids = _numbered_ids(rng, "005", created)
    level = [p.level for p in team] + ["integration"]
    inactive_share = np.array([{"ic": 0.08, "manager": 0.03}.get(lv, 0.0) for lv in level])
    active = rng.random(m) >= inactive_share
    modified = ctx.later(created, bias=0.5)
    login = np.where(
        active,
        np.maximum(ctx.now - (rng.random(m) * 14 * DAY_MS).astype(np.int64), created + 1),
        created + ((modified - created) * rng.random(m)).astype(np.int64),
    )
    login[-1] = ctx.now - int(rng.integers(MINUTE_MS, HOUR_MS))
    role_table, roles = _roles(ctx, str(ids[admin].as_py()))
    manager = np.array([-1 if p.manager is None else p.manager for p in team] + [-1])
    columns = {
        **_user_fields(ctx, team, roles),
        "Id": ids,
        "IsDeleted": np.zeros(m, bool),
        "IsActive": active,
        "ManagerId": _null_where(ids.take(_indices(np.maximum(manager, 0))), manager < 0),
        "LastLoginDate": _ts(login),
        **_audit(created, modified, ids.take(_indices(np.full(m, admin)))),
    }
    users = _Users(
        ids=ids,
        created=created,
        active=active,
        region=np.array([REGIONS.index(p.region) for p in team] + [0]),
        level=level,
        department=[p.department for p in team] + ["Sales Operations"],
        title=[p.title for p in team] + ["Integration User"],
        manager=manager,
        admin=admin,
        integration=m - 1,
        table=_table("User", columns, m),
    )
    return users, role_table


def _user_fields(ctx: _Context, team: list[Person], roles: dict[tuple[str, str], str]) -> dict[str, Any]:
    domain = ctx.company.domain
    rows: list[tuple[Any, ...]] = [
        (
            p.first_name,
            p.last_name,
            p.salesforce_email,
            p.email,
            p.title,
            p.department,
            p.time_zone,
            p.locale,
            p.language,
            roles.get(_role_key(p), roles[("ic", p.region)]),
            p.region,
        )
        for p in team
    ]
    rows.append(
        (
            "Sales Home",
            "Integration",
            f"saleshome-integration@{domain}",
            INTEGRATION_USERNAME,
            "Integration User",
            "Sales Operations",
            "America/Los_Angeles",
            "en_US",
            "en_US",
            None,
            "AMER",
        )
    )
    first, last, email, work, title, dept, zone, locale, lang, role, region = (list(c) for c in zip(*rows, strict=True))
    currency = {"AMER": "USD", "LATAM": "USD", "EMEA": "EUR", "APAC": "USD"}
    return {
        "Username": [w if w == INTEGRATION_USERNAME else f"{w}.sales" for w in work],
        "FirstName": first,
        "LastName": last,
        "Name": [f"{f} {la}" for f, la in zip(first, last, strict=True)],
        "CompanyName": [ctx.company.name] * len(rows),
        "Department": dept,
        "Title": title,
        "Email": email,
        "Alias": [(email_local(f)[:1] + email_local(la))[:8] for f, la in zip(first, last, strict=True)],
        "TimeZoneSidKey": zone,
        "LocaleSidKey": locale,
        "LanguageLocaleKey": lang,
        "EmailEncodingKey": ["UTF-8"] * len(rows),
        "UserRoleId": pa.array(role, pa.string()),
        "DefaultCurrencyIsoCode": [currency[r] for r in region],
    }


# --- accounts and contacts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Accounts:
    ids: pa.StringArray
    names: AnyArray
    domains: AnyArray
    owner: Arr
    created: Arr
    region: Arr
    city: Arr  # flat index into the cities of all regions
    currency: AnyArray
    weight: Arr  # relative number of deals
    table: pa.Table


def company_names(rng: np.random.Generator, n: int) -> tuple[AnyArray, AnyArray, Arr]:
    """Company names, their web domains and industries (indexes into PICKLISTS["Industry"])."""
    first = rng.integers(len(_COMPANY_WORDS), size=n)
    second = rng.integers(len(_COMPANY_WORDS), size=n)
    core = rng.integers(len(_COMPANY_CORES), size=n)
    suffix = _weighted(rng, [w for _, w in _COMPANY_SUFFIXES], n)
    two_words = (rng.random(n) < 0.55) & (first != second)
    prefix = _concat(_strings(_COMPANY_WORDS, first), " ")
    prefix = pc.if_else(pa.array(two_words), _concat(prefix, _strings(_COMPANY_WORDS, second), " "), prefix)
    stem = _concat(prefix, _strings([c for c, _ in _COMPANY_CORES], core))
    names = _concat(stem, _strings([s for s, _ in _COMPANY_SUFFIXES], suffix))
    slug = pc.replace_substring_regex(pc.utf8_lower(stem), pattern="[^a-z0-9]", replacement="")
    industries = PICKLISTS["Industry"]
    industry = np.array([industries.index(i) for _, i in _COMPANY_CORES])[core]
    return names, _concat(slug, ".example"), industry


def _flat_cities() -> list[tuple[str, str, str, str, float, float, str]]:
    return [c for region in _CITIES for c in region]


def _addresses(rng: np.random.Generator, region: Arr, prefix: str) -> tuple[dict[str, Any], Arr]:
    """Street, city, state, postal code, country, latitude and longitude columns for ``region``."""
    n = len(region)
    city = _grouped_choice(rng, region, _CITIES)
    flat = _flat_cities()
    street = _concat(
        pa.array(rng.integers(1, 2500, size=n)).cast(pa.string()),
        " ",
        _strings(_STREETS, rng.integers(len(_STREETS), size=n)),
        " ",
        _strings(_STREET_KINDS, rng.integers(len(_STREET_KINDS), size=n)),
    )
    jitter = rng.normal(0, 0.03, size=(2, n))
    columns = {
        f"{prefix}Street": street,
        f"{prefix}City": _strings([c[0] for c in flat], city),
        f"{prefix}State": _strings([c[1] for c in flat], city),
        f"{prefix}PostalCode": _strings([c[3] for c in flat], city),
        f"{prefix}Country": _strings([c[2] for c in flat], city),
        f"{prefix}Latitude": np.round(np.array([c[4] for c in flat])[city] + jitter[0], 6),
        f"{prefix}Longitude": np.round(np.array([c[5] for c in flat])[city] + jitter[1], 6),
    }
    return columns, city


def _phones(rng: np.random.Generator, city: Arr) -> AnyArray:
    prefixes = _strings([c[6] for c in _flat_cities()], city)
    return _concat(prefixes, " 555 ", _digits(rng.integers(0, 10_000, size=len(city)), 4))


def _currencies(rng: np.random.Generator, region: Arr) -> AnyArray:
    """Currency ISO codes drawn from each region's mix."""
    codes = np.zeros(len(region), dtype=np.int64)
    flat: list[str] = []
    for r, mix in enumerate(_REGION_CURRENCIES):
        mask = region == r
        codes[mask] = len(flat) + _weighted(rng, [w for _, w in mix], int(mask.sum()))
        flat.extend(c for c, _ in mix)
    return _strings(flat, codes)


def _accounts(ctx: _Context, users: _Users) -> _Accounts:
    rng = ctx.rng
    n = max(10, ctx.opportunities // 4)
    owner = users.pool(rng, n, _SELLERS)
    region = users.region[owner]
    created = ctx.created_times(n, users.created[owner] + HOUR_MS, latest_margin=3 * DAY_MS)
    ids = _numbered_ids(rng, "001", created)
    names, domains, industry = company_names(rng, n)
    address, city = _addresses(rng, region, "Billing")
    currency = _currencies(rng, region)
    employees = np.clip(rng.lognormal(5.5, 1.6, size=n), 2, 400_000).astype(np.int64)
    has_parent = rng.random(n) < 0.04
    parent = rng.integers(n, size=n)
    has_parent &= parent != np.arange(n)
    modified = ctx.later(created, bias=0.7)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(n, bool),
        "Name": names,
        "Type": _strings(PICKLISTS["AccountType"], _weighted(rng, [35, 35, 8, 8, 4, 5, 5], n)),
        "ParentId": _null_where(ids.take(_indices(parent)), ~has_parent),
        **address,
        "Phone": _phones(rng, city),
        "Website": _concat("https://www.", domains),
        "Industry": _strings(PICKLISTS["Industry"], industry),
        "AnnualRevenue": np.round(employees * rng.lognormal(12.0, 0.5, size=n), -3),
        "NumberOfEmployees": employees,
        "Rating": _strings(PICKLISTS["Rating"], _weighted(rng, [2, 5, 3], n)),
        "AccountSource": _strings(PICKLISTS["LeadSource"], _weighted(rng, _LEAD_SOURCE_SHARES, n)),
        "CurrencyIsoCode": currency,
        "OwnerId": users.id_of(owner),
        "LastActivityDate": _null_where(_dates(modified // DAY_MS), rng.random(n) < 0.4),
        **_audit(created, modified, users.id_of(owner)),
    }
    return _Accounts(
        ids=ids,
        names=names,
        domains=domains,
        owner=owner,
        created=created,
        region=region,
        city=city,
        currency=currency,
        weight=rng.lognormal(0, 1.0, size=n),
        table=_table("Account", columns, n),
    )


@dataclass(frozen=True)
class _Contacts:
    ids: pa.StringArray
    start: Arr  # first contact index of each account
    count: Arr  # contacts per account
    table: pa.Table


def _person_columns(rng: np.random.Generator, n: int, domains: AnyArray) -> dict[str, Any]:
    first, last = draw_names(rng, n)
    first_local = _strings([email_local(f) for f in FIRST_NAMES], first)
    last_local = _strings([email_local(la) for la in LAST_NAMES], last)
    first_names = _strings(FIRST_NAMES, first)
    last_names = _strings(LAST_NAMES, last)
    return {
        "FirstName": first_names,
        "LastName": last_names,
        "Name": _concat(first_names, " ", last_names),
        "Email": _null_where(_concat(first_local, ".", last_local, "@", domains), rng.random(n) < 0.05),
    }


def _contacts(ctx: _Context, users: _Users, accounts: _Accounts) -> _Contacts:
    rng = ctx.rng
    count = 1 + np.minimum(rng.poisson(1.0, size=len(accounts.owner)), 6)
    account = np.repeat(np.arange(len(count)), count)
    n = len(account)
    owner = accounts.owner[account]
    created = ctx.created_times(n, accounts.created[account] + MINUTE_MS, latest_margin=2 * DAY_MS)
    ids = _numbered_ids(rng, "003", created)
    role = rng.integers(len(CONTACT_ROLES), size=n)
    take = _indices(account)
    city = accounts.city[account]
    address = {f"Mailing{k.removeprefix('Billing')}": v for k, v in _account_address(accounts, take).items()}
    modified = ctx.later(created, bias=0.8)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(n, bool),
        "AccountId": accounts.ids.take(take),
        **_person_columns(rng, n, accounts.domains.take(take)),
        **address,
        "Phone": _phones(rng, city),
        "Title": _strings([t for t, _ in CONTACT_ROLES], role),
        "Department": _strings([d for _, d in CONTACT_ROLES], role),
        "LeadSource": _strings(PICKLISTS["LeadSource"], _weighted(rng, _LEAD_SOURCE_SHARES, n)),
        "CurrencyIsoCode": accounts.currency.take(take),
        "OwnerId": users.id_of(owner),
        "LastActivityDate": _null_where(_dates(modified // DAY_MS), rng.random(n) < 0.5),
        **_audit(created, modified, users.id_of(owner)),
    }
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    return _Contacts(ids=ids, start=starts, count=count, table=_table("Contact", columns, n))


def _account_address(accounts: _Accounts, take: AnyArray) -> dict[str, Any]:
    fields = ("Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude")
    return {f"Billing{f}": accounts.table.column(f"Billing{f}").take(take) for f in fields}


# --- opportunities and their history ---------------------------------------------------------------


@dataclass(frozen=True)
class _Opportunities:
    ids: pa.StringArray
    account: Arr
    owner: Arr
    stage: Arr
    amount: Arr  # NaN for none
    close_day: Arr
    created: Arr
    stage_time: Arr  # when the current stage/amount/close date were last set
    currency: AnyArray
    table: pa.Table


def _stage_arrays() -> tuple[list[str], Arr, Arr, Arr, list[str], list[str]]:
    names = [s["ApiName"] for s in STAGES]
    closed = np.array([s["IsClosed"] for s in STAGES])
    won = np.array([s["IsWon"] for s in STAGES])
    probability = np.array([float(s["DefaultProbability"]) for s in STAGES])
    forecast_name = [s["ForecastCategoryName"] for s in STAGES]
    forecast = [FORECAST_CATEGORY[f] for f in forecast_name]
    return names, closed, won, probability, forecast_name, forecast


def _opportunity_times(ctx: _Context, closed: Arr, earliest: Arr, signed: Arr) -> tuple[Arr, Arr, Arr, Arr]:
    """CreatedDate, the time of the last stage change, LastModifiedDate and CloseDate (days)."""
    rng = ctx.rng
    n = len(closed)
    age_open = np.minimum(rng.exponential(120 * DAY_MS, size=n), (HISTORY_DAYS - 2) * DAY_MS).astype(np.int64)
    old = ctx.start + (rng.random(n) ** 0.9 * (HISTORY_DAYS - 14) * DAY_MS).astype(np.int64)
    created = np.where(closed, old, ctx.now - HOUR_MS - age_open)
    created = np.minimum(np.maximum(created, earliest), ctx.now - HOUR_MS)
    room = ctx.now - MINUTE_MS - created
    cycle = (2 * DAY_MS + rng.exponential(50 * DAY_MS, size=n)).astype(np.int64)
    closing = created + np.minimum(cycle, (room * 0.98).astype(np.int64))
    touched = created + (rng.random(n) ** 0.5 * room).astype(np.int64)
    stage_time = np.maximum(np.where(closed, closing, touched), created + 10 * MINUTE_MS)
    stage_time = np.minimum(stage_time, ctx.now - MINUTE_MS)
    later_edit = rng.random(n) < 0.15
    modified = np.where(later_edit, ctx.later(stage_time), stage_time)
    ahead = 1 + np.where(signed, rng.exponential(10, size=n), np.minimum(rng.exponential(45, size=n), 364))
    close_day = np.where(closed, stage_time // DAY_MS, ctx.today + ahead.astype(np.int64))
    return created, stage_time, modified, close_day


def _opportunities(ctx: _Context, users: _Users, accounts: _Accounts) -> _Opportunities:
    rng = ctx.rng
    n = ctx.opportunities
    names, closed_by_stage, won_by_stage, probability, forecast_name, forecast = _stage_arrays()
    stage = _weighted(rng, [STAGE_SHARES[s] for s in names], n)
    account = rng.choice(len(accounts.owner), size=n, p=accounts.weight / accounts.weight.sum())
    owner = np.where(rng.random(n) < 0.75, accounts.owner[account], users.pool(rng, n, _SELLERS, active_share=0.9))
    earliest = np.maximum(accounts.created[account], users.created[owner]) + HOUR_MS
    closed = closed_by_stage[stage]
    created, stage_time, modified, close_day = _opportunity_times(
        ctx, closed, earliest, stage == names.index("Contract Signed")
    )
    ids = _numbered_ids(rng, "006", created)
    opp_type = _weighted(rng, [45, 35, 12, 8], n)
    amount = _round_hundreds(rng.lognormal(np.log(28_000), 1.05, size=n) * np.where(opp_type == 0, 1.4, 1.0))
    currency = accounts.currency.take(_indices(account))
    amount = np.where(pc.equal(currency, pa.scalar("JPY")).to_numpy(zero_copy_only=False), amount * 150, amount)
    amount = np.where((stage <= 1) & (rng.random(n) < 0.04), np.nan, amount)
    kind = _grouped_choice(rng, opp_type, DEAL_KINDS)
    deal = _concat(
        _strings(PRODUCTS, rng.integers(len(PRODUCTS), size=n)),
        " ",
        _strings([k for kinds in DEAL_KINDS for k in kinds], kind),
    )
    take = _indices(account)
    open_ = ~closed
    modified_by = np.where(rng.random(n) < 0.1, np.maximum(users.manager[owner], 0), owner)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(n, bool),
        "AccountId": accounts.ids.take(take),
        "Name": pc.utf8_slice_codeunits(_concat(accounts.names.take(take), " - ", deal), 0, 120),
        "Description": _null_where(
            _strings(_OPP_DESCRIPTIONS, rng.integers(len(_OPP_DESCRIPTIONS), size=n)), rng.random(n) < 0.7
        ),
        "StageName": _strings(names, stage),
        "Amount": amount,
        "Probability": probability[stage],
        "CloseDate": _dates(close_day),
        "Type": _strings(PICKLISTS["OppType"], opp_type),
        "NextStep": _null_where(
            _strings(NEXT_STEPS, rng.integers(len(NEXT_STEPS), size=n)), ~open_ | (rng.random(n) < 0.2)
        ),
        "LeadSource": _strings(PICKLISTS["LeadSource"], _weighted(rng, _LEAD_SOURCE_SHARES, n)),
        "IsClosed": closed,
        "IsWon": won_by_stage[stage],
        "ForecastCategory": _strings(forecast, stage),
        "ForecastCategoryName": _strings(forecast_name, stage),
        "CurrencyIsoCode": currency,
        "OwnerId": users.id_of(owner),
        "Region__c": _strings(REGIONS, users.region[owner]),
        "LastActivityDate": _null_where(_dates(ctx.later(created, bias=0.6) // DAY_MS), rng.random(n) < 0.35),
        **_audit(
            created,
            modified,
            users.id_of(owner),
            users.id_of(modified_by),
            np.where(rng.random(n) < 0.05, ctx.later(modified), modified),
        ),
    }
    return _Opportunities(
        ids=ids,
        account=account,
        owner=owner,
        stage=stage,
        amount=amount,
        close_day=close_day,
        created=created,
        stage_time=stage_time,
        currency=currency,
        table=_table("Opportunity", columns, n),
    )


def _history_rows(ctx: _Context, opps: _Opportunities, closed: Arr) -> Arr:
    """How many OpportunityHistory rows each opportunity has (1 to 5; at least 2 once closed)."""
    extra = ctx.rng.poisson(0.3 + 0.35 * np.where(closed, 4, opps.stage), size=len(opps.stage))
    return np.clip(1 + extra, np.where(closed, 2, 1), 5)


def _history_stages(ctx: _Context, opps: _Opportunities, closed: Arr, rows: Arr, opp: Arr, j: Arr) -> Arr:
    """The stage of each history row: an increasing path ending at the current stage."""
    names = [s["ApiName"] for s in STAGES]
    rng = ctx.rng
    n = len(opps.stage)
    won = opps.stage == names.index("Closed Won")
    reached = np.where(
        won,
        np.where(rng.random(n) < 0.2, names.index("Contract Signed"), names.index("Negotiation/Review")),
        _weighted(rng, [5, 5, 4, 3, 2, 2, 2, 1], n),
    )
    target = np.where(closed, reached, opps.stage)
    pre = rows - 1
    denominator = np.where(closed, np.maximum(pre - 1, 1), np.maximum(pre, 1))[opp]
    path = (target[opp] * j) // denominator
    return np.where(j == rows[opp] - 1, opps.stage[opp], path)


def _history_times(ctx: _Context, opps: _Opportunities, rows: Arr, opp: Arr, j: Arr) -> Arr:
    """Strictly increasing times from CreatedDate (first row) to the last stage change (last row)."""
    gaps = ctx.rng.exponential(1.0, size=len(opp)) + 1e-3
    gaps[j == 0] = 0.0
    cumulative = np.cumsum(gaps)
    group_start = np.repeat(cumulative[np.cumsum(rows) - rows], rows)
    group_end = np.repeat(cumulative[np.cumsum(rows) - 1], rows)
    frac = np.where(rows[opp] > 1, (cumulative - group_start) / np.maximum(group_end - group_start, 1e-9), 0.0)
    span = opps.stage_time[opp] - opps.created[opp] - (rows[opp] - 1)
    out: Arr = opps.created[opp] + (frac * np.maximum(span, 0)).astype(np.int64) + j
    return out


def _history(ctx: _Context, opps: _Opportunities, users: _Users) -> pa.Table:
    _names, closed_by_stage, _won, probability, _fname, forecast = _stage_arrays()
    rng = ctx.rng
    closed = closed_by_stage[opps.stage]
    rows = _history_rows(ctx, opps, closed)
    opp = np.repeat(np.arange(len(rows)), rows)
    total = len(opp)
    j = np.arange(total) - np.repeat(np.cumsum(rows) - rows, rows)
    last = j == rows[opp] - 1
    stage = _history_stages(ctx, opps, closed, rows, opp, j)
    amount = np.where(last, opps.amount[opp], _round_hundreds(opps.amount[opp] * rng.lognormal(0, 0.25, total)))
    close_day = np.where(
        last,
        opps.close_day[opp],
        np.maximum(opps.close_day[opp] + rng.normal(0, 30, total).astype(np.int64), opps.created[opp] // DAY_MS),
    )
    first = j == 0
    prev_amount = np.where(first, np.nan, np.roll(amount, 1))
    prev_close = np.roll(close_day, 1)
    times = _history_times(ctx, opps, rows, opp, j)
    ids = _numbered_ids(rng, "008", times)
    take = _indices(opp)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(total, bool),
        "OpportunityId": opps.ids.take(take),
        "StageName": _strings([s["ApiName"] for s in STAGES], stage),
        "Amount": amount,
        "ExpectedRevenue": amount * probability[stage] / 100.0,
        "CloseDate": _dates(close_day),
        "Probability": probability[stage],
        "ForecastCategory": _strings(forecast, stage),
        "PrevAmount": prev_amount,
        "PrevCloseDate": _null_where(_dates(prev_close), first),
        "CurrencyIsoCode": opps.currency.take(take),
        "CreatedDate": _ts(times),
        "CreatedById": users.id_of(opps.owner[opp]),
        "SystemModstamp": _ts(times),
    }
    return _table("OpportunityHistory", columns, total)


# --- leads and cases ---------------------------------------------------------------------------------


def _leads(ctx: _Context, users: _Users, accounts: _Accounts, opps: _Opportunities) -> pa.Table:
    rng = ctx.rng
    n = max(10, ctx.opportunities // 4)
    status = _weighted(rng, [30, 30, 20, 20], n)
    converted = status == 2
    opp = rng.integers(len(opps.stage), size=n)
    owner = np.where(converted, opps.owner[opp], users.pool(rng, n, _SDRS))
    region = users.region[owner]
    names, domains, industry = company_names(rng, n)
    names = pc.if_else(pa.array(converted), accounts.names.take(_indices(opps.account[opp])), names)
    converted_at = opps.created[opp]
    created = np.where(
        converted,
        np.maximum(converted_at - rng.exponential(20 * DAY_MS, n).astype(np.int64), ctx.start + HOUR_MS),
        ctx.created_times(n, users.created[owner] + HOUR_MS),
    )
    created = np.where(converted, np.minimum(created, converted_at - MINUTE_MS), created)
    ids = _numbered_ids(rng, "00Q", created)
    modified = np.where(converted, converted_at, ctx.later(created, bias=0.7))
    address, city = _addresses(rng, region, "")
    employees = np.clip(rng.lognormal(4.5, 1.5, size=n), 1, 100_000).astype(np.int64)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(n, bool),
        **_person_columns(rng, n, domains),
        "Title": _strings([t for t, _ in CONTACT_ROLES], rng.integers(len(CONTACT_ROLES), size=n)),
        "Company": names,
        **address,
        "Phone": _phones(rng, city),
        "Website": _concat("https://www.", domains),
        "LeadSource": _strings(PICKLISTS["LeadSource"], _weighted(rng, _LEAD_SOURCE_SHARES, n)),
        "Status": _strings(PICKLISTS["LeadStatus"], status),
        "Industry": _strings(PICKLISTS["Industry"], industry),
        "Rating": _strings(PICKLISTS["Rating"], _weighted(rng, [2, 5, 3], n)),
        "AnnualRevenue": np.round(employees * rng.lognormal(11.5, 0.5, size=n), -3),
        "NumberOfEmployees": employees,
        "OwnerId": users.id_of(owner),
        "IsConverted": converted,
        "ConvertedDate": _null_where(_dates(converted_at // DAY_MS), ~converted),
        "ConvertedAccountId": _null_where(accounts.ids.take(_indices(opps.account[opp])), ~converted),
        "ConvertedOpportunityId": _null_where(opps.ids.take(_indices(opp)), ~converted),
        "CurrencyIsoCode": _currencies(rng, region),
        **_audit(created, modified, users.id_of(owner)),
    }
    return _table("Lead", columns, n)


def _cases(ctx: _Context, users: _Users, accounts: _Accounts, contacts: _Contacts) -> pa.Table:
    rng = ctx.rng
    n = max(10, ctx.opportunities // 4)
    account = rng.choice(len(accounts.owner), size=n, p=accounts.weight / accounts.weight.sum())
    contact = contacts.start[account] + (rng.random(n) * contacts.count[account]).astype(np.int64)
    owner = users.pool(rng, n, _SUPPORT)
    created = ctx.created_times(n, np.maximum(accounts.created[account], users.created[owner]) + HOUR_MS)
    ids = _numbered_ids(rng, "500", created)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(created, kind="stable")] = np.arange(n)
    status = _weighted(rng, [15, 18, 7, 60], n)
    closed = status == 3
    closed_at = np.minimum(created + rng.exponential(3 * DAY_MS, n).astype(np.int64) + MINUTE_MS, ctx.now - MINUTE_MS)
    modified = np.where(closed, closed_at, ctx.later(created, bias=0.6))
    take = _indices(account)
    columns = {
        "Id": ids,
        "IsDeleted": np.zeros(n, bool),
        "CaseNumber": _digits(rank + 1001, 8),
        "ContactId": contacts.ids.take(_indices(contact)),
        "AccountId": accounts.ids.take(take),
        "Type": _strings(PICKLISTS["CaseType"], _weighted(rng, [20, 20, 25, 10, 25], n)),
        "Status": _strings(PICKLISTS["CaseStatus"], status),
        "Reason": _strings(PICKLISTS["CaseReason"], rng.integers(len(PICKLISTS["CaseReason"]), size=n)),
        "Origin": _strings(PICKLISTS["CaseOrigin"], _weighted(rng, [3, 5, 4], n)),
        "Subject": _strings(CASE_SUBJECTS, rng.integers(len(CASE_SUBJECTS), size=n)),
        "Priority": _strings(PICKLISTS["CasePriority"], _weighted(rng, [2, 5, 3], n)),
        "IsClosed": closed,
        "ClosedDate": _null_where(_ts(closed_at), ~closed),
        "IsEscalated": (status == 2) | (rng.random(n) < 0.03),
        "OwnerId": users.id_of(owner),
        "CurrencyIsoCode": accounts.currency.take(take),
        **_audit(created, modified, users.id_of(owner)),
    }
    return _table("Case", columns, n)


# --- small objects -----------------------------------------------------------------------------------


def _organization(ctx: _Context, users: _Users) -> pa.Table:
    org = org_id(ctx.seed)
    admin = users.id_of(np.array([users.admin]))
    return _table(
        "Organization",
        {
            "Id": pa.array([org]),
            "IsDeleted": [False],
            "Name": [ctx.company.name],
            "OrganizationType": ["Enterprise Edition"],
            "IsSandbox": [False],
            "InstanceName": ["NA224"],
            "DefaultLocaleSidKey": ["en_US"],
            "LanguageLocaleKey": ["en_US"],
            "TimeZoneSidKey": ["America/Los_Angeles"],
            "DefaultCurrencyIsoCode": ["USD"],
            **_audit(np.array([ctx.start]), np.array([ctx.start + DAY_MS]), admin),
        },
        1,
    )


def org_id(seed: int) -> str:
    """The Organization id of the org generated with ``seed``."""
    number = int(np.random.default_rng([seed, 0x0D]).integers(62**5, 62**6))
    return str(make_ids("00D", np.array([number]))[0].as_py())


def _stages(ctx: _Context, users: _Users) -> pa.Table:
    n = len(STAGES)
    created = np.full(n, ctx.start + MINUTE_MS)
    admin = users.id_of(np.full(n, users.admin))
    return _table(
        "OpportunityStage",
        {
            "Id": make_ids("01J", np.arange(n) + int(ctx.rng.integers(62**4, 62**5))),
            "IsDeleted": np.zeros(n, bool),
            "MasterLabel": [s["ApiName"] for s in STAGES],
            "ApiName": [s["ApiName"] for s in STAGES],
            "IsActive": np.ones(n, bool),
            "SortOrder": np.arange(1, n + 1),
            "IsClosed": [s["IsClosed"] for s in STAGES],
            "IsWon": [s["IsWon"] for s in STAGES],
            "ForecastCategory": [FORECAST_CATEGORY[s["ForecastCategoryName"]] for s in STAGES],
            "ForecastCategoryName": [s["ForecastCategoryName"] for s in STAGES],
            "DefaultProbability": [float(s["DefaultProbability"]) for s in STAGES],
            "Description": [_stage_description(s) for s in STAGES],
            **_audit(created, created, admin),
        },
        n,
    )


def _stage_description(stage: dict[str, Any]) -> str:
    if stage["ApiName"] == "Contract Signed":
        return "Custom stage: the contract is signed; the deal stays open until the first payment."
    return f"Standard sales process stage ({stage['ForecastCategoryName']})."


def _permission_sets(ctx: _Context, users: _Users) -> tuple[pa.Table, Arr]:
    n = len(PERMISSION_SETS)
    created = np.array(
        [
            users.created[users.integration] - HOUR_MS
            if name.startswith(("Slack", "Sales_Home"))
            else ctx.start + 2 * MINUTE_MS
            for name, *_ in PERMISSION_SETS
        ]
    )
    ids = make_ids("0PS", np.arange(n) + int(ctx.rng.integers(62**4, 62**5)))
    table = _table(
        "PermissionSet",
        {
            "Id": ids,
            "IsDeleted": np.zeros(n, bool),
            "Name": [p[0] for p in PERMISSION_SETS],
            "Label": [p[1] for p in PERMISSION_SETS],
            "Description": [p[2] for p in PERMISSION_SETS],
            "IsOwnedByProfile": np.zeros(n, bool),
            "IsCustom": [p[3] for p in PERMISSION_SETS],
            **_audit(created, created, users.id_of(np.full(n, users.admin))),
        },
        n,
    )
    return table, created


def _assignment_pairs(ctx: _Context, users: _Users) -> tuple[Arr, Arr]:
    """(user index, permission set index) of every assignment."""
    rng = ctx.rng
    m = len(users.level)
    team = np.arange(m) != users.integration
    level = np.array(users.level)
    sales = np.array([d in ("Sales", "Sales Operations") for d in users.department])
    home_share = np.where(level == "ic", np.where(sales, 0.9, 0.5), 0.92)
    home = team & (rng.random(m) < home_share)
    home[users.admin] = True
    analytics = team & ((level != "ic") | (rng.random(m) < 0.15))
    pairs = [
        (np.flatnonzero(home), 0),
        (np.flatnonzero(team), 1),
        (np.flatnonzero(analytics), 2),
        (np.array([users.integration]), 3),
    ]
    return (np.concatenate([u for u, _ in pairs]), np.concatenate([np.full(len(u), k) for u, k in pairs]))


def _member_without_sales_home(ctx: _Context, users: _Users, user: Arr, pset: Arr, now_holders: Arr) -> int | None:
    """The rep whose Slack Sales Home User assignment the seed leaves out, when no one would lack it.

    The app must show members without the permission set an access screen, so every org has at least
    one: an active sales rep who is in Slack under the same email as in Salesforce (so the app matches
    them), and who holds no current assignment of the set.  When the draws already give one, nothing is
    changed; otherwise the first such rep (team order) loses the assignment.
    """
    team = sales_team(ctx.seed, team_size(ctx.opportunities))
    matched = [
        i for i, p in enumerate(team)
        if p.level == "ic" and p.department == "Sales" and p.in_slack and p.email == p.salesforce_email
        and users.active[i]
    ]
    holders = set(user[(pset == 0) & now_holders].tolist())
    if not matched or any(i not in holders for i in matched):
        return None
    return matched[0]


def _assignments(ctx: _Context, users: _Users, set_ids: AnyArray, set_created: Arr) -> pa.Table:
    rng = ctx.rng
    user, pset = _assignment_pairs(ctx, users)
    n = len(user)
    created = ctx.created_times(n, np.maximum(users.created[user], set_created[pset]) + MINUTE_MS)
    ids = _numbered_ids(rng, "0Pa", created)
    draw = rng.random(n)
    temporary = (pset == 0) & (user != users.admin)
    expired = temporary & (draw < 0.05)
    expiring = temporary & (draw >= 0.05) & (draw < 0.09)
    expiry = np.where(expired, ctx.later(created, bias=0.5), ctx.now + (rng.integers(7, 120, size=n) * DAY_MS))
    expiry = (expiry // HOUR_MS) * HOUR_MS
    expiry = np.where(expired, np.minimum(np.maximum(expiry, created + 1), ctx.now - MINUTE_MS), expiry)
    admin = users.id_of(np.full(n, users.admin))
    # Every draw is made before dropping a row, so the other assignments do not depend on it.
    left_out = _member_without_sales_home(ctx, users, user, pset, ~expired)
    keep = ~((pset == 0) & (user == left_out)) if left_out is not None else np.ones(n, bool)
    table = _table(
        "PermissionSetAssignment",
        {
            "Id": ids,
            "IsDeleted": np.zeros(n, bool),
            "PermissionSetId": set_ids.take(_indices(pset)),
            "AssigneeId": users.id_of(user),
            "IsActive": users.active[user],
            "IsRevoked": np.zeros(n, bool),
            "ExpirationDate": _null_where(_ts(expiry), ~(expired | expiring)),
            **_audit(created, created, admin),
        },
        n,
    )
    return table.filter(pa.array(keep))


def _list_views(ctx: _Context, users: _Users) -> pa.Table:
    n = len(LIST_VIEWS)
    created = np.full(n, ctx.start + 3 * MINUTE_MS)
    return _table(
        "ListView",
        {
            "Id": make_ids("00B", np.arange(n) + int(ctx.rng.integers(62**4, 62**5))),
            "IsDeleted": np.zeros(n, bool),
            "Name": [v.label for v in LIST_VIEWS],
            "DeveloperName": [v.developer_name for v in LIST_VIEWS],
            "SobjectType": [v.sobject for v in LIST_VIEWS],
            "IsSoqlCompatible": np.ones(n, bool),
            **_audit(created, created, users.id_of(np.full(n, users.admin))),
        },
        n,
    )


# --- entry point ---------------------------------------------------------------------------------------


def generate_org(seed: int, opportunities: int, now: datetime) -> dict[str, pa.Table]:
    """Every object of the catalog for an org with ``opportunities`` opportunities, deterministic by ``seed``.

    All timestamps lie in the two years before ``now`` (aware, or naive UTC) and strictly before it.
    """
    if opportunities < 1:
        raise ValueError(f"an org needs at least one opportunity, got {opportunities}")
    ctx = _context(seed, opportunities, now)
    users, roles = _users(ctx)
    accounts = _accounts(ctx, users)
    contacts = _contacts(ctx, users, accounts)
    opps = _opportunities(ctx, users, accounts)
    set_table, set_created = _permission_sets(ctx, users)
    tables = {
        "Organization": _organization(ctx, users),
        "UserRole": roles,
        "User": users.table,
        "Account": accounts.table,
        "Contact": contacts.table,
        "Lead": _leads(ctx, users, accounts, opps),
        "Case": _cases(ctx, users, accounts, contacts),
        "Opportunity": opps.table,
        "OpportunityHistory": _history(ctx, opps, users),
        "OpportunityStage": _stages(ctx, users),
        "PermissionSet": set_table,
        "PermissionSetGroup": _table("PermissionSetGroup", {}, 0),  # no groups: every set is assigned itself
        "PermissionSetAssignment": _assignments(ctx, users, set_table.column("Id").combine_chunks(), set_created),
        "ListView": _list_views(ctx, users),
    }
    missing = {o.name for o in catalog()} - set(tables)
    if missing:
        raise RuntimeError(f"seed misses objects {sorted(missing)}")
    return tables
