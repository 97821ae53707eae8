"""The published casebook's texts analysed once, when they are written, instead of on every search that shows them.

A search marks the query's words in each hit's title and cuts a snippet around them in its summary (or body): that
needs the text's words (SudachiPy), and a search new to the worker analysed its twenty hits' titles and summaries
every time, most of the Python of the request (several ms of about 10). Here each published text's words, in the
form ``casebook.search`` looks at them (``title_words``, ``snippet_words``), are kept in ``casebook_text_words`` by
the digest of the text (md5 of a kind, the analysis version and the text itself); the hits' statement reads them
beside each row (``stored_words``), and the snippet and title are cut from them without SudachiPy.

Keyed by the text, not by the entry: stored words can never be those of an older text (a changed summary has
another digest: its words are written with it, or, missing, the text is analysed as before), texts that many
entries share are analysed and stored once (the benchmark data reuses a limited set of texts), and filling the
table for existing entries writes no entry row (rewriting every entry, with its indexes and triggers, would
take hours at national scale). ``VERSION`` changes with the analysis, after which every text misses until
``fill_missing`` runs again.

Words of a text that no published entry uses any longer (an edited summary, a retired entry, an older ``VERSION``)
are removed by ``purge_unused`` (``flask casebook purge-words``, as the owner: the application role never deletes).
A text may be shared by many entries, and a writer that finds its words stored writes nothing: so that a purge
never takes the words of a text that a concurrent writer is about to publish, every writer holds the table in ROW
EXCLUSIVE mode from before it looks for stored words until it commits (``remember``), and the purge takes SHARE ROW
EXCLUSIVE, which waits for those writers and holds new ones back, before it reads which texts are used. Either the
purge reads after the writer's commit (and sees its entry), or the writer looks after the purge's (and stores the
words again).

Only published texts come here (curation's publish and edit, the generators through ``fill_missing``), never a
municipality's private case. No tenant_id and no RLS, like ``casebook_entries``.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Optional

from sqlalchemy import cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import UUID, insert

from casebook import search
from casebook.models import TextWords
from kernel.extensions import db

VERSION = "1"  # of the analysis and the stored form: changed, every stored text misses (and is analysed) again
TITLE, LINES = "T", "S"  # a title's words (search.title_words); a snippet's lines' words (search.snippet_words)
SNIPPET_FIELDS = ("summary", "problem", "approach", "outcomes")  # the texts a snippet is cut from
# The writers' lock and the purge's (module doc): ROW EXCLUSIVE does not conflict with itself (writers do not wait
# for each other) and conflicts with SHARE ROW EXCLUSIVE; neither blocks the search's reads (ACCESS SHARE).
HOLD_FOR_WRITING = "LOCK TABLE casebook_text_words IN ROW EXCLUSIVE MODE"
HOLD_FOR_PURGE = "LOCK TABLE casebook_text_words IN SHARE ROW EXCLUSIVE MODE"


def digest(kind: str, text: str) -> str:
    """The key of a text's words: md5 of the kind, the version and the text (as PostgreSQL's ``md5`` gives it)."""
    return str(uuid.UUID(hashlib.md5(f"{kind}{VERSION}:{text}".encode()).hexdigest()))  # noqa: S324 - a key


def stored_words(kind: str, column: Any) -> Any:
    """The stored words of the text in ``column`` (NULL when there are none), as a scalar subquery."""
    key = cast(func.md5(literal(f"{kind}{VERSION}:") + column), UUID(as_uuid=False))
    return select(TextWords.words).where(TextWords.digest == key).scalar_subquery()


def analysed(kind: str, text: str) -> str:
    """A text's words in their stored form."""
    return search.title_words(text) if kind == TITLE else search.snippet_words(text)


def texts_of(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, text) of a published copy's texts that a search shows: its title and the texts of its snippets."""
    texts = [(TITLE, str(content.get("title") or ""))]
    texts += [(LINES, str(content.get(name) or "")) for name in SNIPPET_FIELDS]
    return [(kind, text) for kind, text in texts if text]


def remember(content: dict[str, Any]) -> None:
    """Store the words of a published copy's texts (those not stored yet): every writer of a published text calls it."""
    texts = {digest(kind, text): (kind, text) for kind, text in texts_of(content)}
    if not texts:
        return
    # Before looking: a purge (purge_unused) waits for this transaction, or this one for the purge (module doc).
    db.session.execute(text(HOLD_FOR_WRITING))
    known = set(db.session.scalars(select(TextWords.digest).where(TextWords.digest.in_(list(texts)))))
    rows = [{"digest": key, "words": analysed(kind, text)} for key, (kind, text) in texts.items() if key not in known]
    if rows:
        db.session.execute(insert(TextWords).values(rows).on_conflict_do_nothing())


# Every (kind, text) of the published entries, each once (a retired entry's are stored again when it is restored):
# the benchmark data's 124,060 (Tokyo) or 1,001,135 (national) entries share a limited set of texts (60 summaries,
# some tens of thousands of titles and bodies).
_DISTINCT_TEXTS = """
    SELECT DISTINCT t.kind, t.text FROM casebook_entries e
    CROSS JOIN LATERAL (VALUES ('T', e.title), ('S', e.summary), ('S', e.problem), ('S', e.approach),
                               ('S', e.outcomes)) AS t(kind, text)
    WHERE e.status = 'published' AND t.text <> ''
"""
BATCH = 2000


def fill_missing(cur: Any, echo: Optional[Callable[[str], None]] = None) -> int:
    """Store the words of every entry's texts that have none (on a DB-API cursor of the owner or the application
    role); returns how many texts were analysed. For entries written without ``remember``: the generators' bulk
    load, and every entry published before the table existed (migration 20261207g_text_words)."""
    cur.execute("SELECT digest::text FROM casebook_text_words")
    known = {row[0] for row in cur.fetchall()}
    cur.execute(_DISTINCT_TEXTS)
    missing = [(key, kind, text) for kind, text in cur.fetchall() if (key := digest(kind, text)) not in known]
    if echo:
        echo(f"casebook_text_words: {len(missing)} texts to analyse ({len(known)} stored already)")
    for start in range(0, len(missing), BATCH):
        _insert(cur, ((key, analysed(kind, text)) for key, kind, text in missing[start:start + BATCH]))
    return len(missing)


def _insert(cur: Any, rows: Iterable[tuple[str, str]]) -> None:
    from psycopg2.extras import execute_values

    execute_values(cur, "INSERT INTO casebook_text_words (digest, words) VALUES %s ON CONFLICT DO NOTHING",
                   list(rows), template="(%s::uuid, %s)", page_size=500)


# The digests of the published entries' texts, as ``digest`` makes them (md5 of kind, version and text).
_USED_DIGESTS = """
    SELECT DISTINCT md5(t.kind || %(version)s || ':' || t.text)::uuid AS digest FROM casebook_entries e
    CROSS JOIN LATERAL (VALUES ('T', e.title), ('S', e.summary), ('S', e.problem), ('S', e.approach),
                               ('S', e.outcomes)) AS t(kind, text)
    WHERE e.status = 'published' AND t.text <> ''
"""
# An anti-join against the used digests, materialised once (a hash join that may spill), not a NOT IN per row.
_PURGE = f"""
    WITH used AS MATERIALIZED ({_USED_DIGESTS})
    DELETE FROM casebook_text_words w WHERE NOT EXISTS (SELECT FROM used u WHERE u.digest = w.digest)
"""  # noqa: S608 - this module's constants


def purge_unused(cur: Any) -> int:
    """Delete the stored words of every text no published entry uses (on a DB-API cursor of the owner, in its
    transaction: the caller commits); returns how many texts' words went.

    Waits for the writers in flight and holds new ones back until the caller's commit (module doc), so a text a
    concurrent writer publishes keeps its words. The lock and the statement are two statements: under READ
    COMMITTED the DELETE's snapshot is taken after the lock is granted, so it sees every writer it waited for."""
    cur.execute(HOLD_FOR_PURGE)
    cur.execute(_PURGE, {"version": VERSION})
    return int(cur.rowcount)


class JoinedTexts:
    """Stored words of texts written as a few pieces joined (the generators': a corpus title and its number, two
    corpus sentences), made from each piece's analysis instead of analysing every distinct text (130,000 at Tokyo
    scale, some 20 s of SudachiPy) — what ``analysed`` gives the joined text, as long as SudachiPy cuts the joined
    text at the pieces' seams as it cuts the pieces alone. That holds for the generators' corpus (every title with
    numbers up to 2,000 and every ordered pair of its sentences were compared with a fresh analysis) and is checked
    again here: every ``CHECK_EVERY``-th text is analysed whole too, and a difference stops the load."""

    CHECK_EVERY = 100

    def __init__(self) -> None:
        self._pieces: dict[str, search.WordsPiece] = {}
        self.made = 0

    def words(self, kind: str, pieces: tuple[str, ...]) -> str:
        """The stored words of ``"".join(pieces)`` of ``kind`` (a joined text that is not one line is analysed)."""
        text = "".join(pieces)
        if kind == LINES and not search.is_one_line(text):
            return analysed(kind, text)
        parts = [self._piece(piece) for piece in pieces]
        if kind == TITLE:  # search.title_words: [] for a title whose words do not give it back (NFKC changed it)
            words = search.joined_words(parts) if "".join(part.text for part in parts) == text else "[]"
        else:  # search.snippet_words: one line
            words = f"[{search.joined_words(parts)}]"
        self.made += 1
        if self.made % self.CHECK_EVERY == 1 and words != analysed(kind, text):
            raise RuntimeError(f"SudachiPy cuts {text!r} otherwise than its pieces {pieces!r}: analyse such texts "
                               "whole")
        return words

    def _piece(self, piece: str) -> search.WordsPiece:
        found = self._pieces.get(piece)
        if found is None:
            found = self._pieces[piece] = search.words_piece(search.morphemes(piece))
        return found
