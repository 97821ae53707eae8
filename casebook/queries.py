"""Reading the casebook and a municipality's own cases: search, facets, sort, pagination.

Every page runs a fixed handful of statements: the synonyms (when they changed), the first matches (a
capped count and the facets from one scan, the page's ids ranked among a bounded candidate set taken from
the GIN index, and the page's rows), and only for a page that is not all strong matches, the other matches'
ids and their rows.
Snippets are computed in Python for the page's rows only.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from flask import current_app
from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSQUERY, aggregate_order_by

from casebook import search, text_words, thesaurus
from casebook.models import STAGES, Adoption, Case, Entry, SearchRow, Submission, Synonym
from kernel import driver
from kernel.extensions import db
from kernel.i18n import service_gettext as _
from kernel.numbers import parse_whole
from tenants.models import Tenant, TenantRow

PER_PAGE = 20
MAX_PAGE = 500
CANDIDATES = 400  # strong matches (title, summary, themes, tools) ranked with ts_rank
COUNT_CAP = 500  # "500+" beyond: counting every match of a common word costs more than it tells
FACET_CAP = 500
FACETS_SHOWN = 15  # values of a facet shown before its "more" link
SORTS = ("relevance", "newest", "adopted")


FACETS = ("theme", "tool", "kind", "region", "fiscal_year", "stage")
MAX_VALUES = 20  # values chosen per facet (a longer list is cut: each becomes a condition)


@dataclass
class Filters:
    """A search: its words, the chosen facet values (OR within a facet, AND across facets), sort, page."""

    q: str = ""
    theme: list[str] = field(default_factory=list)
    tool: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    fiscal_year: list[int] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    sort: str = "relevance"
    page: int = 1

    def __post_init__(self) -> None:
        # One value may be given as such (Filters(theme="窓口")): it is that facet's only value.
        for name in FACETS:
            value = getattr(self, name)
            if value is None or value == "":
                setattr(self, name, [])
            elif not isinstance(value, list):
                setattr(self, name, [value])

    def active(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, []) and k not in ("sort", "page")}

    def chosen(self) -> list[tuple[str, str]]:
        """Every chosen (facet, value), in the facets' order."""
        return [(name, str(value)) for name in FACETS for value in getattr(self, name)]


@dataclass
class Hit:
    entry: Any  # an Entry (the export), or the row of its shown columns (the page, the API)
    tenant: Optional[Any]  # a Tenant (the export), or a TenantRow (the page, the API)
    rank: float
    snippet: list[tuple[str, bool]]
    # The title as (piece, is_hit) parts when a query is given: a case found by words of its title
    # alone shows them marked there, where the summary has none to mark.
    title: list[tuple[str, bool]] = field(default_factory=list)
    # The query words this case matched only through a synonym, and which thesaurus layer said so.
    synonyms: list[thesaurus.SynonymMatch] = field(default_factory=list)


@dataclass
class Result:
    hits: list[Hit]
    total: int
    capped: bool
    page: int
    pages: int
    terms: list[str]
    # Per facet (every one, with facets), its values as (value, count), most frequent first (fiscal years:
    # latest first): every value, or the first ones asked for (``search_casebook``'s ``facets_shown``).
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    any_word: bool = False  # no case had every word: these have some of them
    facet_totals: dict[str, int] = field(default_factory=dict)  # how many values each facet has in all


@dataclass
class Facets:
    """The facets of the first matches: the values read (see ``Result.facets``) and how many each facet has."""

    values: dict[str, list[tuple[str, int]]]
    totals: dict[str, int]


def parse_filters(args: Any) -> tuple[Filters, dict[str, str]]:
    """Filters from query-string arguments (a facet may be repeated); invalid values are dropped with a message."""
    errors: dict[str, str] = {}
    f = Filters()
    f.q = str(args.get("q", "") or "")[:200]

    def values(name: str) -> list[str]:
        given = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
        return list(dict.fromkeys(str(v)[:100] for v in given if v not in ("", None)))[:MAX_VALUES]

    for name in ("theme", "tool", "kind", "region"):
        setattr(f, name, values(name))
    stages = values("stage")
    f.stage = [s for s in stages if s in STAGES]
    if len(f.stage) < len(stages):
        errors["stage"] = _("The stage given is not valid.")
    for year in values("fiscal_year"):
        number = parse_whole(year)
        if number is not None and 1900 < number < 2200:
            f.fiscal_year.append(number)
        else:
            errors["fiscal_year"] = _("Give the fiscal year as a four-digit Western year.")
    sort = str(args.get("sort", "") or "relevance")
    if sort not in SORTS:
        errors["sort"] = _("The sort order given is not valid.")
        sort = "relevance"
    f.sort = sort
    page = str(args.get("page", "") or "1")
    number = parse_whole(page)
    if number is not None and 1 <= number <= MAX_PAGE:
        f.page = number
    else:
        errors["page"] = _("The page given is not valid.")
    return f, errors


def curator_synonyms(prefer_indexes: bool = False) -> tuple[tuple[str, ...], ...]:
    """The curators' synonym groups (the third thesaurus layer; the other two ship with the code).

    ``prefer_indexes``: the search's ``SET LOCAL enable_seqscan = off`` (see ``_prefer_indexes``) goes in
    the same message, one round trip for both (on a busy machine each round trip waits for a core).
    """
    if prefer_indexes:
        return _read_synonyms()[1]
    return tuple(tuple(g) for g in db.session.scalars(select(Synonym.terms).order_by(Synonym.id)))


# The fingerprint of the curators' synonyms (md5 of every group's terms, in order; md5('') when there are
# none), computed by PostgreSQL only: the known synonyms and the table are compared in one snapshot.
_SYNONYMS_FINGERPRINT = ("SELECT md5(coalesce(string_agg(array_to_string(terms, chr(31)), chr(30) ORDER BY id), '')) "
                         "FROM casebook_synonyms")
_NO_SYNONYMS_FINGERPRINT = "d41d8cd98f00b204e9800998ecf8427e"  # md5('')
KNOWN_SYNONYMS = "casebook_known_synonyms"  # app.extensions: (fingerprint, groups) as this worker last read them


def _read_synonyms() -> tuple[str, tuple[tuple[str, ...], ...]]:
    """(fingerprint, groups) of the curators' synonyms, with the search's index preference in the same message;
    kept as the worker's known synonyms (see ``search_casebook``)."""
    # Where the plain select of the synonyms would go (a read replica, when the request may read from one):
    # the setting must hold on the connection the search's statements then use.
    bind = db.session.get_bind(clause=select(Synonym.terms))
    rows: list[Any] = list(db.session.execute(text(_PREFER_INDEXES_AND_SYNONYMS), bind_arguments={"bind": bind}))
    known: tuple[str, tuple[tuple[str, ...], ...]] = (
        rows[0][1] if rows else _NO_SYNONYMS_FINGERPRINT, tuple(tuple(terms) for terms, _fp in rows))
    current_app.extensions[KNOWN_SYNONYMS] = known
    return known


def expand_query(q: str, any_word: bool = False, prefer_indexes: bool = False) -> thesaurus.Expanded:
    """The query through the three thesaurus layers (one statement: the curators' synonyms)."""
    return thesaurus.expand(q, curator_synonyms(prefer_indexes), any_word=any_word)


def _tsquery(text: str) -> Any:
    return cast(bindparam("tsq", text), TSQUERY)


def _facet_condition(f: Filters, name: str, source: Any = Entry) -> Any:
    """The condition of one facet's chosen values (any of them), None when none is chosen.

    ``source``: the entries (``Entry``) or the search's rows (``SearchRow``), which have the same columns.
    The values travel as one array parameter (``<facet>_values``), so a statement's shape depends only
    on which facets have values, not on the values: the facets statement is built once per shape.
    """
    chosen = getattr(f, name)
    if not chosen:
        return None
    if name == "fiscal_year":
        return source.fiscal_year == any_(bindparam("fiscal_year_values", [int(v) for v in chosen], ARRAY(Integer)))
    values = bindparam(f"{name}_values", [str(v) for v in chosen], ARRAY(Text))
    if name == "theme":
        return source.themes.overlap(values)  # && : served by the GIN index on themes
    if name == "tool":
        return source.tools.overlap(values)
    if name == "stage":
        return source.stage == any_(values)
    column = Tenant.kind if name == "kind" else Tenant.region
    return source.source_tenant_id.in_(select(Tenant.code).where(column == any_(values)))


def _facet_params(f: Filters) -> dict[str, Any]:
    """The chosen values of each facet, as the parameters of ``_facet_condition``."""
    params: dict[str, Any] = {}
    for name in FACETS:
        chosen = getattr(f, name)
        if chosen:
            params[f"{name}_values"] = [int(v) for v in chosen] if name == "fiscal_year" else [str(v) for v in chosen]
    return params


def _entry_conditions(f: Filters, tsq: Any, *, without: str = "") -> list[Any]:
    """The search's conditions; ``without`` leaves one facet's out (to count that facet's other values)."""
    conditions: list[Any] = [Entry.status == "published"]
    if tsq is not None:
        conditions.append(Entry.search_vector.op("@@")(tsq))
    for name in FACETS:
        condition = _facet_condition(f, name) if name != without else None
        if condition is not None:
            conditions.append(condition)
    return conditions


def _row_conditions(f: Filters, *, without: str = "") -> list[Any]:
    """The facet conditions on the search's rows (every one is a published entry's)."""
    return [c for name in FACETS if name != without and (c := _facet_condition(f, name, SearchRow)) is not None]


# Must match the partitions of migration 20261206c_search_rows (entry_id % 16).
SEARCH_PARTITIONS = 16


def _matching(columns: list[Any], conditions: list[Any], vector: Any, tsq: Any) -> Any:
    """The search rows (these columns) matching ``vector @@ tsq`` and the conditions, as a subquery to LIMIT.

    ``casebook_search_rows`` is partitioned by ``entry_id % 16``: PostgreSQL's Append asks the
    partitions (each with its own GIN indexes) in turn and, under a LIMIT, stops at the one that
    fills it, so a common word never builds the GIN bitmap of all its matches, and the rows it
    reads lie together (a narrow row, some eleven to a page). Without words, the rows as they come.

    The tsquery is given through a sub-select, which the planner sees as a value known only at execution:
    with a constant, it estimated the matches of every partition from that partition's statistics of the
    vector (reading and unpacking its thousand most common lexemes, sixteen times per scan), which was half
    of the statement's planning. The plan is the same (a bitmap scan of each partition's GIN index, in
    turn), and so are the rows and their order.
    """
    if tsq is None:
        return select(*columns).where(*conditions).subquery()
    return select(*columns).where(vector.op("@@")(select(tsq).scalar_subquery()), *conditions).subquery()


def _capped(matched: int) -> tuple[int, bool]:
    """(count shown, whether it is "COUNT_CAP+") from a count taken up to COUNT_CAP + 1."""
    return min(matched, COUNT_CAP), matched > COUNT_CAP


def _capped_count(stmt: Select[Any]) -> tuple[int, bool]:
    sub = stmt.limit(COUNT_CAP + 1).subquery()
    return _capped(int(db.session.scalar(select(func.count()).select_from(sub)) or 0))


@dataclass
class Ranked:
    """The best strong candidates (ranked by ts_rank, see ``_ranked_candidates``), best first, as far as a page
    needs them, with their ranks, and how many candidates there are in all."""

    ids: list[int]
    ranks: list[float]
    candidates: int


# The facets' values as the page shows them: a facet's first ``shown`` values (its most frequent first), or
# every one (``ALL_VALUES``, the default of ``search_casebook``).
ALL_VALUES = 2**31 - 1


def _first_matches(f: Filters, tsq_text: str, with_facets: bool, expanded: Optional[thesaurus.Expanded] = None,
                   rank_limit: int = CANDIDATES, check_synonyms: bool = False,
                   shown: Optional[dict[str, int]] = None, hit_terms: Optional[list[str]] = None,
                   per_page: int = PER_PAGE) -> tuple[int, Facets, Optional[Ranked], Optional[str], list[Any]]:
    """How many entries match (up to COUNT_CAP + 1), the facet counts over the first FACET_CAP, (given
    ``expanded``, for the relevance sort) the best ``rank_limit`` ranked strong candidates, (with
    ``check_synonyms``, for a statement with facets or candidates) the fingerprint of the curators' synonyms,
    and (given ``expanded`` and ``hit_terms``: a page with snippets) the rows of the ranked candidates of the
    last ``per_page`` places up to ``rank_limit``, the page's hits as ``_hits_statement`` reads them.

    ONE statement: each statement with ``@@`` builds a GIN bitmap, so the count and the facets share
    one scan (of the search rows' partitions, see ``_matching``), and the ranked candidates come in
    the same round trip (one planning, one wait for the server on a busy machine). The facets are
    counted and ordered in PostgreSQL, and each comes back as ONE row: its first ``shown[name]`` values
    (default: every one) and their counts as two arrays, with how many values it has in all (the page
    shows fifteen and a "more" link: reading each of the hundred-odd values as a row of its own cost more
    Python than the facets' SQL). A facet with chosen values
    is counted over the matches of the other facets' conditions (its own left out), so its other
    values show what adding them (OR) would find; only such a facet costs a scan of its own. The
    statement is built once per shape (words or not, which facets have values, how many rank tiers)
    and run with the words and values as parameters: building it took more of a request's Python
    time than anything else in the search.

    With ``check_synonyms``, the statement also says whether the synonyms the query was expanded with are
    still the current ones (their fingerprint, in the same snapshot) and carries the search's index
    preference: the synonyms' own statement, before it, is needed only when they changed.

    The page's hits come in the same statement too (one statement and one round trip less per search): the
    rows of the ranked candidates the page shows when it is the page asked for and is full of strong
    matches, as it nearly always is (else ``_load_hits`` reads the rows the page still lacks).
    """
    chosen = tuple(name for name in FACETS if getattr(f, name))
    # With the relevance sort, the ranked candidates come in the same statement (the API's too, without facets).
    tiers = expanded.rank_tiers() if expanded is not None and tsq_text else None
    with_hits = tiers is not None and hit_terms is not None
    stmt = _first_matches_statement(chosen, bool(tsq_text), with_facets, -1 if tiers is None else len(tiers),
                                    check_synonyms, with_hits)
    params = {**_facet_params(f), **({"tsq": tsq_text} if tsq_text else {})}
    if tiers is not None and expanded is not None:
        params.update({"rank_tsq": expanded.tsquery, "rank_limit": rank_limit,
                       **{f"tier{n}": tier for n, tier in enumerate(tiers)}})
        if with_hits:
            params.update({"hit_offset": max(0, rank_limit - per_page), "hit_terms": list(hit_terms or []),
                           "wanted": thesaurus.wanted_lexemes(expanded)})
    if not with_facets and tiers is None:
        return int(db.session.scalar(stmt, params) or 0), Facets({}, {}), None, None, []
    if with_facets:
        params.update({f"shown_{name}": (shown or {}).get(name, ALL_VALUES) for name in FACETS})
    total = 0
    facets = Facets({name: [] for name in FACETS}, {name: 0 for name in FACETS}) if with_facets else Facets({}, {})
    ranked: Optional[Ranked] = Ranked([], [], 0) if tiers is not None else None
    fingerprint: Optional[str] = None
    hits: list[Any] = []
    rows = _prefer_indexes_rows(stmt, params) if check_synonyms else _core_rows(stmt, params)
    for row in rows:
        facet, n, text_value, values, numbers, ranks = row[:6]
        if facet == "_hit":
            hits.append(row)
        elif facet == "_total":
            total = n
        elif facet == "_synonyms":
            fingerprint = text_value
        elif facet == "_rank":
            if numbers:  # (NULL when no case is a strong match)
                ranked = Ranked(numbers, ranks, n)
        elif values:  # a facet without any value is left out (as a facet whose matches have none)
            facets.values[facet] = list(zip(values, numbers, strict=True))
            facets.totals[facet] = n
    return total, facets, ranked, fingerprint, hits


def _core_rows(stmt: Any, params: dict[str, Any]) -> Any:
    """The rows of a statement of plain columns, read as Core rows on the session's connection.

    Through ``db.session.execute`` a statement that names mapped classes' columns goes through the ORM's
    result loading, which costs more per row than the Core's: the first matches bring a few hundred
    rows (the facet values) and the page's hits twenty wide ones. Same transaction, same events (the
    tenant binding, the statement count), the same bind (``clause``: a read replica where it may go).
    """
    return db.session.connection(bind_arguments={"clause": stmt}).execute(stmt, params)


@lru_cache(maxsize=64)
def _prefixed_sql(stmt: Any, dialect: Any) -> tuple[str, dict[str, Any], Any]:
    """A statement (of the cached shapes) compiled once, behind the index preference, the values of its own
    parameters (its literals, and the defaults of those a caller may leave out) and the named tuple of its rows
    (named as its columns, as SQLAlchemy's rows are).

    The caller's parameters go over the statement's own values: what ``compiled.construct_params`` gave, without
    walking the hundred-odd bind parameters of the statement on every search (80 µs a search)."""
    compiled = stmt.compile(dialect=dialect)
    row = namedtuple("Row", [column.key for column in stmt.selected_columns], rename=True)  # type: ignore[misc]
    required = {compiled.bind_names[bind] for bind in compiled.binds.values() if bind.required}
    own = {name: value for name, value in compiled.params.items() if name not in required}
    return f"{_PREFER_INDEXES}; {compiled}", own, row


def _prefer_indexes_rows(stmt: Any, params: dict[str, Any]) -> list[Any]:
    """``_core_rows`` with ``SET LOCAL enable_seqscan = off`` in the same message (see ``_PREFER_INDEXES``).

    Sent as driver SQL: a statement object cannot begin with a setting. Its parameters need no processing
    on the way (text, arrays of text and integers, integers: psycopg2 adapts them), as SQLAlchemy's own
    execution of the same statement sends them. On the driver's cursor (kernel.driver.text_rows, the execution
    listeners run as for any statement), as named tuples: the values exec_driver_sql gave (no type processing
    there either) without SQLAlchemy's execution context, result metadata (thirty columns) and a Row per row,
    which cost more than the search's other Python around this statement.
    """
    connection = db.session.connection(bind_arguments={"clause": stmt})
    sql, own, row = _prefixed_sql(stmt, connection.dialect)
    make = row._make
    return [make(values) for values in driver.text_rows(connection, sql, {**own, **params})]


def _ranked_candidates(conditions: list[Any], tiers: int, matched: Any = None) -> Any:
    """The strong matches (words in title, summary, themes or tools: the rank vector), at most CANDIDATES,
    ranked, the best ``rank_limit`` of them as (id, rank, published_at, candidates: how many were ranked);
    parameters ``tsq`` (selects), ``rank_tsq`` and ``tier0``.. (rank), ``rank_limit``. Only the rows a
    page needs come back (turning all CANDIDATES rows into Python objects to sort them cost more than
    the ranking did in PostgreSQL).

    Weights by tier (casebook.thesaurus): the strong expansions and the words as typed count again, so
    a case with the user's own word ranks above one found through a strict synonym, and that above one
    found only through a near synonym.

    ``matched`` (a condition known once per statement, e.g. that the count's rows exist): without it, no
    candidate is looked for. A strong candidate is a match (the rank vector is the search vector's title,
    summary, themes and tools, at the same positions), so when nothing matches the candidates' scan of every
    partition's GIN index (the words of an everyday query, "…を窓口で早く受け付けたい", that nobody wrote all
    of, before the search with any of them) is only time: PostgreSQL's one-time filter skips it.
    """
    strong = _matching([SearchRow.entry_id.label("id"), SearchRow.rank_vector, SearchRow.published_at],
                       conditions, SearchRow.rank_vector, _tsquery(""))
    found = select(strong) if matched is None else select(strong).where(matched)
    cand = found.limit(CANDIDATES).subquery()
    rank_expr: Any = func.ts_rank(cand.c.rank_vector, cast(bindparam("rank_tsq", ""), TSQUERY), 1)
    for n in range(tiers):
        rank_expr = rank_expr + func.ts_rank(cand.c.rank_vector, cast(bindparam(f"tier{n}", ""), TSQUERY), 1)
    rank = rank_expr.label("rank")
    return select(cand.c.id, rank, cand.c.published_at, func.count().over().label("candidates")) \
        .order_by(rank.desc(), cand.c.published_at.desc(), cand.c.id.desc()).limit(bindparam("rank_limit"))


def _first_row(facet: str, n: Any = None, value: Any = None, values: Any = None, numbers: Any = None,
               ranks: Any = None) -> list[Any]:
    """The columns of a row of the first statement: (facet, n, value, values, numbers, ranks), NULL where not given.

    '_total': n the capped count; '_synonyms': value their fingerprint; a facet: n how many values it has,
    values and numbers its first values and their counts; '_rank': n how many candidates, numbers their
    ids and ranks their ranks, best first.
    """
    def given(column: Any, type_: Any) -> Any:
        return cast(None, type_) if column is None else column

    return [literal(facet).label("facet"), given(n, BigInteger).label("n"), given(value, Text).label("value"),
            given(values, ARRAY(Text)).label("values"), given(numbers, ARRAY(BigInteger)).label("numbers"),
            given(ranks, ARRAY(REAL)).label("ranks")]


@lru_cache(maxsize=256)
def _first_matches_statement(chosen: tuple[str, ...], with_words: bool, with_facets: bool, tiers: int = -1,
                             check_synonyms: bool = False, with_hits: bool = False) -> Any:
    """The count (and facets, and with ``tiers`` >= 0 the ranked candidates) statement of one shape; values
    are bound at execution (see above). ``check_synonyms``: with a row ('_synonyms', their fingerprint).
    ``with_hits`` (and ``tiers`` >= 0): with a '_hit' row per ranked candidate from place ``hit_offset`` on,
    with the columns of ``_hits_statement`` (parameters ``hit_offset``, ``hit_terms``, ``wanted``)."""
    stmt, ranked = _first_matches_rows(chosen, with_words, with_facets, tiers, with_hits and tiers >= 0)
    if check_synonyms:
        stmt = union_all(stmt, select(*_first_row("_synonyms",
                                                  value=literal_column(f"({_SYNONYMS_FINGERPRINT})", Text))))
    if ranked is None:
        return stmt
    # Every row gets the hits' columns (NULL but in the '_hit' rows), and the '_hit' rows the first ones (NULL
    # but the facet): one result of one shape.
    first = stmt.subquery("first")
    hit = _hits_select(func.array(select(ranked.c.id).order_by(*_best(ranked))
                                  .offset(bindparam("hit_offset", type_=Integer)).scalar_subquery())).subquery("hit")
    return union_all(
        select(*first.c, *(cast(None, column.type).label(column.name) for column in hit.c)),
        select(literal("_hit").label("facet"), *(cast(None, column.type).label(column.name)
                                                 for column in list(first.c)[1:]), *hit.c))


def _shape_filters(chosen: tuple[str, ...]) -> Filters:
    """Filters with a (placeholder) value in each ``chosen`` facet: what builds a statement's conditions for
    that shape (the values are bound at execution, see ``_facet_condition``)."""
    return Filters(**{name: ([0] if name == "fiscal_year" else [""]) for name in chosen})  # type: ignore[arg-type]


def _best(ranked: Any) -> tuple[Any, ...]:
    """The order of the ranked candidates, best first."""
    return ranked.c.rank.desc(), ranked.c.published_at.desc(), ranked.c.id.desc()


def _ranked_row(conditions: list[Any], tiers: int, ranked: Any = None) -> Any:
    """The '_rank' row: the best ``rank_limit`` candidates' ids and ranks, best first, and how many were ranked
    (from ``ranked``, the candidates' CTE when the hits read them too)."""
    if ranked is None:
        ranked = _ranked_candidates(conditions, tiers).subquery("ranked")
    best = _best(ranked)
    return select(*_first_row("_rank", func.max(ranked.c.candidates), None, None,
                              func.array_agg(aggregate_order_by(ranked.c.id, *best)),
                              func.array_agg(aggregate_order_by(ranked.c.rank, *best))))


def _facet_row(m: Any, name: str) -> Any:
    """A facet's row: how many values it has, and its first ``shown_<name>`` values with their counts, the most
    frequent first (ties by value in code-point order, as Python compares strings: COLLATE "C"); fiscal years
    latest first. Counted over the first FACET_CAP rows of ``m``."""
    if name in ("theme", "tool"):
        # unnest in the select list (one ProjectSet over the rows), not as a lateral function scan per row,
        # which set up and filled a tuplestore for every one of the five hundred rows.
        unnested = select(func.unnest(m.c.themes if name == "theme" else m.c.tools).label("value")) \
            .where(m.c.n <= FACET_CAP).subquery()
        grouped = select(unnested.c.value, func.count().label("n")).where(unnested.c.value.is_not(None)) \
            .group_by(unnested.c.value)
    else:
        grouped = select(cast(m.c[name], Text).label("value"), func.count().label("n")) \
            .where(m.c.n <= FACET_CAP, m.c[name].is_not(None)).group_by(m.c[name])
    g = grouped.subquery()
    order = (g.c.value.collate("C").desc(),) if name == "fiscal_year" else (g.c.n.desc(), g.c.value.collate("C"))
    shown = bindparam(f"shown_{name}", type_=Integer)
    values = type_coerce(func.array_agg(aggregate_order_by(g.c.value, *order)), ARRAY(Text))[1:shown]
    counts = type_coerce(func.array_agg(aggregate_order_by(g.c.n, *order)), ARRAY(BigInteger))[1:shown]
    return select(*_first_row(name, func.count(), None, values, counts))


def _first_matches_rows(chosen: tuple[str, ...], with_words: bool, with_facets: bool, tiers: int,
                        with_hits: bool = False) -> tuple[Any, Any]:
    """``_first_matches_statement`` without the synonyms' fingerprint and the hits, and (``with_hits``, for the
    hits to read them too) the ranked candidates' CTE, else None.

    The candidates are looked for only when the count's rows exist (see ``_ranked_candidates``): a search whose
    words are nowhere (every word required) answers from its count's scan alone."""
    f = _shape_filters(chosen)
    tsq = _tsquery("") if with_words else None
    # With words, the search rows' partitions (see _matching); without, the entries and their own indexes
    # (the GIN indexes of themes and tools for a browse by facet).
    source: Any = SearchRow if with_words else Entry

    def conditions_without(name: str = "") -> list[Any]:
        return _row_conditions(f, without=name) if with_words else _entry_conditions(f, None, without=name)

    if not with_facets:
        ids = _matching([source.id if source is Entry else source.entry_id], conditions_without(),
                        source.search_vector, tsq)
        count = select(func.count()).select_from(select(ids).limit(COUNT_CAP + 1).subquery())
        if tiers < 0:
            return count, None
        # The count once (a CTE), for its row and for the candidates' condition.
        total = select(count.subquery().c[0].label("n")).cte("total")
        candidates = _ranked_candidates(conditions_without(), tiers, select(total.c.n).where(total.c.n > 0).exists())
        ranked = candidates.cte("ranked") if with_hits else candidates.subquery("ranked")
        return union_all(select(*_first_row("_total", total.c.n)).select_from(total),
                         _ranked_row(conditions_without(), tiers, ranked)), (ranked if with_hits else None)

    def first(conds: list[Any], name: str, limit: int) -> Any:
        rows = _matching([source.themes, source.tools, source.fiscal_year, source.stage, source.source_tenant_id],
                         conds, source.search_vector, tsq)
        sub = select(rows).limit(limit).subquery()
        return select(sub, Tenant.kind, Tenant.region, func.row_number().over().label("n")) \
            .join(Tenant, Tenant.code == sub.c.source_tenant_id).cte(name)

    m = first(conditions_without(), "m", COUNT_CAP + 1)
    parts: list[Any] = [select(*_first_row("_total", func.count())).select_from(m)]
    for name in FACETS:
        counted = m
        if name in chosen:
            counted = first(conditions_without(name), f"m_{name}", FACET_CAP)
        parts.append(_facet_row(counted, name))
    ranked = None
    if tiers >= 0:
        candidates = _ranked_candidates(conditions_without(), tiers, select(m.c.n).exists())
        ranked = candidates.cte("ranked") if with_hits else candidates.subquery("ranked")
        parts.append(_ranked_row(conditions_without(), tiers, ranked))
    return union_all(*parts), (ranked if with_hits else None)


@lru_cache(maxsize=64)
def _ranked_statement(chosen: tuple[str, ...], tiers: int) -> Any:
    """``_ranked_candidates`` of one shape (which facets have values, how many rank tiers), best first."""
    stmt = _ranked_candidates(_row_conditions(_shape_filters(chosen)), tiers).subquery()
    return select(stmt).order_by(stmt.c.rank.desc(), stmt.c.published_at.desc(), stmt.c.id.desc())


# The planner prices a sequential scan with @@ on every row as cheap, but each row's tsvector is
# TOASTed: for a common word that is far slower than the GIN bitmap. Transaction-local; sent with the
# curators' synonyms (curator_synonyms), which every search with words reads first.
# The two other settings only spare the planner work whose outcome never changes the search's plans (the same
# plans, tests/casebook/test_search.py), on the sixteen partitions of casebook_search_rows that each scan of the
# first statement plans: constraint_exclusion = off, as with the default ('partition') every partition was tested
# against its CHECK and NOT NULL constraints to exclude it, and none ever is (no search condition is on the bucket
# or the entry id; which partitions a statement reads is partition pruning, from the bounds, unchanged);
# max_parallel_workers_per_gather = 0, as the planner built and priced parallel (partial) paths for each partition
# and never chose one (a search reads a few hundred rows under its LIMITs).
_PREFER_INDEXES = ("SET LOCAL enable_seqscan = off; SET LOCAL constraint_exclusion = off; "
                   "SET LOCAL max_parallel_workers_per_gather = 0")
# (Constants only, no value of a request: S608 does not apply.)
_PREFER_INDEXES_AND_SYNONYMS = (f"{_PREFER_INDEXES}; SELECT terms, ({_SYNONYMS_FINGERPRINT}) "  # noqa: S608
                                "FROM casebook_synonyms ORDER BY id")


def search_casebook(f: Filters, *, per_page: int = PER_PAGE, with_facets: bool = True,
                    with_snippets: bool = True, any_word: bool = False, facets_shown: Optional[int] = None,
                    expanded_facet: Optional[str] = None) -> Result:
    """Published entries matching the filters, one page, with facet counts.

    ``facets_shown``: each facet's first values only (the page's FACETS_SHOWN; every value of the
    ``expanded_facet``), the others counted all the same (``Result.facet_totals``); None: every value.

    Relevance: the strong matches (all words in the title, summary, themes or tools, found through
    the small ``rank_vector`` and its GIN index) come first, ranked by ts_rank among at most
    CANDIDATES of them; then the other matches (words in the body), newest first.
    """
    # With words, the curators' synonyms this worker read last (when the first statement can say whether they
    # are still the current ones: it has facets or ranked candidates), else read now; the index preference
    # of the transaction goes with the first statement, and with the synonyms' (not again for the any-word
    # fallback, whose first attempt set it already).
    check = bool(f.q.strip()) and (with_facets or f.sort == "relevance")
    known: Optional[tuple[str, tuple[tuple[str, ...], ...]]] = current_app.extensions.get(KNOWN_SYNONYMS) \
        if check else None
    if not f.q.strip():
        expanded = None
    elif known is not None:
        expanded = thesaurus.expand(f.q, known[1], any_word=any_word)
    else:
        expanded = expand_query(f.q, any_word, prefer_indexes=not any_word)
        # Read just now (with the index preference): the first statement checks them all the same, so that
        # a worker's first search builds and compiles the same statement as the next ones.
        known = current_app.extensions.get(KNOWN_SYNONYMS) if check and not any_word else None
    tsq_text, terms = (expanded.selects(), expanded.terms) if expanded else ("", [])
    if f.q.strip() and not tsq_text:
        return Result([], 0, False, 1, 1, [])
    sort = f.sort if (f.sort != "relevance" or tsq_text) else "newest"
    # The ranked candidates as far as the asked page needs them (it can only come out earlier, never later).
    shown = None if facets_shown is None else \
        {name: ALL_VALUES if name == expanded_facet else facets_shown for name in FACETS}
    matched, facets, ranked, fingerprint, read = _first_matches(
        f, tsq_text, with_facets, expanded if sort == "relevance" else None, min(f.page, MAX_PAGE) * per_page,
        known is not None, shown, terms if with_snippets else None, per_page)
    if known is not None and fingerprint != known[0]:
        # A curator changed the synonyms since this worker read them: read them, and search again with them.
        _read_synonyms()
        return search_casebook(f, per_page=per_page, with_facets=with_facets, with_snippets=with_snippets,
                               any_word=any_word, facets_shown=facets_shown, expanded_facet=expanded_facet)
    total, capped = _capped(matched)
    if total == 0 and not any_word and " & " in tsq_text:
        # Nobody wrote every word of an everyday query ("…を窓口で早く受け付けたい"): show the cases
        # with some of them, best first, rather than nothing.
        return search_casebook(f, per_page=per_page, with_facets=with_facets, with_snippets=with_snippets,
                               any_word=True, facets_shown=facets_shown, expanded_facet=expanded_facet)
    pages = max(1, -(-total // per_page))
    page = min(f.page, pages)
    offset = (page - 1) * per_page
    rank_of: dict[int, float] = {}
    if sort == "relevance":
        ids = _relevance_page(f, expanded, offset, per_page, rank_of, ranked)
    else:
        # Built here only: the relevance sort (most searches) has its statements built once per shape.
        conditions = _entry_conditions(f, _tsquery(tsq_text) if tsq_text else None)
        order: list[Any] = [Entry.published_at.desc(), Entry.id.desc()] if sort == "newest" else \
            [Entry.adoption_count.desc(), Entry.published_at.desc(), Entry.id.desc()]
        ids = list(db.session.scalars(select(Entry.id).where(*conditions).order_by(*order)
                                      .limit(per_page).offset(offset)))
    hits = _load_hits(ids, rank_of, terms if with_snippets else None, expanded if with_snippets else None, read)
    return Result(hits, total, capped, page, pages, terms, facets.values, any_word, facets.totals)


def _relevance_page(f: Filters, expanded: Optional[thesaurus.Expanded], offset: int, per_page: int,
                    rank_of: dict[int, float], ranked: Optional[Ranked] = None) -> list[int]:
    """The page's ids: the ranked strong candidates (``ranked``, else asked for here), then the other matches."""
    tsq_text = expanded.selects() if expanded else ""
    if ranked is None:
        tiers = expanded.rank_tiers() if expanded else []
        chosen = tuple(name for name in FACETS if getattr(f, name))
        params = {**_facet_params(f), "tsq": tsq_text, "rank_tsq": expanded.tsquery if expanded else "",
                  "rank_limit": offset + per_page, **{f"tier{n}": tier for n, tier in enumerate(tiers)}}
        ranked = Ranked([], [], 0)
        for r in db.session.execute(_ranked_statement(chosen, len(tiers)), params):
            ranked.ids.append(r.id)
            ranked.ranks.append(float(r.rank))
            ranked.candidates = int(r.candidates)
    rank_of.update(zip(ranked.ids, ranked.ranks, strict=True))
    ids = ranked.ids[offset:offset + per_page]
    if len(ids) == per_page:
        return ids
    # Here every candidate is in ``ranked.ids`` (there are fewer than offset + per_page of them).
    # The rest of the matches (their words are in the body), after the strong ones.
    rest_offset = max(0, offset - ranked.candidates)
    strong_ids = ranked.ids
    conditions = _row_conditions(f) + ([SearchRow.entry_id.not_in(strong_ids)] if strong_ids else [])
    rest = _matching([SearchRow.entry_id.label("id")], conditions, SearchRow.search_vector, _tsquery(""))
    # In the order the bucket indexes yield them: sorting every match of a common word by date would
    # read all of them; this reads only as far as the page.
    ids += list(db.session.scalars(select(rest.c.id).limit(per_page - len(ids)).offset(rest_offset),
                                   {**_facet_params(f), "tsq": tsq_text}))
    return ids


def _snippet(entry: Any, terms: frozenset[str], hit_weights: str) -> list[tuple[str, bool]]:
    """The summary around its first hit; without one, the first of problem, approach, outcomes that has one.

    From the texts' stored words (``<field>_words``, see ``casebook.text_words``) where the row has them."""
    snip = search.snippet(entry.summary, terms, stored=entry.summary_words) if "B" in hit_weights \
        else search.no_hit_snippet(entry.summary)
    if terms and "C" in hit_weights and not any(hit for _p, hit in snip):
        for name in _BODY_COLUMNS:
            other = search.snippet(getattr(entry, name), terms, stored=getattr(entry, f"{name}_words"))
            if any(hit for _p, hit in other):
                return other
    return snip


# What a hit shows (the page, the API): read as plain columns, not as ORM entities (building 20 Entry and
# Tenant objects with their identity map and every content column was a third of the search's Python).
_HIT_COLUMNS = ("id", "external_id", "source_tenant_id", "title", "summary", "fiscal_year", "stage", "themes",
                "tools", "adoption_count", "published_at")
_BODY_COLUMNS = ("problem", "approach", "outcomes")  # read only when a snippet may need them


@lru_cache(maxsize=1)
def _hits_statement() -> Any:
    """The page's rows by id (parameter ``ids``), with what the snippets and the synonym notes need (see
    ``_hits_select``). Built once: ``ids``, ``hit_terms`` and ``wanted`` are bound at execution."""
    return _hits_select(bindparam("ids", type_=ARRAY(BigInteger)))


def _hits_select(ids: Any) -> Any:
    """The rows of the entries whose id is in the array ``ids``, with what the snippets and the synonym notes need
    (the first matches' statement reads them too, see ``_first_matches_statement``).

    From one pass over the asked-for lexemes of each row's stored vector: which of the
    query's and its synonyms' lexemes it holds (``wanted``), to say which synonym matched; and in which
    weights the query's words (``hit_terms``) occur (B: summary, themes, tools; C: the body): a field
    whose weight holds none of them gets its snippet without being analysed (analysing long texts
    without a hit was most of a search's Python time), and the body columns are read only for a row
    whose words are in its body. Any doubt (a word without positions, or with the 256 a tsvector keeps
    at most) counts as every weight.

    Only the asked-for lexemes (``hit_terms`` and ``wanted``, a handful) are unnested: the vector without
    every other lexeme (``ts_delete`` of what ``ts_delete`` of them leaves), not its hundred-odd lexemes
    each with an array of positions and one of weights, most of them filtered out again (two thirds of
    the statement's execution). The same lexemes with the same positions and weights: the same rows.
    (Each ``ts_delete`` reads the vector from TOAST: reading it once, as a copy kept by a sub-select, was
    slower than reading it twice.)
    """
    entries, tenants = Entry.__table__, Tenant.__table__
    hit_terms = bindparam("hit_terms", type_=ARRAY(Text))
    wanted = bindparam("wanted", type_=ARRAY(Text))
    vector = entries.c.search_vector
    asked = func.ts_delete(vector, func.tsvector_to_array(func.ts_delete(vector, func.array_cat(hit_terms, wanted))))
    words = func.unnest(asked).table_valued("lexeme", "positions", "weights").render_derived(name="w")
    is_term = words.c.lexeme == any_(hit_terms)
    lexemes = select(
        func.array_agg(words.c.lexeme, type_=ARRAY(Text)).filter(words.c.lexeme == any_(wanted))
        .label("present"),
        func.string_agg(func.array_to_string(words.c.weights, ""), "", type_=Text).filter(is_term).label("weights"),
        func.bool_or(~func.coalesce(func.cardinality(words.c.positions), 0).between(1, 255), type_=Boolean)
        .filter(is_term).label("doubt"),
    ).select_from(words).lateral("lexemes")

    def weighted(weight: str) -> Any:
        return lexemes.c.doubt.is_(True) | func.upper(func.coalesce(lexemes.c.weights, "")).contains(weight)

    in_body = weighted("C")
    stored = text_words.stored_words
    # A field's stored words are read only where the query's words are in it (its weight: A the title, B the summary
    # with the themes and tools): a title or summary without them is shown as it is (``_load_hits``, ``_snippet``),
    # and each look-up costs PostgreSQL an index probe and a heap page (about 200 shared buffers for 40 look-ups,
    # a search's SQL p95 above 10 ms at Tokyo scale when every hit's title and summary were looked up).
    return select(
        *(entries.c[name] for name in _HIT_COLUMNS),
        *(case((in_body, entries.c[name])).label(name) for name in _BODY_COLUMNS),
        case((weighted("A"), stored(text_words.TITLE, entries.c.title))).label("title_words"),
        case((weighted("B"), stored(text_words.LINES, entries.c.summary))).label("summary_words"),
        *(case((in_body, stored(text_words.LINES, entries.c[name]))).label(f"{name}_words") for name in _BODY_COLUMNS),
        tenants.c.name_ja, tenants.c.name_en, tenants.c.kind, tenants.c.region,
        lexemes.c.present, lexemes.c.weights, lexemes.c.doubt,
    ).join_from(entries, tenants, tenants.c.code == entries.c.source_tenant_id).join(lexemes, true()) \
        .where(entries.c.id == any_(ids))


def _load_hits(ids: list[int], rank_of: dict[int, float], terms: Optional[list[str]],
               expanded: Optional[thesaurus.Expanded] = None, read: Sequence[Any] = ()) -> list[Hit]:
    """The page's hits in the order of ``ids``: with ``terms`` (a search with words, or [] without) each
    with its snippet, marked title and synonym notes; ``terms`` None (the export) as whole entries.
    ``read``: rows of ``_hits_statement`` read already (with the first matches): only the others are read."""
    if not ids:
        return []
    if terms is None:
        by_id = {entry.id: (entry, tenant) for entry, tenant in db.session.execute(
            select(Entry, Tenant).join(Tenant, Tenant.code == Entry.source_tenant_id).where(Entry.id.in_(ids)))}
        return [Hit(by_id[i][0], by_id[i][1], rank_of.get(i, 0.0), []) for i in ids if i in by_id]
    wanted = thesaurus.wanted_lexemes(expanded) if expanded is not None else []
    # The snippets and titles are kept per worker by (text, words): the words as one frozenset for the page.
    words = frozenset(terms)
    rows = {row.id: row for row in read}
    missing = [entry_id for entry_id in ids if entry_id not in rows]
    if missing:
        rows.update((row.id, row) for row in _core_rows(_hits_statement(), {"ids": missing, "hit_terms": list(terms),
                                                                            "wanted": wanted}))
    hits = []
    for entry_id in ids:
        row = rows.get(entry_id)
        if row is None:
            continue
        tenant = TenantRow(row.source_tenant_id, row.name_ja, row.name_en, row.kind, row.region)
        hit_weights = "ABCD" if row.doubt or not terms else (row.weights or "").upper()
        # Without the query's words in the title (weight A), the title has no mark: shown as it is, not analysed.
        if not terms:
            title = []
        elif "A" in hit_weights:
            title = search.mark_terms(row.title, words, row.title_words)
        else:
            title = [(row.title or "", False)]
        via = thesaurus.synonym_matches(expanded, set(row.present or ())) if wanted and expanded else []
        hits.append(Hit(row, tenant, rank_of.get(entry_id, 0.0), _snippet(row, words, hit_weights), title, via))
    return hits


# Filters of the own-cases list ("waiting for you" links here): a release state, or the cases the curators sent back.
OWN_CASE_FILTERS = ("draft", "proposed", "approved", "changes_requested")


def search_own_cases(tenant_id: str, q: str, page: int, per_page: int = PER_PAGE, state: str = "") -> Result:
    """The municipality's own cases, by relevance when a query is given, else most recently updated."""
    expanded = expand_query(q) if q.strip() else None
    tsq_text, terms = (expanded.selects(), expanded.terms) if expanded else ("", [])
    if q.strip() and not tsq_text:
        return Result([], 0, False, 1, 1, [])
    conditions: list[Any] = [Case.tenant_id == tenant_id]
    if state == "changes_requested":
        conditions.append(Case.id.in_(select(Submission.source_case_id).where(
            Submission.source_tenant_id == tenant_id, Submission.status == "changes_requested")))
    elif state in OWN_CASE_FILTERS:
        conditions.append(Case.release_state == state)
    if tsq_text:
        conditions.append(Case.search_vector.op("@@")(_tsquery(tsq_text)))
    total, capped = _capped_count(select(Case.id).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    stmt = select(Case).where(*conditions)
    if tsq_text:
        stmt = stmt.order_by(func.ts_rank(Case.search_vector, _tsquery(tsq_text), 1).desc(), Case.id.desc())
    else:
        stmt = stmt.order_by(Case.updated_at.desc(), Case.id.desc())
    cases = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    hits = [Hit(c, None, 0.0, search.snippet(c.summary, terms) if terms else [],
                search.mark_terms(c.title, terms) if terms else []) for c in cases]
    return Result(hits, total, capped, page, pages, terms)


@dataclass(frozen=True, slots=True)
class AdoptionRow:
    """An adoption as the case pages show it (they write nothing)."""

    id: int
    adopter_tenant_id: str
    status: str
    outcome: str


# The case pages list an entry's adopters on every visit: plain rows from a statement built once, the
# municipality's names and kind by a subquery rather than a join (a join with tenants cost PostgreSQL 0.05-0.1 ms
# more to plan), ordered fully (adoptions made in one transaction share created_at; the id breaks the tie, so
# the list keeps its order from one visit to the next).
_ADOPTERS = text("""
    SELECT a.id, a.adopter_tenant_id, a.status, a.outcome,
           (SELECT ARRAY[t.name_ja, t.name_en, t.kind, t.region] FROM tenants t WHERE t.code = a.adopter_tenant_id)
    FROM casebook_adoptions a WHERE a.entry_id = :entry_id ORDER BY a.created_at, a.id""")


def adopters_of(entry: Any) -> list[tuple[AdoptionRow, TenantRow]]:
    """The adoptions of an entry with their municipalities, oldest first."""
    rows: list[Any] = list(db.session.execute(_ADOPTERS, {"entry_id": entry.id}))
    return [(AdoptionRow(adoption_id, code, status, outcome), TenantRow(code, *tenant))
            for adoption_id, code, status, outcome, tenant in rows if tenant is not None]


def similar_kind_adopters(adopters: list[tuple[AdoptionRow, TenantRow]], kind: str) -> list[TenantRow]:
    return [t for _a, t in adopters if t.kind == kind]


def adoptions_of_tenant_cases(tenant_id: str) -> list[tuple[Adoption, Entry, Tenant]]:
    """Who adopted the cases this municipality published (for the originating municipality)."""
    return [(a, e, t) for a, e, t in db.session.execute(
        select(Adoption, Entry, Tenant).join(Entry, Entry.id == Adoption.entry_id)
        .join(Tenant, Tenant.code == Adoption.adopter_tenant_id)
        .where(and_(Entry.source_tenant_id == tenant_id))
        # id breaks ties of updated_at (adoptions written in one transaction share it): without it the list, and
        # which 200 it keeps, changed from one visit to the next
        .order_by(Adoption.updated_at.desc(), Adoption.id.desc()).limit(200)).all()]


def forget_recent_searches() -> None:
    """As a worker that has met no search yet: empties what the search keeps per worker by query and by text (the
    query's analysis, the dictionary look-ups, the hits' analysed lines, titles and snippets); the statements'
    shapes and the vocabularies stay. For the benchmark, which times a search new to the worker beside the same
    search repeated (bench/measure.py ``search_server_time``), and for tests that must start from nothing."""
    thesaurus.forget_queries()
    search.forget_texts()
