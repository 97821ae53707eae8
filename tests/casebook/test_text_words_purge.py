"""The purge of stored words (casebook.text_words.purge_unused, `flask casebook purge-words`): the words of a text no
published entry uses go, those of a text still used stay, even when the text is shared or a writer publishes it
while the purge runs (real commits, each side waiting for the other's lock, in both orders)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from flask import Flask

from casebook import curation, search, text_words
from casebook.models import Entry
from kernel.extensions import db
from portal.backup import libpq
from tests.conftest import committing_app

OWNER_INSERT_ENTRY = ("INSERT INTO casebook_entries (source_tenant_id, title, summary, themes, tools, status) "
                      "VALUES ('132055', %s, %s, '{}', '{}', %s)")
OWNER_INSERT_WORDS = "INSERT INTO casebook_text_words (digest, words) VALUES (%s::uuid, %s)"


def _owner(app: Flask) -> Any:
    return psycopg2.connect(libpq(app.config["DATABASE_OWNER_URL"]))


def _stored_digests(cur: Any, digests: list[str]) -> set[str]:
    cur.execute("SELECT digest::text FROM casebook_text_words WHERE digest = ANY(%s::uuid[])", (digests,))
    return {row[0] for row in cur.fetchall()}


def test_the_purge_deletes_only_the_words_no_published_entry_uses(app) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(app)
    try:
        cur = owner.cursor()
        assert text_words.purge_unused(cur) == 0  # the demo data stores only the words of its published texts
        shared, title_a, title_b = "二つの事例が同じ概要を持つ。", "共有概要の事例甲", "共有概要の事例乙"
        retired_title, edited_away = "引退した事例だけの題名", "編集で消えた概要の文。"
        cur.execute(OWNER_INSERT_ENTRY, (title_a, shared, "published"))
        cur.execute(OWNER_INSERT_ENTRY, (title_b, shared, "published"))
        cur.execute(OWNER_INSERT_ENTRY, (retired_title, shared, "retired"))
        kept = [text_words.digest(text_words.TITLE, title_a), text_words.digest(text_words.TITLE, title_b),
                text_words.digest(text_words.LINES, shared)]
        gone = [text_words.digest(text_words.TITLE, retired_title), text_words.digest(text_words.LINES, edited_away)]
        older_version = "T0:" + title_a  # the same title's words under an earlier analysis version
        import hashlib
        import uuid

        gone.append(str(uuid.UUID(hashlib.md5(older_version.encode()).hexdigest())))  # noqa: S324 - a key
        for key in kept + gone:
            cur.execute(OWNER_INSERT_WORDS, (key, "[]"))
        cur.execute("SELECT count(*) FROM casebook_text_words")
        before = cur.fetchone()[0]
        assert text_words.purge_unused(cur) == 3
        assert _stored_digests(cur, kept + gone) == set(kept)
        cur.execute("SELECT count(*) FROM casebook_text_words")
        assert cur.fetchone()[0] == before - 3
        assert text_words.purge_unused(cur) == 0
    finally:
        owner.rollback()
        owner.close()


def test_a_restored_entry_stores_its_words_again(app_ctx, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from casebook.models import TextWords

    entry = db.session.scalars(select(Entry).where(Entry.status == "published").order_by(Entry.id)).first()
    assert entry is not None
    curation.set_retired(entry, 1, True)
    # As if the purge had run while it was retired: under another version none of its words are stored.
    monkeypatch.setattr(text_words, "VERSION", "test-restored")
    key = text_words.digest(text_words.TITLE, entry.title)
    assert db.session.scalar(select(TextWords.words).where(TextWords.digest == key)) is None
    curation.set_retired(entry, 1, False)
    assert db.session.scalar(select(TextWords.words).where(TextWords.digest == key)) == \
        search.title_words(entry.title)


# --- a writer and the purge at the same time, real commits ------------------------------------------------------

@pytest.fixture(scope="module")
def real_app(cluster) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    with committing_app(cluster, "text_words_purge", 4) as application:
        yield application


def _in_thread(job: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001 - asserted by the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _someone_waits_for_the_words_lock(app: Flask) -> bool:
    """Polls pg_locks (a condition, with a bound) until a session waits for a lock on casebook_text_words."""
    monitor = _owner(app)
    monitor.autocommit = True
    try:
        with monitor.cursor() as cur:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM pg_locks WHERE relation = 'casebook_text_words'::regclass "
                            "AND NOT granted")
                if cur.fetchone()[0]:
                    return True
                time.sleep(0.01)
        return False
    finally:
        monitor.close()


def _words_with_no_entry(app: Flask, title: str) -> str:
    """A title's words stored and committed, with no entry using the title (yet)."""
    key = text_words.digest(text_words.TITLE, title)
    with _owner(app) as conn, conn.cursor() as cur:
        cur.execute(OWNER_INSERT_WORDS, (key, search.title_words(title)))
    return key


def _publish(title: str) -> None:
    """What curation.publish writes of an entry's texts, in its order: their words, then the entry."""
    text_words.remember({"title": title})
    db.session.add(Entry(source_tenant_id="132055", title=title, summary="", themes=[], tools=[],
                         status="published"))
    db.session.flush()


@pytest.mark.no_rollback
def test_a_purge_waits_for_a_writer_that_found_the_words_stored(real_app: Flask) -> None:
    title = "同時に公開された題名・先に書く側"
    key = _words_with_no_entry(real_app, title)
    purged: list[int] = []
    with real_app.app_context():
        _publish(title)  # found its words stored: writes none, holds the table until its commit

        def purge() -> None:
            with _owner(real_app) as conn, conn.cursor() as cur:
                purged.append(text_words.purge_unused(cur))

        thread, errors = _in_thread(purge)
        try:
            assert _someone_waits_for_the_words_lock(real_app)
            db.session.commit()
        finally:
            thread.join(30)
            db.session.remove()
    assert errors == [] and purged == [0]
    with _owner(real_app) as conn, conn.cursor() as cur:
        assert _stored_digests(cur, [key]) == {key}


@pytest.mark.no_rollback
def test_a_writer_waits_for_a_purge_and_stores_the_words_again(real_app: Flask) -> None:
    title = "同時に公開された題名・後から書く側"
    key = _words_with_no_entry(real_app, title)
    owner = _owner(real_app)
    try:
        cur = owner.cursor()
        assert text_words.purge_unused(cur) == 1  # no entry uses the title yet: its words go (not committed)

        def publish() -> None:
            with real_app.app_context():
                try:
                    _publish(title)
                    db.session.commit()
                finally:
                    db.session.remove()

        thread, errors = _in_thread(publish)
        try:
            assert _someone_waits_for_the_words_lock(real_app)
            owner.commit()
        finally:
            thread.join(30)
    finally:
        owner.close()
    assert errors == []
    with _owner(real_app) as conn, conn.cursor() as cur:
        cur.execute("SELECT words FROM casebook_text_words WHERE digest = %s::uuid", (key,))
        assert cur.fetchall() == [(search.title_words(title),)]
