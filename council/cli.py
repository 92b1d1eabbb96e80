"""The `council` command: serve, migrate, demo data, users and tokens."""

from __future__ import annotations

import asyncio
import sys

import click

from council import db
from council.settings import SettingsError
from council.settings import load_settings as _load_settings


def load_settings():
    """The settings, or a clear message and exit 2 (a mistyped boolean stops the start)."""
    try:
        return _load_settings()
    except SettingsError as e:
        raise click.UsageError(str(e)) from None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("council")
    except PackageNotFoundError:  # a checkout run without installing
        return "0+checkout"


def _run(coro):
    return asyncio.run(coro)


async def _with_db(fn, *args, **kwargs):
    settings = load_settings()
    db.configure(settings.database_url)
    await db.start()
    try:
        return await fn(*args, **kwargs)
    finally:
        await db.stop()


@click.group()
@click.version_option(version=_version(), prog_name="council", message="%(prog)s %(version)s")
def main() -> None:
    """Council: the case manager for community consultation stations."""
    load_settings()  # a bad setting stops every command here, with the variable named


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from council.migrations import migrate as run

    applied = _run(_with_db(run))
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (PostgreSQL only: SQLite has one writer process).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app."""
    import os

    import uvicorn

    from council.demo import demo_logins_text
    from council.migrations import pending
    from council.ops.observe import log_config

    settings = load_settings()
    if workers > 1 and settings.is_sqlite:
        raise click.UsageError(
            f"--workers {workers} needs PostgreSQL. SQLite lets one process write at a time: several "
            "server processes would queue on its file lock and time out under load. Run one process "
            "on SQLite (it serves a street office's stations), or set COUNCIL_DATABASE_URL to PostgreSQL.")
    waiting = _run(_with_db(pending))
    if waiting:
        click.echo("The database is not migrated. Run `council migrate` first.", err=True)
        sys.exit(1)
    # The children read it: each sizes its PDF pool so that workers × pool stays within the cores.
    os.environ["COUNCIL_WORKERS"] = str(workers)
    click.echo(f"Council is serving on http://{host}:{port}" + (f" with {workers} processes" if workers > 1 else ""))
    logins = demo_logins_text(settings)
    if logins:
        click.echo(logins)
    uvicorn.run("council.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=log_config(settings.log_format))


@main.command()
def check() -> None:
    """Say what this machine is missing to serve Council (fonts, HarfBuzz, database, public URL)."""
    from council.ops.check import run_checks

    problems = 0
    for ok, name, detail in run_checks():
        click.echo(f"[{'ok' if ok else 'MISSING'}] {name}: {detail}")
        problems += not ok
    if problems:
        click.echo(f"{problems} problem(s).", err=True)
        sys.exit(1)
    click.echo("Everything needed is here.")


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
def worker(once: bool) -> None:
    """Deliver notifications, run the scheduler (council.notify) and background jobs (council.jobs); stop with Ctrl-C or SIGTERM."""
    from council.notify.service import main as run

    sent = run(once)
    if once:
        click.echo(f"Sent {sent}.")


@main.command()
@click.option("--reset", is_flag=True, help="Drop every table and start over with fresh demo data.")
def demo(reset: bool) -> None:
    """Load realistic demo data (idempotent)."""
    from council.demo import load_demo

    created = _run(_with_db(load_demo, reset=reset, settings=load_settings()))
    click.echo("Demo data loaded." if created else "Demo data already present.")
    from council.demo import demo_logins_text

    click.echo(demo_logins_text(load_settings()))


@main.command()
@click.option("--output", "-o", type=click.Path(), default=None,
              help="Archive file or folder (default: council-backup-<time>.tar.gz here).")
def backup(output: str | None) -> None:
    """Back up the database and uploaded files while the server runs."""
    from datetime import datetime
    from pathlib import Path

    from council.ops.backup import BackupError, create_backup, describe

    settings = load_settings()
    name = f"council-backup-{datetime.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"
    out = Path(output) if output else Path.cwd() / name
    if out.is_dir():
        out = out / name
    try:
        manifest = _run(create_backup(settings.database_url, settings.upload_dir, out))
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wrote {out}")
    click.echo(describe(manifest))


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and uploads folder that are not empty (checked in a temporary copy first; the old ones are kept aside).")
def restore(archive: str, force: bool) -> None:
    """Restore a backup into an empty data directory / database. Stop the server first."""
    from council.ops.backup import BackupError, describe, restore_backup

    settings = load_settings()
    try:
        report = _run(restore_backup(archive, settings.database_url, settings.upload_dir, force=force))
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo("Restored and checked (every table's row count, every file's sha256): " + describe(report["manifest"]))
    for what, where in report.get("kept", {}).items():
        click.echo(f"The previous {what} is kept aside as {where}")


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(
    ["admin", "secretary", "grid_worker", "mediator", "department_liaison", "resident",
     "street_officer", "district_officer", "judicial_officer"]))
@click.option("--station", "stations", multiple=True, help="Case prefix or id of a station the user serves (repeatable).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--organisation", type=int, help="Organisation id (department liaisons).")
@click.option("--person", type=int, help="Resident record id (residents).")
@click.option("--street", "area_street", type=int, help="Street id (street officers, a street's judicial office).")
@click.option("--district", "area_district", default="", help="District name as streets carry it (district officers, "
              "the district's judicial office).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(username, role, stations, display_name, organisation, person, area_street, area_district,
                password_stdin) -> None:
    """Create a user. Without --password-stdin the password is asked for."""
    from council.accounts.principal import SYSTEM
    from council.accounts.services import create_user
    from council.core.errors import DomainError
    from council.stations.tables import Station

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go():
        ids = []
        for s in stations:
            row = await Station.select(Station.id).where(
                (Station.case_prefix == s) | (Station.id == (int(s) if s.isdigit() else -1))
            ).first()
            if not row:
                raise click.ClickException(f"No station {s!r}.")
            ids.append(row["id"])
        return await create_user(SYSTEM, username=username, password=password, role=role,
                                 display_name=display_name, station_ids=ids,
                                 organisation_id=organisation, person_id=person,
                                 area_street=area_street, area_district=area_district)

    try:
        user_id = _run(_with_db(go))
    except DomainError as e:
        raise click.ClickException(f"{e.message} {e.errors or ''}".strip()) from None
    click.echo(f"Created user {username} (id {user_id}, role {role}).")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@click.option("--scope", type=click.Choice(["read", "full"]), default="full", show_default=True,
              help="read: GET only (writes get 403); full: whatever the user may do.")
@click.option("--expires", default="", help="Last day, e.g. 2027-01-01 (the token stops when it begins, Beijing time).")
def token_create(username: str, name: str, scope: str, expires: str) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from council.accounts.principal import SYSTEM
    from council.accounts.services import create_token, parse_expiry
    from council.core.errors import DomainError

    try:
        value = _run(_with_db(create_token, SYSTEM, username, name, scope=scope, expires_at=parse_expiry(expires)))
    except DomainError as e:
        raise click.ClickException(e.message) from None
    click.echo(value)


@token.command("revoke")
@click.argument("prefix")
def token_revoke(prefix: str) -> None:
    """Revoke a token by the first 12 characters shown when it was created."""
    from council.accounts.principal import SYSTEM
    from council.accounts.services import revoke_token
    from council.core.errors import DomainError

    try:
        _run(_with_db(revoke_token, SYSTEM, prefix))
    except DomainError as e:
        raise click.ClickException(e.message) from None
    click.echo("Revoked.")


@main.group()
def calendar() -> None:
    """China's national holiday calendar, which every station inherits."""


def _cli_locale() -> str:
    """The reader's language at a terminal: English when the shell says so, else Chinese."""
    import os

    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "en" if lang.lower().startswith("en") else "zh_CN"


@calendar.command("load")
@click.argument("year", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def calendar_load(year: int, file: str) -> None:
    """Load YEAR's holiday arrangement from FILE (the State Council's notice, one day or range a
    line: see council/cases/holidays_cn.py). Open working-day deadlines are recounted."""
    from council.accounts.principal import SYSTEM
    from council.cases.holidays_cn import ArrangementError, parse_arrangement
    from council.cases.national_calendar import load_year
    from council.core.i18n import gettext

    locale = _cli_locale()
    try:
        with open(file, encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise click.ClickException(gettext(locale, "The file is not UTF-8 text.")) from None
    try:
        arrangement = parse_arrangement(text, year)
    except ArrangementError as e:
        raise click.ClickException(gettext(locale, e.message, **e.params)) from None
    result = _run(_with_db(load_year, SYSTEM, arrangement))
    click.echo(gettext(locale, "Loaded %(year)s: %(holidays)s weekday holidays, %(makeup)s make-up working days; "
                               "%(moved)s open deadlines moved.", **result))


@calendar.command("list")
def calendar_list() -> None:
    """The years known, and where each year's arrangement comes from."""
    from council.cases.national_calendar import coming_year_missing, years_summary

    async def go():
        return await years_summary(), await coming_year_missing()

    years, missing = _run(_with_db(go))
    for y in years:
        flag = " provisional" if y["provisional"] else ""
        click.echo(f"{y['year']}  {y['origin']:<8} {y['holidays']:>3} holidays {y['makeup']:>2} makeup{flag}  {y['source']}")
    if missing:
        from council.core.i18n import gettext

        click.echo(gettext(_cli_locale(), "The State Council's holiday arrangement for %(year)s is not loaded yet.",
                           year=missing), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
