# Usage: python3 docs/bench/sqlite_ceiling.py SOURCE.db PERSONS [MODES]
# SOURCE.db is a database written by `bench store` (its persons are copied); MODES is a
# comma list of: nobody, nooutbox, noversions, noindex, normal (synchronous=NORMAL), worowid.
# The practical SQLite ceiling for Bluelamp's bulk write: the same three rows per person
# (records, record_versions, outbox), same schema, indexes and pragmas, inserted from C
# (sqlite3.executemany) with the values already serialised. Batches of 1,000 persons.
import sqlite3, sys, time, uuid, os
src = sqlite3.connect(sys.argv[1])
schema = [r[0] for r in src.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'")]
recs = src.execute("SELECT * FROM records WHERE kind='person'").fetchall()
vers = src.execute("SELECT * FROM record_versions WHERE kind='person'").fetchall()
outb = src.execute("SELECT event_id, event_type, occurred_at, payload FROM outbox").fetchall()
path = "/tmp/ceiling.db"
for f in (path, path + "-wal", path + "-shm"):
    if os.path.exists(f): os.remove(f)
db = sqlite3.connect(path, isolation_level=None)
for p in ("journal_mode=WAL", "synchronous=" + ("NORMAL" if "normal" in (sys.argv[3] if len(sys.argv) > 3 else "") else "FULL"), "foreign_keys=ON", "cache_size=-65536", "temp_store=memory"):
    db.execute("PRAGMA " + p)
for s in schema:
    m3 = sys.argv[3] if len(sys.argv) > 3 else ""
    if "noindex" in m3 and s.startswith("CREATE INDEX"): continue
    if "worowid" in m3 and (s.startswith("CREATE TABLE records") or s.startswith("CREATE TABLE record_versions")):
        s = s.rstrip().rstrip(";") + " WITHOUT ROWID"
    db.execute(s)
n = int(sys.argv[2]); batch = 1000
mode = sys.argv[3] if len(sys.argv) > 3 else ""
body_i = [d[0] for d in src.execute("SELECT * FROM records LIMIT 1").description].index("body")
cols_r = len(recs[0]); cols_v = len(vers[0])
t = time.perf_counter()
for start in range(0, n, batch):
    rows_r, rows_v, rows_o = [], [], []
    for i in range(start, start + batch):
        r = list(recs[i % len(recs)]); nid = str(uuid.UUID(int=(0x019a << 112) + i))  # time-ordered, like UUIDv7
        r[0] = nid
        if "nobody" in mode: r[body_i] = ""
        rows_r.append(r)
        v = list(vers[i % len(vers)]); v[0] = nid; rows_v.append(v)
        o = list(outb[i % len(outb)]); o[0] = str(uuid.UUID(int=(0x019b << 112) + i)); rows_o.append(o)
    db.execute("BEGIN IMMEDIATE")
    db.executemany(f"INSERT INTO records VALUES ({','.join('?'*cols_r)})", rows_r)
    if "noversions" not in mode: db.executemany(f"INSERT INTO record_versions VALUES ({','.join('?'*cols_v)})", rows_v)
    if "nooutbox" not in mode: db.executemany("INSERT INTO outbox (event_id, event_type, occurred_at, payload) VALUES (?,?,?,?)", rows_o)
    db.execute("COMMIT")
dt = time.perf_counter() - t
print(f"C ceiling [{mode or 'as built'}]: {n/dt:.0f} persons/s")
