import random, time
def test_bench(app):
    import psycopg2
    from casebook.generate import generate
    from casebook import search
    url = app.config["DATABASE_OWNER_URL"].replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(url)
    cur = conn.cursor()
    cur.execute("SELECT code FROM tenants WHERE code <> '130001' ORDER BY code")
    codes = [r[0] for r in cur.fetchall()]
    t = time.time()
    counts = generate(cur, codes, 2000, random.Random(1))
    print("generate", counts, time.time() - t)
    t = time.time(); conn.commit(); print("commit", time.time()-t)
    cur.execute("ANALYZE casebook_entries"); conn.commit()
    from casebook.queries import Filters, search_casebook
    from tenants.context import bind_tenant
    from portal.extensions import db
    with app.app_context():
        bind_tenant("132055")
        times = []
        for q in ["窓口", "子ども 申請", "RPA", "電子申請", "AI OCR 議事録", "書かない窓口", "保育園 入所 AI", "待ち時間", "オンライン 相談", "防災"]*3:
            t = time.time()
            r = search_casebook(Filters(q=q), with_facets=False)
            times.append((time.time() - t) * 1000)
            print(q, r.total, round(times[-1], 1))
        times.sort(); print("p95", times[int(len(times) * .95) - 1])
        t=time.time(); r = search_casebook(Filters(q="窓口")); print("with facets", (time.time()-t)*1000)
        t=time.time(); r = search_casebook(Filters(sort="newest")); print("browse facets", (time.time()-t)*1000)
        db.session.remove()
    cur.execute("DELETE FROM casebook_entries WHERE title LIKE '%（%）'"); 
    for c in codes:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (c,))
        cur.execute("DELETE FROM cases WHERE title LIKE '%%（%%）' AND external_id IS NULL")
    conn.commit()
