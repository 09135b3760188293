"""A deterministic directory of people: the sales team shared by the Salesforce and Slack sandboxes.

Contract between the two sandboxes: both call :func:`sales_team` with the same ``seed`` and
``size`` (the Salesforce seed uses ``team_size(opportunities)``) and get the same people, in
the same order.  The Salesforce sandbox creates one User per person with
:attr:`Person.salesforce_email`; the Slack sandbox creates one member per person whose
:attr:`Person.in_slack` is true, with :attr:`Person.email`.  So most Salesforce users match a
Slack user by email, but not all: a few people use another address in Salesforce (a legacy
domain or a ``+sfdc`` alias) and a few have no Slack account.  The VP and the first
Salesforce administrator always match, so demos have a known good path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))


@dataclass(frozen=True)
class NameGroup:
    """First and last names of one naming tradition, with its share of the population."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    weight: float


def _group(weight: float, first: str, last: str) -> NameGroup:
    return NameGroup(_words(first), _words(last), weight)


NAME_GROUPS: tuple[NameGroup, ...] = (
    _group(
        0.33,
        """James, Mary, Robert, Patricia, John, Jennifer, Michael, Linda, David, Elizabeth, William,
        Barbara, Richard, Susan, Joseph, Jessica, Thomas, Sarah, Christopher, Karen, Daniel, Lisa, Matthew,
        Nancy, Anthony, Betty, Mark, Sandra, Steven, Ashley, Andrew, Emily, Joshua, Michelle, Kevin, Amanda,
        Brian, Melissa, George, Stephanie, Timothy, Rebecca, Ryan, Laura, Jacob, Rachel, Nicholas, Hannah,
        Eric, Olivia, Jonathan, Emma, Samuel, Grace, Benjamin, Chloe, Nathan, Abigail, Ethan, Madison, Tyler,
        Natalie, Aaron, Megan, Adam, Lauren, Justin, Victoria, Brandon, Samantha, Connor, Claire, Liam, Ava,
        Noah, Sophia, Lucas, Isabella, Owen, Mia, Caleb, Charlotte, Dylan, Harper, Evan, Zoe, Ian, Lily,
        Gavin, Nora, Miles, Audrey, Wyatt, Stella, Hunter, Leah, Colin, Maya, Declan, Ruby, Finn, Ivy, Rowan,
        Quinn, Marcus, Jasmine, Darnell, Imani, Terrence, Keisha, Malik, Aaliyah, Andre, Tiana, Jamal,
        Destiny, Niamh, Siobhan, Cian, Aoife, Ciaran, Saoirse, Eoin, Orla, Dafydd, Rhiannon, Callum, Isla,
        Fraser, Eilidh, Zoë""",
        """Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Thomas, Moore,
        Jackson, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Robinson, Walker, Young, Allen, King,
        Wright, Scott, Hill, Green, Adams, Baker, Nelson, Carter, Mitchell, Roberts, Turner, Phillips,
        Campbell, Parker, Evans, Edwards, Collins, Stewart, Morris, Murphy, Cook, Rogers, Morgan, Cooper,
        Peterson, Reed, Bailey, Bell, Kelly, Howard, Ward, Cox, Richardson, Wood, Watson, Brooks, Bennett,
        Gray, Hughes, Price, Sanders, Myers, Long, Ross, Foster, Powell, Jenkins, Perry, Russell, Sullivan,
        Fisher, Hayes, Graham, Hamilton, Wallace, Cole, West, Jordan, Reynolds, Ellis, Harrison, Gibson,
        McDonald, Marshall, O'Brien, O'Connor, Fitzgerald, Gallagher, Byrne, Kennedy, MacLeod, O'Neill""",
    ),
    _group(
        0.12,
        """José, María, Carlos, Lucía, Luis, Sofía, Miguel, Valentina, Alejandro, Camila, Diego,
        Gabriela, Javier, Daniela, Mateo, Isabel, Santiago, Paula, Andrés, Carmen, Fernando, Elena, Ricardo,
        Ana, Eduardo, Mariana, Rafael, Ximena, Pablo, Renata, Joaquín, Adriana, Emilio, Lorena, Tomás,
        Beatriz""",
        """Garcia, Rodriguez, Martinez, Hernandez, Lopez, Gonzalez, Perez, Sanchez, Ramirez, Torres, Flores,
        Rivera, Gomez, Diaz, Reyes, Morales, Cruz, Ortiz, Gutierrez, Chavez, Ramos, Ruiz, Alvarez, Mendoza,
        Castillo, Jimenez, Vasquez, Romero, Herrera, Medina, Aguilar, Vargas, Castro, Guzmán, Núñez, Peña,
        Muñoz""",
    ),
    _group(
        0.05,
        """João, Thiago, Larissa, Rafaela, Gustavo, Bruna, Leonardo, Fernanda, Vinícius, Juliana,
        Beatriz, Lucas, Gabriel, Mariana, Pedro, Ana""",
        """Silva, Santos, Oliveira, Souza, Costa, Pereira, Almeida, Carvalho, Ferreira, Ribeiro, Rocha,
        Barbosa, Lima, Gomes, Martins""",
    ),
    _group(
        0.12,
        """Aarav, Priya, Arjun, Ananya, Rohan, Kavya, Vikram, Neha, Rahul, Divya, Sanjay, Pooja,
        Aditya, Meera, Karthik, Shreya, Nikhil, Anjali, Siddharth, Lakshmi, Amit, Sunita, Ravi, Deepa, Imran,
        Fatima, Farhan, Ayesha""",
        """Patel, Shah, Sharma, Singh, Kumar, Gupta, Reddy, Rao, Iyer, Nair, Menon, Desai, Mehta, Joshi,
        Chopra, Kapoor, Malhotra, Banerjee, Chatterjee, Mukherjee, Das, Bose, Pillai, Krishnan, Verma,
        Agarwal, Khan, Hussain, Qureshi, Siddiqui, Chaudhry""",
    ),
    _group(
        0.07,
        "Wei, Mei, Jun, Xiu, Hao, Ling, Yong, Yan, Jing, Lei, Fang, Tao, Xin, Bo",
        "Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu, Guo, Lin",
    ),
    _group(
        0.04,
        "Hiroshi, Yuki, Takeshi, Sakura, Kenji, Aiko, Haruto, Yui, Ren, Hana, Sota, Emi",
        """Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato, Yoshida,
        Yamada, Sasaki, Matsumoto, Inoue, Kimura, Shimizu, Hayashi""",
    ),
    _group(
        0.03,
        "Min-jun, Ji-woo, Seo-yeon, Hyun-woo, Ji-ho, Soo-ah, Ye-jin, Dong-hyun",
        "Kim, Park, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han",
    ),
    _group(0.03, "Minh, Linh, Duc, Thao, Quang, Mai, Huong, Tuan", "Nguyen, Tran, Le, Pham, Hoang, Vu, Dang, Bui"),
    _group(
        0.05,
        """Omar, Layla, Ahmed, Nour, Youssef, Amira, Karim, Yasmin, Hassan, Salma, Tariq, Rania,
        Khalid, Leila, Ali, Zainab, Mehmet, Elif, Emre, Zeynep""",
        """Haddad, Khoury, Nasser, Mansour, Farah, Saleh, Aziz, Hamdan, Rahman, Karimi, Hosseini, Yilmaz,
        Kaya, Demir, Sahin, Öztürk, Ahmed""",
    ),
    _group(
        0.04,
        """Chinedu, Ngozi, Kwame, Ama, Kofi, Abena, Oluwaseun, Adaeze, Tunde, Folake, Emeka,
        Chiamaka, Chidi, Esi, Yaw, Efua, Mamadou, Aminata""",
        """Okafor, Okonkwo, Adeyemi, Balogun, Mensah, Boateng, Owusu, Asante, Diallo, Traoré, Keita, Sow,
        Diop, Ndiaye, Achebe, Eze, Obi""",
    ),
    _group(
        0.03,
        "Jabari, Amara, Sipho, Thandiwe, Tendai, Nia, Kamau, Wanjiru, Abdi, Hodan, Tesfaye, Selam",
        "Mwangi, Otieno, Kamau, Nkosi, Dlamini, Ndlovu, Mahlangu, Abebe, Tesfaye, Mohamed, Hassan",
    ),
    _group(
        0.04,
        """Pierre, Camille, Louis, Léa, Antoine, Chloé, Julien, Manon, Mathieu, Margaux, Nicolas,
        Inès, Anaïs, Théo""",
        """Dubois, Martin, Bernard, Durand, Lefebvre, Moreau, Laurent, Girard, Rousseau, Fontaine, Petit,
        Lemaire""",
    ),
    _group(
        0.05,
        """Hans, Greta, Lukas, Lena, Felix, Anna, Jonas, Marie, Sven, Astrid, Lars, Ingrid, Erik,
        Freya, Björn, Søren, Sanne, Daan""",
        """Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Hoffmann, Schulz, Jansen,
        de Vries, van Dijk, Bakker, Visser, Janssen, Peeters, Andersson, Johansson, Karlsson, Nilsson,
        Eriksson, Larsen, Hansen, Nielsen, Jensen, Korhonen, Virtanen""",
    ),
    _group(
        0.03,
        "Matteo, Giulia, Lorenzo, Francesca, Marco, Chiara, Luca, Alessia, Giorgos, Eleni, Nikos",
        """Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Conti,
        De Luca, Papadopoulos, Georgiou, Nikolaidis""",
    ),
    _group(
        0.04,
        """Piotr, Zofia, Jakub, Katarzyna, Tomasz, Agnieszka, Dmitri, Olga, Ivan, Natalia, Mikhail,
        Irina, Łukasz, Ana, Marko, Petra""",
        """Kowalski, Nowak, Wisniewski, Wójcik, Kowalczyk, Lewandowski, Ivanov, Petrov, Smirnov, Volkov,
        Kuznetsov, Popov, Novak, Horvat, Kovač""",
    ),
    _group(0.01, "Moshe, Noa, Eitan, Tamar, Ari, Yael", "Cohen, Levi, Mizrahi, Friedman, Katz, Shapiro"),
    _group(
        0.01,
        "Kai, Leilani, Keoni, Malia, Tane, Aroha, Ayasha, Dakota",
        "Kealoha, Ngata, Tawhiri, Begay, Yazzie, Redcloud",
    ),
)
FIRST_NAMES: tuple[str, ...] = tuple(n for g in NAME_GROUPS for n in g.first_names)
LAST_NAMES: tuple[str, ...] = tuple(n for g in NAME_GROUPS for n in g.last_names)
SAME_GROUP_SHARE = 0.8  # share of people whose last name comes from their first name's group


def draw_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into :data:`FIRST_NAMES` and :data:`LAST_NAMES` of ``n`` people (vectorised)."""
    weights = np.array([g.weight for g in NAME_GROUPS])
    first_len = np.array([len(g.first_names) for g in NAME_GROUPS])
    last_len = np.array([len(g.last_names) for g in NAME_GROUPS])
    first_start = np.concatenate([[0], np.cumsum(first_len)[:-1]])
    last_start = np.concatenate([[0], np.cumsum(last_len)[:-1]])
    group = rng.choice(len(NAME_GROUPS), size=n, p=weights / weights.sum())
    first = first_start[group] + (rng.random(n) * first_len[group]).astype(np.int64)
    other = rng.choice(len(NAME_GROUPS), size=n, p=weights / weights.sum())
    last_group = np.where(rng.random(n) < SAME_GROUP_SHARE, group, other)
    last = last_start[last_group] + (rng.random(n) * last_len[last_group]).astype(np.int64)
    return first, last


REGIONS: tuple[str, ...] = ("AMER", "EMEA", "APAC", "LATAM")
_REGION_ZONES: Mapping[str, tuple[tuple[str, float], ...]] = MappingProxyType(
    {
        "AMER": (
            ("America/Los_Angeles", 0.35),
            ("America/Denver", 0.1),
            ("America/Chicago", 0.2),
            ("America/New_York", 0.35),
        ),
        "EMEA": (("Europe/London", 0.4), ("Europe/Paris", 0.3), ("Europe/Berlin", 0.3)),
        "APAC": (("Asia/Kolkata", 0.25), ("Asia/Singapore", 0.25), ("Asia/Tokyo", 0.2), ("Australia/Sydney", 0.3)),
        "LATAM": (("America/Sao_Paulo", 1.0),),
    }
)
_ZONE_LOCALE: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "America/Los_Angeles": ("en_US", "en_US"),
        "America/Denver": ("en_US", "en_US"),
        "America/Chicago": ("en_US", "en_US"),
        "America/New_York": ("en_US", "en_US"),
        "America/Sao_Paulo": ("pt_BR", "pt_BR"),
        "Europe/London": ("en_GB", "en_US"),
        "Europe/Paris": ("fr_FR", "fr"),
        "Europe/Berlin": ("de_DE", "de"),
        "Asia/Kolkata": ("en_IN", "en_US"),
        "Asia/Singapore": ("en_GB", "en_US"),
        "Asia/Tokyo": ("ja_JP", "ja"),
        "Australia/Sydney": ("en_AU", "en_US"),
    }
)
# Individual contributors: (title, department, weight).
_IC_ROLES: tuple[tuple[str, str, float], ...] = (
    ("Account Executive", "Sales", 0.40),
    ("Senior Account Executive", "Sales", 0.17),
    ("Sales Development Representative", "Sales", 0.18),
    ("Solutions Engineer", "Sales", 0.08),
    ("Customer Success Manager", "Customer Success", 0.08),
    ("Support Engineer", "Support", 0.05),
    ("Sales Operations Analyst", "Sales Operations", 0.04),
)
_COMPANIES: tuple[tuple[str, str], ...] = (
    ("Northwind Cloud", "northwindcloud.example"),
    ("Bluefin Analytics", "bluefin-analytics.example"),
    ("Lumen Harbor Software", "lumenharbor.example"),
    ("Pinecrest Systems", "pinecrest.example"),
    ("Tidewater Labs", "tidewaterlabs.example"),
    ("Orbital Commerce", "orbitalcommerce.example"),
)
MISMATCHED_EMAIL_SHARE = 0.05  # Salesforce email differs from the Slack email
NOT_IN_SLACK_SHARE = 0.04  # no Slack account at all


@dataclass(frozen=True)
class Company:
    """The company the sales team works for (the org owner and the Slack workspace)."""

    name: str
    domain: str


@dataclass(frozen=True)
class Person:
    """One member of the sales team, as both sandboxes see them."""

    index: int
    first_name: str
    last_name: str
    email: str
    salesforce_email: str
    in_slack: bool
    title: str
    department: str
    level: str  # "vp", "director", "manager", "admin" or "ic"
    region: str
    time_zone: str
    locale: str
    language: str
    manager: int | None  # index of this person's manager in the team

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def company(seed: int) -> Company:
    """The company of the org generated with ``seed``."""
    name, domain = _COMPANIES[seed % len(_COMPANIES)]
    return Company(name, domain)


def team_size(opportunities: int) -> int:
    """How many people the org with ``opportunities`` opportunities employs (the integration user aside)."""
    return min(24 + opportunities // 4000, 3000)


def region_of_time_zone(zone: str) -> str:
    """The sales region whose people live in ``zone`` (AMER when unknown)."""
    return next((r for r, zones in _REGION_ZONES.items() if any(z == zone for z, _ in zones)), "AMER")


def email_local(name: str) -> str:
    """``name`` folded to the ASCII letters, digits and hyphens of an email local part."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return "".join(c for c in folded if c.isalnum() or c == "-")


def _levels(size: int) -> list[str]:
    """The level of each position: one VP, directors, managers, one admin, then individual contributors."""
    if size < 1:
        raise ValueError(f"a sales team has at least one person, got size={size}")
    managers = max(1, (size - 2) // 8) if size >= 4 else 0
    directors = max(min(len(REGIONS), managers), -(-managers // 5)) if managers else 0
    admins = 1 if size >= 2 else 0
    ics = size - 1 - directors - managers - admins
    return ["vp"] + ["director"] * directors + ["manager"] * managers + ["admin"] * admins + ["ic"] * ics


def _hierarchy(levels: list[str]) -> tuple[list[int | None], list[str]]:
    """Manager index and region of each position: round robin under the level above."""
    directors = [i for i, lv in enumerate(levels) if lv == "director"]
    managers = [i for i, lv in enumerate(levels) if lv == "manager"]
    leads = managers or directors or [0]
    parents: list[int | None] = []
    regions: list[str] = []
    ics = 0
    for i, level in enumerate(levels):
        boss: int | None
        if level == "vp":
            boss, region = None, "AMER"
        elif level == "director":
            boss, region = 0, REGIONS[directors.index(i) % len(REGIONS)]
        elif level == "admin":
            boss, region = 0, "AMER"
        elif level == "manager":
            boss = directors[managers.index(i) % len(directors)]
            region = regions[boss]
        else:
            boss, ics = leads[ics % len(leads)], ics + 1
            region = regions[boss]
        parents.append(boss)
        regions.append(region)
    return parents, regions


def _title(level: str, region: str, rng: np.random.Generator) -> tuple[str, str]:
    if level == "vp":
        return "VP of Sales", "Sales"
    if level == "director":
        return f"Director of Sales, {region}", "Sales"
    if level == "manager":
        return str(rng.choice(["Sales Manager", "Regional Sales Manager", "Sales Team Lead"])), "Sales"
    if level == "admin":
        return "Salesforce Administrator", "Sales Operations"
    weights = np.array([w for _, _, w in _IC_ROLES])
    title, department, _ = _IC_ROLES[int(rng.choice(len(_IC_ROLES), p=weights / weights.sum()))]
    return title, department


def _unique_local(first: str, last: str, used: set[str]) -> str:
    base = f"{email_local(first)}.{email_local(last)}"
    local, n = base, 1
    while local in used:
        n += 1
        local = f"{base}{n}"
    used.add(local)
    return local


def _salesforce_email(local: str, first: str, last: str, domain: str, kind: int) -> str:
    """Another address for the same person: a ``+sfdc`` alias, a legacy domain or a short form."""
    if kind == 0:
        return f"{local}+sfdc@{domain}"
    if kind == 1:
        return f"{local}@legacy.{domain}"
    return f"{email_local(first)[:1]}{email_local(last)}@{domain}"


def sales_team(seed: int, size: int) -> list[Person]:
    """The ``size`` people of the sales team of seed ``seed`` (deterministic; see the module docstring)."""
    rng = np.random.default_rng([seed, 0x5A1E5])
    domain = company(seed).domain
    levels = _levels(size)
    parents, regions = _hierarchy(levels)
    used: set[str] = set()
    people = []
    firsts, lasts = draw_names(rng, len(levels))
    for i, level in enumerate(levels):
        first, last = FIRST_NAMES[int(firsts[i])], LAST_NAMES[int(lasts[i])]
        zones = _REGION_ZONES[regions[i]]
        zone = zones[int(rng.choice(len(zones), p=[w for _, w in zones]))][0]
        title, department = _title(level, regions[i], rng)
        local = _unique_local(first, last, used)
        email = f"{local}@{domain}"
        draw = rng.random()
        protected = level in ("vp", "admin")
        sf_email = email
        if not protected and draw < MISMATCHED_EMAIL_SHARE:
            sf_email = _salesforce_email(local, first, last, domain, int(rng.integers(3)))
        in_slack = protected or not (MISMATCHED_EMAIL_SHARE <= draw < MISMATCHED_EMAIL_SHARE + NOT_IN_SLACK_SHARE)
        locale, language = _ZONE_LOCALE[zone]
        people.append(
            Person(
                index=i,
                first_name=first,
                last_name=last,
                email=email,
                salesforce_email=sf_email,
                in_slack=in_slack,
                title=title,
                department=department,
                level=level,
                region=regions[i],
                time_zone=zone,
                locale=locale,
                language=language,
                manager=parents[i],
            )
        )
    return people
