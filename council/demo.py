"""Realistic demo data: one street, one community with its station and two rooms, two estates
of 300 units each (with multi-unit owners, co-owners and developer-unsold units), the five
parties, four departments, and one user per role.

Loading is idempotent (it looks for the demo street first); --reset drops every table and
starts over. Random choices use a fixed seed, so every machine gets the same demo.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

from council import db
from council.accounts.principal import SYSTEM
from council.settings import Settings

STREET = "泰山街道"
DEMO_MARKER = "demo-loaded"
DEMO_PASSWORD = "council-demo"
DEMO_USERS = (
    # username, role, display name
    ("admin", "admin", "系统管理员"),
    ("secretary", "secretary", "王秀英（书记）"),
    ("gridworker", "grid_worker", "李建国（网格员）"),
    ("mediator", "mediator", "陈淑芬（调解员）"),
    ("liaison", "department_liaison", "赵志强（城管联络员）"),
    ("resident", "resident", "刘桂兰"),
    # Above the station (issue 18): the street office, the district, the street's judicial office.
    ("streetofficer", "street_officer", "孙立新（泰山街道办）"),
    ("districtofficer", "district_officer", "周文博（江北新区）"),
    ("judicial", "judicial_officer", "吴静（泰山司法所）"),
)
DISTRICT = "江北新区"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "秀英桂兰建国志强淑芬玉兰海燕国华明华丽娟建华文静晓明红梅俊杰子涵思远雨欣浩然嘉怡家豪美玲春生德明福生永红卫东爱华金凤小平振华秋菊"

WORKDAYS = "Mon-Fri 08:30-17:30"


def _name(rng: random.Random) -> str:
    given_len = rng.choice((1, 2, 2))
    start = rng.randrange(0, len(GIVEN) - 1, 2)
    return rng.choice(SURNAMES) + GIVEN[start:start + given_len]


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "151", "158", "177", "186", "189")) + f"{rng.randrange(10**8):08d}"


def _hours(text: str) -> str:
    from council.parties.hours import parse

    return json.dumps(parse(text))


async def _reset() -> None:
    from council.tables import ALL_TABLES

    for table in reversed(ALL_TABLES):
        await db.engine().run_ddl(f'DROP TABLE IF EXISTS "{table._meta.tablename}"' + ("" if db.is_sqlite() else " CASCADE"))
    await db.engine().run_ddl('DROP TABLE IF EXISTS "council_migration"')
    if not db.is_sqlite():
        await db.engine().run_ddl("DROP FUNCTION IF EXISTS audit_entry_append_only() CASCADE")


async def load_demo(reset: bool = False, settings: Settings | None = None) -> bool:
    from council.migrations import migrate
    from council.places.tables import Street

    if reset:
        await _reset()
    await migrate()
    marker = settings.data_dir / DEMO_MARKER if settings else None
    if await Street.exists().where(Street.name == STREET):
        if marker:
            marker.touch()
        return False
    await _load()
    if marker:
        marker.touch()
    return True


async def _load() -> None:
    from council.accounts.passwords import hash_password
    from council.accounts.tables import User, UserStation
    from council.audit import service as audit
    from council.parties.tables import ContactPerson, Organisation
    from council.people.tables import Ownership, Person, Residence
    from council.places.tables import Building, Community, Estate, Grid, GridBuilding, Street, Unit
    from council.stations.tables import Room, Station, StationEstate

    rng = random.Random(20261122)
    now = dt.datetime.now(dt.timezone.utc)
    password_hash = await hash_password(DEMO_PASSWORD)

    async with db.write():
        street_id = (await Street.insert(Street(name=STREET, district=DISTRICT, city="南京市")))[0]["id"]
        community_id = (await Community.insert(Community(street=street_id, name="振兴路社区")))[0]["id"]

        estates = []
        for name, address, floors, sizes in (
            ("中南悦园", "伊甸园路 88 号", 15, ("89.47", "96.12", "118.36", "128.73")),
            ("华佳梅苑", "梅苑路 16 号", 6, ("68.20", "75.55", "83.90", "102.64")),
        ):
            estate_id = (await Estate.insert(Estate(community=community_id, name=name, address=address)))[0]["id"]
            estates.append((estate_id, name, floors, sizes))

        station_id = (await Station.insert(Station(
            community=community_id, name="振兴路社区红色议事驿站", address="振兴路 12 号社区党群服务中心一楼",
            case_prefix="ZXL", reception_weekday=4, reception_start=dt.time(9, 0), reception_end=dt.time(11, 30),
        )))[0]["id"]
        for estate_id, *_ in estates:
            await StationEstate.insert(StationEstate(station=station_id, estate=estate_id))
        await Room.insert(
            Room(community=community_id, station=station_id, name="议事厅", capacity=24),
            Room(community=community_id, station=station_id, name="调解室", capacity=8),
        )
        from council.cases.calendar_store import categories_for
        from council.cases.tables import StationHoliday

        await categories_for(station_id)
        # The State Council publishes each year's holiday arrangement in the autumn; the secretary
        # enters it here. New Year's Day is fixed, so the demo shows one entry of each kind's shape.
        await StationHoliday.insert(StationHoliday(station=station_id, day=dt.date(2027, 1, 1), kind="holiday", note="元旦"))

        grid_id = (await Grid.insert(Grid(community=community_id, name="振兴路第一网格", kind="grid")))[0]["id"]

        # ~300 units per estate: 中南悦园 10 towers × 15 floors × 2; 华佳梅苑 25 blocks × 6 floors × 2.
        unit_rows: list[dict] = []
        for estate_id, name, floors, sizes in estates:
            n_buildings = 10 if floors == 15 else 25
            micro_id = (await Grid.insert(Grid(community=community_id, name=f"{name}微网格", kind="micro_grid",
                                               parent=grid_id)))[0]["id"]
            for b in range(1, n_buildings + 1):
                building_id = (await Building.insert(Building(community=community_id, estate=estate_id, number=f"{b}栋")))[0]["id"]
                await GridBuilding.insert(GridBuilding(community=community_id, grid=micro_id, building=building_id))
                batch = []
                for floor in range(1, floors + 1):
                    for room in (1, 2):
                        area = Decimal(sizes[(b + room) % len(sizes)]) + Decimal(rng.randrange(-150, 150)) / 100
                        unsold = name == "中南悦园" and b == 10 and floor >= 13
                        batch.append(Unit(
                            community=community_id, estate=estate_id, building=building_id,
                            number=f"{b}-{floor}{room:02d}", area_m2=area,
                            area_source=rng.choice(("registered",) * 8 + ("surveyed", "contract")),
                            developer_unsold=unsold, updated_at=now,
                        ))
                for row in await Unit.insert(*batch).returning(Unit.id, Unit.developer_unsold):
                    unit_rows.append(row)

        # Owners: most units one owner; some owners hold two or three units; some units have co-owners.
        owned = [u["id"] for u in unit_rows if not u["developer_unsold"]]
        rng.shuffle(owned)
        persons = []
        i = 0
        while i < len(owned):
            holding = 3 if rng.random() < 0.02 else 2 if rng.random() < 0.06 else 1
            persons.append((owned[i:i + holding], _name(rng), _phone(rng)))
            i += holding
        person_ids = []
        for chunk in range(0, len(persons), 200):
            rows = await Person.insert(*[
                Person(community=community_id, name=n, phone=p) for _, n, p in persons[chunk:chunk + 200]
            ]).returning(Person.id)
            person_ids += [r["id"] for r in rows]
        ownerships, residences = [], []
        for (units, _, _), pid in zip(persons, person_ids):
            for unit_id in units:
                ownerships.append(Ownership(community=community_id, unit=unit_id, person=pid, is_representative=True))
            residences.append(Residence(community=community_id, unit=units[0], person=pid, relation="head"))
        # Co-owners (spouses on the deed): a second owner who is not the representative.
        co_units = rng.sample([units[0] for units, _, _ in persons if len(units) == 1], 40)
        co_people = await Person.insert(*[
            Person(community=community_id, name=_name(rng), phone=_phone(rng)) for _ in co_units
        ]).returning(Person.id)
        for unit_id, row in zip(co_units, co_people):
            ownerships.append(Ownership(community=community_id, unit=unit_id, person=row["id"], is_representative=False))
            residences.append(Residence(community=community_id, unit=unit_id, person=row["id"], relation="member"))
        for chunk in range(0, len(ownerships), 300):
            await Ownership.insert(*ownerships[chunk:chunk + 300])
        for chunk in range(0, len(residences), 300):
            await Residence.insert(*residences[chunk:chunk + 300])

        # The five parties (五方联动) and four departments.
        parties = [
            (community_id, "party_branch", "振兴路第一网格党支部", "Mon-Fri 08:30-17:30"),
            (community_id, "residents_committee", "振兴路社区居民委员会", "Mon-Fri 08:30-17:30\nSat 09:00-12:00"),
            (community_id, "owners_committee", "中南悦园业主委员会", "Tue 19:00-21:00\nSat 09:00-17:00"),
            (community_id, "property_manager", "悦园物业服务有限公司", "Mon-Sun 08:00-20:00"),
            (community_id, "co_building_unit", "江北新区供电服务中心泰山站", "Mon-Fri 09:00-17:00"),
            (None, "department", "江北新区城市管理局泰山中队", "Mon-Fri 08:30-12:00\nMon-Fri 14:00-17:30"),
            (None, "department", "江北新区住房和城乡建设局", WORKDAYS),
            (None, "department", "江北新区交通运输局", WORKDAYS),
            (None, "department", "泰山派出所", "Mon-Sun 08:00-22:00"),
        ]
        org_ids = {}
        for community, kind, name, hours in parties:
            row = (await Organisation.insert(Organisation(
                community=community, kind=kind, name=name, phone=_phone(rng), working_hours=_hours(hours),
            )))[0]
            org_ids[name] = row["id"]
            await ContactPerson.insert(ContactPerson(
                community=community, organisation=row["id"], name=_name(rng),
                title="联络员" if kind == "department" else "负责人", phone=_phone(rng),
            ))

        # One user per role.
        resident_person = person_ids[0]
        await Person.update({Person.name: "刘桂兰"}).where(Person.id == resident_person)
        for username, role, display in DEMO_USERS:
            uid = (await User.insert(User(
                username=username, display_name=display, password_hash=password_hash, role=role,
                organisation=org_ids["江北新区城市管理局泰山中队"] if role == "department_liaison" else None,
                person=resident_person if role == "resident" else None, created_at=now,
                area_street=street_id if role in ("street_officer", "judicial_officer") else None,
                area_district=DISTRICT if role == "district_officer" else "",
            )))[0]["id"]
            if role in ("secretary", "grid_worker", "mediator"):
                await UserStation.insert(UserStation(user=uid, station=station_id))

        await audit.record(SYSTEM, "demo.load", entity_type="station", entity_id=station_id,
                           after={"units": len(unit_rows), "owners": len(person_ids) + len(co_people)},
                           station_id=station_id)
    from council.votes.demo import load as load_votes  # noqa: E402  (issue 4: demo votes)
    await load_votes(station_id)
    from council.mediation.demo import load as load_mediation  # noqa: E402  (issue 5: demo disputes)
    await load_mediation(station_id)
    from council.reception.demo import load as load_reception  # noqa: E402  (issue 7: reception day)
    await load_reception(station_id)
    from council.meetings.demo import load as load_meetings  # noqa: E402  (issue 6: meetings, minutes)
    await load_meetings(station_id)


def demo_logins_text(settings: Settings) -> str:
    """The demo logins, printed by `council demo` and by `council serve` when the demo is loaded."""
    if not (settings.data_dir / DEMO_MARKER).exists():
        return ""
    lines = ["Demo logins (password for all: %s):" % DEMO_PASSWORD]
    for username, role, display in DEMO_USERS:
        lines.append(f"  {username:<12} {role:<20} {display}")
    return "\n".join(lines)
