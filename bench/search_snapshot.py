"""`python -m bench.search_snapshot save FILE` / `compare FILE`: the casebook search's output, kept and compared.

For work on the search's speed, which must not change what it shows: saves the search page's HTML (as a
member in Japanese and in English, and as a curator) and the search API's JSON for a fixed set of queries
(words, several facet values chosen, a facet expanded, pages, sorts, no result, the any-word fallback, markup
in the query) against the Tokyo bench database, then compares a later run with it byte for byte (after
taking out the CSRF tokens, the forms' one-time keys and the session's seconds left, which change with
every request). Run `save` on the old code and `compare` on the new.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.__main__ import VAR
from bench.domain_pages import SEARCH_TERMS
from bench.setup import BenchDatabase, schema_fingerprint, start_postgres

# What changes from one request to the next whatever the search does: the CSRF token, a form's one-time key,
# the seconds left in the session.
_CSRF = re.compile(r'(name="(?:csrf_token|_once)"[^>]*value="|<meta name="csrf-token" content="'
                   r'|data-session-expires-in=")[^"]*"')


def _facet_queries() -> list[dict[str, Any]]:
    """Queries with facet values chosen (values that exist in the bench's generated casebook)."""
    return [
        {"q": "窓口", "theme": ["窓口改革"]},
        {"q": "窓口", "theme": ["窓口改革", "生成AI"], "stage": ["implemented"]},
        {"q": "電子申請", "tool": ["ＬＩＮＥ公式アカウント"], "fiscal_year": ["2023"]},
        {"q": "AI", "kind": ["special_ward"], "more": "theme"},
        {"q": "AI", "region": ["tama"], "kind": ["city"], "more": "tool"},
        {"q": "", "theme": ["ドローン"]},
        {"q": "", "stage": ["pilot"], "fiscal_year": ["2022", "2024"]},
        {"q": "", "more": "theme"},
        {"q": "窓口", "kind": ["village", "town"], "region": ["islands"], "more": "region"},
        {"q": "ChatGPT", "tool": ["ChatGPT", "LLM"], "theme": ["生成AI"], "sort": "newest"},
        {"q": "子育て 相談", "region": ["ku_area"], "page": "2"},
        {"q": "RPA", "sort": "newest", "page": "3"},
        {"q": "RPA", "sort": "adopted"},
        {"q": "", "sort": "adopted", "page": "4"},
        {"q": "住民票", "page": "2"},
        {"q": "データ", "page": "25"},
        {"q": "オンライン", "page": "9"},
        {"q": "ソダイゴミ"},
        {"q": "生成AI 議事録"},
        {"q": "ガバクラ"},
        {"q": "<b>窓口</b> & 'x'"},
        {"q": "窓口で早く受け付けたい 書かない窓口 キャッシュレス 手続 やまなし"},
        {"q": "zzzyyyqqq"},
        {"q": "電子申請", "stage": ["bogus"], "sort": "bad", "page": "x"},
        {"q": "AI-OCR", "theme": ["業務自動化"], "tool": ["AI-OCR", "ＲＰＡ"], "more": "kind"},
    ]


def _paths(endpoint: str, queries: list[dict[str, Any]]) -> list[str]:
    return [f"{endpoint}?{urlencode({k: v for k, v in q.items() if v != ''}, doseq=True)}" for q in queries]


def _queries() -> list[dict[str, Any]]:
    return [{"q": term} for term in SEARCH_TERMS] + _facet_queries()


def _login(app: Any, db: BenchDatabase, email_like: str, lang: str = "ja") -> tuple[Any, str]:
    """A test client logged in as the first person whose email is like ``email_like``, and an API token."""
    import psycopg2

    from bench.measure import logged_in_client
    from portal.backup import libpq

    with psycopg2.connect(libpq(db.superuser_url)) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM api_tokens WHERE name = 'search-snapshot'")
    client, _tenant, token = logged_in_client(app, db, email_like, token_name="search-snapshot", lang=lang)
    assert token is not None
    return client, token


def take(db: BenchDatabase) -> dict[str, str]:
    """Every page and API answer of the set, by a key naming the viewer and the path."""
    from bench.pages import _app

    app = _app(db, "search-snapshot")
    out: dict[str, str] = {}
    queries = _queries()
    for viewer, email_like, lang in (("member-ja", "bench-member@%", "ja"), ("member-en", "bench-member@%", "en"),
                                     ("curator-ja", "bench-curator@%", "ja")):
        client, token = _login(app, db, email_like, lang)
        paths = _paths("/casebook", queries)
        if viewer == "member-ja":
            paths += _paths("/api/v1/casebook/search", [*queries, {"q": "窓口", "limit": "50", "page": "2"},
                                                        {"q": "子育て", "limit": "100"}])
        for path in paths:
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            response = client.get(path, headers=headers)
            body = response.get_data(as_text=True)
            out[f"{viewer} {path}"] = f"{response.status_code}\n" + _CSRF.sub(r'\1-"', body)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_snapshot")
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("file")
    args = parser.parse_args(argv)
    server = start_postgres(VAR / "pgdata")
    db = BenchDatabase.prepare(server, f"yokoten_t62_2000_{schema_fingerprint()}", 62, 2000)
    taken = take(db)
    path = Path(args.file)
    if args.action == "save":
        path.write_text(json.dumps(taken, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"saved {len(taken)} answers to {path}")
        return 0
    saved: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    differ = [key for key in saved if taken.get(key) != saved[key]]
    for key in differ[:5]:
        print(f"DIFFERS: {key}")
        diff = difflib.unified_diff(saved[key].splitlines(True), taken.get(key, "").splitlines(True), n=1)
        sys.stdout.writelines(list(diff)[:40])
    print(f"{len(saved) - len(differ)} of {len(saved)} answers identical"
          + (f"; {len(set(taken) - set(saved))} not in the saved set" if set(taken) - set(saved) else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
