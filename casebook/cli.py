"""`flask casebook import FILE.jsonl [--publish]` — operators import cases in the corpus format."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from kernel.db_admin import owner_session

casebook_cli = AppGroup("casebook", help="Cases and the shared casebook.")


@casebook_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="also publish every case in the casebook (an audited operator action)")
def import_command(path: Path, publish: bool) -> None:
    """Import cases (one JSON object per line); all or nothing, idempotent on external_id."""
    from casebook.importer import ImportError_, import_records, parse_lines
    from kernel import audit

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise click.ClickException("UTF-8 のテキストとして読めません。") from error
    with owner_session():
        try:
            records = parse_lines(lines)
        except ImportError_ as error:
            raise click.ClickException(str(error)) from error
        counts = import_records(records, publish=publish)
        audit.record("casebook.import", "file", path.name, after={**counts, "publish": publish})
    click.echo(f"{len(records)} lines: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {counts['published']} published")


@casebook_cli.command("fill-words")
def fill_words_command() -> None:
    """Store the words of every casebook entry's texts that have none (after `flask demo generate`, or a change of
    casebook.text_words.VERSION): a search shows such entries all the same, analysing their texts each time."""
    from casebook.text_words import fill_missing
    from kernel.extensions import db

    with owner_session():
        cursor = db.session.connection().connection.cursor()
        analysed = fill_missing(cursor, echo=click.echo)
    click.echo(f"{analysed} texts analysed")


@casebook_cli.command("purge-words")
def purge_words_command() -> None:
    """Delete the stored words of texts that no published casebook entry uses any longer (edited, retired, or of an
    older analysis version). Publishing and editing wait while it runs (a few seconds at national scale)."""
    from casebook.text_words import purge_unused
    from kernel.extensions import db

    with owner_session():
        cursor = db.session.connection().connection.cursor()
        purged = purge_unused(cursor)
    click.echo(f"{purged} texts' words deleted")


def register(app: Flask) -> None:
    app.cli.add_command(casebook_cli)
