"""The `council` command: serve, migrate, demo data, users and tokens."""

from __future__ import annotations

import asyncio
import sys

import click

from council import db
from council.settings import load_settings


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
def main() -> None:
    """Council: the case manager for community consultation stations."""


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from council.migrations import migrate as run

    applied = _run(_with_db(run))
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app."""
    import uvicorn

    from council.demo import demo_logins_text
    from council.migrations import pending

    waiting = _run(_with_db(pending))
    if waiting:
        click.echo("The database is not migrated. Run `council migrate` first.", err=True)
        sys.exit(1)
    click.echo(f"Council is serving on http://{host}:{port}")
    logins = demo_logins_text(load_settings())
    if logins:
        click.echo(logins)
    uvicorn.run("council.app:create_app", factory=True, host=host, port=port, log_level="info")


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
    ["admin", "secretary", "grid_worker", "mediator", "department_liaison", "resident"]))
@click.option("--station", "stations", multiple=True, help="Case prefix or id of a station the user serves (repeatable).")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--organisation", type=int, help="Organisation id (department liaisons).")
@click.option("--person", type=int, help="Resident record id (residents).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(username, role, stations, display_name, organisation, person, password_stdin) -> None:
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
                                 organisation_id=organisation, person_id=person)

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
def token_create(username: str, name: str) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from council.accounts.principal import SYSTEM
    from council.accounts.services import create_token
    from council.core.errors import DomainError

    try:
        value = _run(_with_db(create_token, SYSTEM, username, name))
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


if __name__ == "__main__":  # pragma: no cover
    main()
