"""The Slack organisation of the sandbox, deterministic by seed.

An Enterprise organisation (``E…``) of the company of :func:`saleshome.sandbox.people.company`
with two workspaces: "<Company> Sales" (everyone) and "<Company> EMEA" (the EMEA region plus
the VP, the Salesforce administrator and the IT owner).  Members come from
:func:`saleshome.sandbox.people.sales_team` with the same ``seed`` and ``team_size(opportunities)``
as the Salesforce sandbox: one Slack user per person whose ``in_slack`` is true, with
``Person.email`` as profile email (so most Salesforce users match by email, a few do not).
Besides them: an IT director who is the primary owner (not in Salesforce), Slackbot, and the
"Sales Home" bot.  The last individual contributor is deactivated.

Languages (``locale``, shown by ``users.info``/``users.list`` with ``include_locale``): people in
Paris use Slack in French (``fr-FR``), the rest of EMEA and APAC in British English (``en-GB``),
the Americas in American English (``en-US``) — Slack's own setting, independent of the
Salesforce user's ``LocaleSidKey``.  Every seed has active sales people in each of the three
(:func:`_spread_locales`); Slackbot, the bot and the IT owner use ``en-US``.

Channels (per workspace): public and private ones, a legacy private channel with a ``G`` id
(``is_channel`` false, ``is_group`` true), an archived channel, an org-shared channel, a Slack
Connect channel shared with an external organisation, and channels the bot is not in (public
→ ``not_in_channel``, private → invisible to it), one group DM (``is_mpim``: the bot and two
sales leaders) and one direct message the bot already has with an active seller (``is_im``);
other direct messages (``D…``) are opened when the bot posts to a user id.

Built once per sandbox start; the result is plain data (``world.py``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from ..people import FIRST_NAMES, LAST_NAMES, Person, company, email_local, sales_team, team_size
from .ids import IdFactory
from .world import Conversation, ConversationKind, Enterprise, Profile, Team, Token, TokenKind, User, World

BOT_SCOPES: frozenset[str] = frozenset(
    {
        "chat:write",
        "channels:read",
        "groups:read",
        "im:read",
        "im:write",
        "users:read",
        "users:read.email",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:read",
        "mpim:history",
        "channels:join",
        "team:read",
        "users.profile:read",
    }
)
ADMIN_SCOPES: frozenset[str] = frozenset(
    {
        "users.profile:write",
        "users.profile:read",
        "users:read",
        "users:read.email",
        "team:read",
        "channels:read",
        "groups:read",
    }
)
MEMBER_SCOPES: frozenset[str] = frozenset({"users.profile:write", "users.profile:read", "users:read"})
SLACK_LOCALES = ("en-US", "en-GB", "fr-FR")
_ZONE_LOCALES = {"Europe/Paris": "fr-FR", "Europe/London": "en-GB", "Europe/Berlin": "en-GB"}
_COLORS = ("9f69e7", "4bbe2e", "e7392d", "3c989f", "674b1b", "e96699", "5b89d5", "df3dc0", "bc3663", "2b6836")
_PARTNERS = ("Globex Partners", "Initech Resellers", "Umbrella Consulting", "Hooli Alliances")
# (text, author) of the history each channel starts with; "{mention}" is a member's <@U…>.
_SEED_LINES = (
    "Morning all :wave: pipeline review at 10, bring your top 3 deals",
    "Reminder: close dates in the past need updating before Friday's forecast call",
    "Great call with the procurement team today, {mention} thanks for the demo!",
    "Q&A session on the new pricing is in the drive <https://example.com/pricing|pricing FAQ>",
    "Who has the latest battlecard for the <enterprise> tier? Asking for a friend :sweat_smile:",
)


def _slug(name: str) -> str:
    return "-".join(email_local(word) for word in name.split())


def _profile(first: str, last: str, title: str, email: str | None, ids: IdFactory) -> Profile:
    return Profile(
        first_name=first,
        last_name=last,
        real_name=f"{first} {last}",
        display_name=first,
        title=title,
        email=email,
        avatar_hash=ids.secret(12).lower(),
    )


def _person_user(person: Person, ids: IdFactory, teams: list[str], created: int, rng: random.Random) -> User:
    return User(
        id=ids.new("U"),
        name=person.email.split("@")[0],
        team_id=teams[0],
        teams=teams,
        profile=_profile(person.first_name, person.last_name, person.title, person.email, ids),
        tz=person.time_zone,
        color=rng.choice(_COLORS),
        updated=created,
        locale=slack_locale(person),
        person=person,
    )


def slack_locale(person: Person) -> str:
    """The language ``person`` chose in Slack: French in Paris, British English elsewhere in EMEA and in APAC."""
    if person.time_zone in _ZONE_LOCALES:
        return _ZONE_LOCALES[person.time_zone]
    return "en-GB" if person.region in ("EMEA", "APAC") else "en-US"


def _spread_locales(users: list[User]) -> None:
    """Make sure each of :data:`SLACK_LOCALES` is read by an active individual contributor.

    A locale nobody active uses is given to the first active contributor whose own locale at least
    two others share (so no other locale disappears); deterministic, and a no-op for most seeds.
    """
    active = [u for u in users if u.person is not None and u.person.level == "ic" and not u.deleted]
    for locale in SLACK_LOCALES:
        if any(u.locale == locale for u in active):
            continue
        counts = {loc: sum(u.locale == loc for u in active) for loc in {u.locale for u in active}}
        donor = next((u for u in active if counts[u.locale] > 2), None)
        if donor is not None:
            donor.locale = locale


def build_world(seed: int, opportunities: int, now: float) -> World:
    """The organisation of ``seed`` whose people match the Salesforce sandbox of (seed, opportunities)."""
    rng = random.Random(f"slack-sandbox:{seed}")
    ids = IdFactory(rng)
    firm = company(seed)
    slug = _slug(firm.name)
    enterprise = Enterprise(ids.new("E"), firm.name, slug)
    main = Team(ids.new("T"), f"{firm.name} Sales", f"{slug}-sales", firm.domain, enterprise.id, enterprise.name)
    emea = Team(ids.new("T"), f"{firm.name} EMEA", f"{slug}-emea", firm.domain, enterprise.id, enterprise.name)
    partner_name = _PARTNERS[seed % len(_PARTNERS)]
    partner = Team(
        ids.new("T"),
        partner_name,
        _slug(partner_name),
        f"{_slug(partner_name)}.example",
        ids.new("E"),
        partner_name,
        external=True,
    )
    teams = {t.id: t for t in (main, emea, partner)}
    created = int(datetime(2021, 1, 4, tzinfo=UTC).timestamp())

    people = [p for p in sales_team(seed, team_size(opportunities)) if p.in_slack]
    users: dict[str, User] = {}
    for person in people:
        both = person.region == "EMEA" or person.level in ("vp", "admin")
        home = [emea.id, main.id] if person.region == "EMEA" else [main.id]
        user = _person_user(person, ids, home + ([emea.id] if both and person.region != "EMEA" else []), created, rng)
        user.is_admin = person.level in ("vp", "admin")
        user.is_owner = person.level == "admin"
        users[user.id] = user

    # The IT director: primary owner of the organisation, not in Salesforce.
    used = {u.name for u in users.values()}
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{email_local(first)}.{email_local(last)}"
    while local in used:
        local += "1"
    owner = User(
        id=ids.new("U"),
        name=local,
        team_id=main.id,
        teams=[main.id, emea.id],
        profile=_profile(first, last, "Director of IT", f"{local}@{firm.domain}", ids),
        tz="America/New_York",
        color=rng.choice(_COLORS),
        updated=created,
        is_admin=True,
        is_owner=True,
        is_primary_owner=True,
    )
    users[owner.id] = owner

    slackbot = User(
        id="USLACKBOT",
        name="slackbot",
        team_id=main.id,
        teams=[main.id, emea.id],
        profile=_profile("slackbot", "", "", None, ids),
        tz=None,
        color="757575",
        updated=0,
    )
    slackbot.profile.real_name = slackbot.profile.display_name = "Slackbot"
    users[slackbot.id] = slackbot
    app_id, bot_id = ids.new("A"), ids.new("B")
    bot = User(
        id=ids.new("U"),
        name="sales_home",
        team_id=main.id,
        teams=[main.id, emea.id],
        profile=_profile("Sales Home", "", "", None, ids),
        tz=None,
        color="3c989f",
        updated=created,
        is_bot=True,
        bot_id=bot_id,
        app_id=app_id,
    )
    bot.profile.real_name = bot.profile.display_name = "Sales Home"
    users[bot.id] = bot

    ics = [u for u in users.values() if u.person is not None and u.person.level == "ic"]
    deactivated = ics[-1] if ics else None
    if deactivated is not None:
        deactivated.deleted = True
    _spread_locales(list(users.values()))
    admin = next(u for u in users.values() if u.person is not None and u.person.level == "admin")
    member = next((u for u in ics if not u.deleted), admin)

    world = World(
        seed=seed,
        enterprise=enterprise,
        teams=teams,
        users=users,
        conversations={},
        tokens={},
        bot_user_id=bot.id,
        bot_id=bot_id,
        app_id=app_id,
        ids=ids,
        deactivated_user_id=deactivated.id if deactivated else "",
        primary_owner_id=owner.id,
    )
    _build_channels(world, main, emea, partner, rng, created)
    _issue_tokens(world, admin, member)
    return world


def _members(world: World, team_id: str, *, region: str | None = None, levels: tuple[str, ...] = ()) -> set[str]:
    found = set()
    for user in world.users.values():
        if user.deleted or user.is_bot or user.id == "USLACKBOT" or team_id not in user.teams:
            continue
        person = user.person
        if region is not None and (person is None or person.region != region):
            continue
        if levels and (person is None or person.level not in levels):
            continue
        found.add(user.id)
    return found


def _build_channels(world: World, main: Team, emea: Team, partner: Team, rng: random.Random, created: int) -> None:
    bot = world.bot_user_id
    leaders = ("vp", "director", "manager", "admin")

    def channel(
        name: str,
        team: Team,
        kind: ConversationKind,
        members: set[str],
        *,
        bot_member: bool = True,
        legacy: bool = False,
        purpose: str = "",
        **flags: object,
    ) -> Conversation:
        cid = world.ids.new("G" if legacy else "C")
        when = created + rng.randrange(0, 3 * 365 * 86400)
        conv = Conversation(
            id=cid,
            name=name,
            kind=kind,
            context_team_id=team.id,
            created=when,
            creator=world.primary_owner_id,
            members=members | ({bot} if bot_member else set()),
            shared_team_ids=[team.id],
            purpose=purpose,
            updated=when * 1000,
        )
        for key, value in flags.items():
            setattr(conv, key, value)
        world.conversations[cid] = conv
        return conv

    everyone = _members(world, main.id) | {world.primary_owner_id}
    channel(
        "general",
        main,
        "public",
        everyone,
        is_general=True,
        purpose="Company-wide announcements and work-based matters",
    )
    channel("sales", main, "public", _members(world, main.id), purpose="Everything sales")
    channel("deals-won", main, "public", _members(world, main.id), purpose="Celebrate every signed deal :tada:")
    channel("amer-pipeline", main, "public", _members(world, main.id, region="AMER"), purpose="AMER pipeline")
    channel(
        "apac-pipeline",
        main,
        "public",
        _members(world, main.id, region="APAC"),
        bot_member=False,
        purpose="APAC pipeline (the bot is not a member)",
    )
    channel("latam-pipeline", main, "public", _members(world, main.id, region="LATAM"), purpose="LATAM pipeline")
    channel(
        "sales-leadership",
        main,
        "private",
        _members(world, main.id, levels=leaders),
        legacy=True,
        purpose="Forecast and hiring (a legacy private channel: G id)",
    )
    channel(
        "sales-ops",
        main,
        "private",
        _members(world, main.id, levels=("admin",)) | {world.primary_owner_id},
        bot_member=False,
        purpose="Sales operations (private, the bot is not a member)",
    )
    channel(
        "q3-2023-push",
        main,
        "public",
        _members(world, main.id, levels=("ic",)),
        is_archived=True,
        purpose="Archived campaign channel",
    )
    ext = channel(
        f"ext-{partner.domain}",
        main,
        "public",
        _members(world, main.id, levels=("director", "admin")),
        purpose=f"Slack Connect with {partner.name}",
    )
    ext.is_ext_shared = True
    ext.shared_team_ids = [main.id, partner.id]
    ext.connected_team_ids = [main.id, partner.id]
    announce = channel(
        "company-announcements",
        main,
        "public",
        everyone | _members(world, emea.id),
        purpose="Shared by every workspace of the organisation",
    )
    announce.is_org_shared = True
    announce.shared_team_ids = [main.id, emea.id]
    channel(
        "general",
        emea,
        "public",
        _members(world, emea.id) | {world.primary_owner_id},
        is_general=True,
        purpose="EMEA announcements",
    )
    channel("emea-pipeline", emea, "public", _members(world, emea.id, region="EMEA"), purpose="EMEA pipeline")
    channel("emea-leadership", emea, "private", _members(world, emea.id, levels=leaders), purpose="EMEA leaders")
    channel(
        "emea-random",
        emea,
        "public",
        _members(world, emea.id),
        bot_member=False,
        purpose="Off-topic (the bot is not a member)",
    )
    _seed_direct_messages(world, main, rng, created)


def _seed_direct_messages(world: World, main: Team, rng: random.Random, created: int) -> None:
    """A group DM (the bot and two leaders) and a DM the bot already has with an active seller."""
    bot = world.bot_user_id
    leaders = sorted(_members(world, main.id, levels=("vp", "director", "manager")))[:2]
    if len(leaders) == 2:
        handles = sorted(world.users[u].name for u in [*leaders, bot])
        when = created + rng.randrange(0, 3 * 365 * 86400)
        mpim = Conversation(
            id=world.ids.new("C"),
            name="mpdm-" + "--".join(handles) + "-1",  # as Slack names group DMs
            kind="mpim",
            context_team_id=main.id,
            created=when,
            creator=leaders[0],
            members={*leaders, bot},
            shared_team_ids=[main.id],
            purpose="Group messaging with: " + " ".join(f"@{h}" for h in handles),
            updated=when * 1000,
        )
        world.conversations[mpim.id] = mpim
    seller = next(iter(sorted(_members(world, main.id, levels=("ic",)))), None)
    if seller is not None:
        world.open_im(bot, seller, created + rng.randrange(0, 3 * 365 * 86400))


def _issue_tokens(world: World, admin: User, member: User) -> None:
    ids = world.ids
    org = ids.digits(12)

    def issue(prefix: str, kind: TokenKind, user: User, scopes: frozenset[str], label: str) -> str:
        value = f"{prefix}-{org}-{ids.digits(13)}-{ids.secret(24)}"
        world.tokens[value] = Token(value, kind, user.id, scopes, label)
        return value

    world.bot_token = issue("xoxb", "bot", world.bot, BOT_SCOPES, "bot")
    world.admin_token = issue("xoxp", "user", admin, ADMIN_SCOPES, "admin")
    world.member_token = issue("xoxp", "user", member, MEMBER_SCOPES, "member")


def seed_history(world: World, now: float) -> list[tuple[str, str, str, int]]:
    """A little human history per channel: (channel, user, text, ts in microseconds), oldest first.

    Texts are stored as Slack stores them: ``&``, ``<`` and ``>`` of plain text escaped, links and
    mentions in ``<…>``.
    """
    rng = random.Random(f"slack-history:{world.seed}")
    lines: list[tuple[str, str, str, int]] = []
    start = int((now - 3 * 86400) * 1_000_000)
    step = 0
    for conv in world.conversations.values():
        humans = sorted(m for m in conv.members if m != world.bot_user_id and not world.users[m].is_bot)
        if conv.kind == "im" or not humans:
            continue
        for line in rng.sample(_SEED_LINES, 2):
            author = rng.choice(humans)
            mention = f"<@{rng.choice(humans)}>"
            text = line.replace("&", "&amp;").replace("<enterprise>", "&lt;enterprise&gt;").format(mention=mention)
            step += 1
            lines.append((conv.id, author, text, start + step * 7_000_000 + rng.randrange(1_000_000)))
    return sorted(lines, key=lambda line: line[3])
