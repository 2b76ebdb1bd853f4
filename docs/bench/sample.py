# Usage: start `bluelamp serve --listen 127.0.0.1:PORT --data-dir DIR` over a loaded database, then
# `BLUELAMP_TOKEN=blp_... BLUELAMP_SESSION=... python3 docs/bench/sample.py PORT`: a personal API
# token (account page) for the API and a session cookie value for the pages, of a user
# cleared to SECRET with every demo compartment (`bluelamp users add ... --clearance SECRET`).
# Prints a Markdown table for docs/PERFORMANCE.md.
# Times GET requests against a running server: p50/p99 over N sequential requests each.
import http.client, json, os, sys, time, random
host, port = "127.0.0.1", int(sys.argv[1])
HEADERS = {"Authorization": "Bearer " + os.environ.get("BLUELAMP_TOKEN", ""),
           "Cookie": "bluelamp_session=" + os.environ.get("BLUELAMP_SESSION", "")}
def get(path):
    c = http.client.HTTPConnection(host, port, timeout=60)
    t = time.perf_counter(); c.request("GET", path, headers=HEADERS); r = c.getresponse(); body = r.read(); dt = time.perf_counter() - t
    assert r.status == 200, (path, r.status)
    return dt, body
def stats(name, paths, n=50):
    ts = sorted(get(paths[i % len(paths)])[0] for i in range(n))
    print(f"| {name} | {ts[len(ts)//2]*1000:.1f} ms | {ts[int(len(ts)*0.99)-1]*1000:.1f} ms |")
cold, _ = get("/api/v1/persons?per_page=25")
print(f"first request after start (cold cache): {cold*1000:.0f} ms")
_, body = get("/api/v1/persons?per_page=100&page=37")
ids = [i["id"] for i in json.loads(body)["items"]]
print("| request (1M persons, 7.4M records) | p50 | p99 |\n|---|---|---|")
stats("list persons, page 1", ["/api/v1/persons?per_page=25"])
stats("list persons, page 40", ["/api/v1/persons?per_page=25&page=40"])
stats("persons starting with a name", [f"/api/v1/persons?prefix={p}" for p in ["smi", "okaf", "kowal", "patel", "jones", "ng"]])
stats("vehicles only", ["/api/v1/objects?subtype=vehicle"])
stats("record", [f"/api/v1/persons/{i}" for i in ids])
stats("record links", [f"/api/v1/records/{i}/links" for i in ids])
stats("record history", [f"/api/v1/records/{i}/history" for i in ids])
stats("record page (HTML)", [f"/persons/{i}" for i in ids])
