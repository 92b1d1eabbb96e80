"""Users, their stations, browser sessions and API tokens. Secrets are stored hashed."""

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar, Integer
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.parties.tables import Organisation
from council.people.tables import Person
from council.places.tables import Street
from council.stations.tables import Station


class User(Table, tablename="app_user"):
    username = Varchar(length=60, required=True, unique=True)
    display_name = Varchar(length=100, default="")
    password_hash = Varchar(length=200, default="")
    role = Varchar(length=30, required=True)
    organisation = ForeignKey(Organisation, null=True, on_delete=OnDelete.restrict)  # department_liaison
    person = ForeignKey(Person, null=True, on_delete=OnDelete.restrict)  # resident
    # The area of an officer above the stations (m0018): a street (street / judicial officer) or a
    # district's name as streets carry it (district / judicial officer).
    area_street = ForeignKey(Street, null=True, on_delete=OnDelete.restrict)
    area_district = Varchar(length=100, default="")
    locale = Varchar(length=10, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    version = Integer(default=1)


class UserStation(Table, tablename="user_station"):
    user = ForeignKey(User, null=False)
    station = ForeignKey(Station, null=False)


class Session(Table, tablename="user_session"):
    token_hash = Varchar(length=64, required=True, unique=True)
    user = ForeignKey(User, null=False)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    user = ForeignKey(User, null=False)
    name = Varchar(length=100, default="")
    prefix = Varchar(length=12, required=True)  # shown in lists so a token can be recognised
    token_hash = Varchar(length=64, required=True, unique=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    scope = Varchar(length=10, default="full")  # "read": GET/HEAD only; "full": everything the user may do
    expires_at = Timestamptz(null=True, default=None)


class LoginThrottleEntry(Table, tablename="login_throttle"):
    """Sign-in attempts per key ("ip:…", "user:…"), shared by every server process."""

    key = Varchar(length=200, required=True, unique=True)
    attempts = Integer(default=0)
    updated_at = Timestamptz()
