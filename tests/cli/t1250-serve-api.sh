# serve: the dashboard's server over a database made by a small run: the page and the API
# over HTTP with their headers (CSP, nosniff, no-store, JSON), HEAD, the event stream
# (retry first, every event of the run in order, a reconnection with Last-Event-ID or
# after= gets exactly the rest, pings when idle), a run in another process whose events
# arrive live, SIGTERM ends it with 0; its errors (missing or foreign database, bad flags,
# a port in use) with their exit codes; run --serve serves the run while it works.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
a=$(model_dense)
cat >s1.json <<JSON
{"name": "t1200", "models": ["$a"], "settings": {"t": 1, "ub": 64},
 "tests": [{"test": "bench", "p": 32, "n": 8, "r": 2}, {"test": "prompts", "max_tokens": 8}]}
JSON
# a longer one (another thread count: other cells), for the live checks
cat >s2.json <<JSON
{"name": "t1200-live", "models": ["$a"], "settings": {"t": 2, "ub": 64},
 "tests": [{"test": "bench", "p": 256, "n": 64, "r": 20}, {"test": "prompts", "max_tokens": 32}]}
JSON
sed 's/"t": 2/"t": 3/; s/t1200-live/t1200-run-serve/' s2.json >s3.json
export QB_DB=$T/q.db
run "$QB" run s1.json --no-progress
expect_rc 0 "the first run"

# ---- errors
run "$QB" serve --db "$T/nothere.db" --port 0
expect_rc 3 "a missing database"
[ "$(wc -l <"$T/err")" = 1 ] || fail "one line: $(cat "$T/err")"
expect_err_has "nothere.db"
echo 'not a database' >junk.db
run "$QB" serve --db junk.db --port 0
expect_rc 3 "not a database"
[ "$(wc -l <"$T/err")" = 1 ] || fail "one line: $(cat "$T/err")"
run "$QB" serve --port 70000
expect_rc 2 "a bad port"
run "$QB" serve --bogus
expect_rc 2 "an unknown flag"
run "$QB" serve --host 'no such host.invalid' --port 0
expect_rc 2 "a host that is not an address"
run "$QB" serve --help
expect_rc 0 "--help"
expect_out_has "--port N"
expect_out_has "Exit: 0 stopped by SIGINT/SIGTERM"
run "$QB" --help
expect_out_has "  serve "
run "$QB" run s1.json --no-db --serve
expect_rc 2 "--serve without a database"
run "$QB" run s1.json --port 0
expect_rc 2 "--port without --serve"
expect_err_has "'--port' is for --serve"

# ---- serving
QB_DASH_PING_S=0.5 "$QB" serve --port 0 >url 2>serve.err &
spid=$!
python3 - "$HERE" "$QB" "$T" $spid <<'PY' || { kill $spid; cat serve.err >&2; fail "serve"; }
import json, os, re, sqlite3, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from serve_lib import *
qb, T, spid = sys.argv[2], sys.argv[3], int(sys.argv[4])
url = wait_url(T + "/url", None)
assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url), url
err = open(T + "/serve.err").read()
assert f"quantbench: serving {url}\n" in err, err

def events_of(run):
    c = sqlite3.connect(T + "/q.db")
    return [r[0] for r in c.execute("select id from events where run_id = ? order by id", (run,))]

# the page: html with its own CSP as header and in its <meta>
st, h, body = request(url, "/")
assert st == 200 and h["content-type"].startswith("text/html"), (st, h)
csp = h["content-security-policy"]
assert "script-src 'sha256-" in csp and "default-src 'none'" in csp, csp
assert csp.replace("'", "&#39;") in body.decode() or csp in body.decode(), "meta CSP"
assert h["x-content-type-options"] == "nosniff"
st, h, body = request(url, "/", method="HEAD")
assert st == 200 and body == b"", (st, body[:50])

# the API: JSON, the API's CSP, no caching
st, h, body = request(url, "/api/info")
assert st == 200, st
assert h["content-type"] == "application/json; charset=utf-8", h
assert h["content-security-policy"].startswith("default-src 'none'"), h
assert h["x-content-type-options"] == "nosniff" and h["cache-control"] == "no-store", h
info = json.loads(body)
assert "version" in info and "now" in info, info
runs = get_json(url, "/api/runs")
assert [r["id"] for r in runs] == [1] and runs[0]["suite"] == "t1200", runs
one = get_json(url, "/api/run?id=1")
assert one["run"]["id"] == 1 and len(one["cells"]) == 3, one.keys()
assert len(get_json(url, "/api/rows?run=1")) > 0
ev = get_json(url, "/api/events?run=1")
ids = [e["id"] for e in ev]
assert ids == events_of(1) and len(ids) > 10, ids
for path, code in (("/api/run?id=99", 404), ("/api/run?id=x", 400), ("/api/nothing", 404),
                   ("/nothing", 404), ("/api/stream?run=99", 404), ("/api/stream?run=x", 400),
                   ("/api/stream?after=-1", 400)):
    st, h, body = request(url, path)
    assert st == code, (path, st, body)
    assert "content-security-policy" in h and h["x-content-type-options"] == "nosniff", path
st, h, _ = request(url, "/api/stream?run=1", headers={"Last-Event-ID": "abc"})
assert st == 400, st

# the stream: retry first, then every event of run 1 in order
s = Stream(url, "?run=1")
got = [s.next() for _ in ids]
assert s.status == 200 and s.headers["content-type"].startswith("text/event-stream"), s.headers
assert s.headers["cache-control"] == "no-store"
assert s.text == "" or s.text.startswith(":"), "nothing more than the run's events"
assert s.retry == 1000 and s.text is not None
assert [g["id"] for g in got] == ids
assert [g["data"]["kind"] for g in got] == [e["kind"] for e in ev]
assert got[0]["data"] == ev[0], (got[0]["data"], ev[0])
# idle: pings (QB_DASH_PING_S=0.5)
try:
    s.next(within=3)
    raise AssertionError("an event no one wrote")
except (TimeoutError, OSError):
    pass
assert s.comments and all(c == ": ping" for c in s.comments), s.comments
s.close()
# a reconnection gets exactly the rest: by Last-Event-ID, by after=, by both (the header wins)
k = ids[4]
for q, last in (("?run=1", k), (f"?run=1&after={k}", None), ("?run=1&after=1", k)):
    s = Stream(url, q, last_id=last)
    rest = [s.next()["id"] for _ in ids[5:]]
    assert rest == ids[5:], (q, rest)
    try:
        s.next(within=0.3)
        raise AssertionError("more than the rest")
    except (TimeoutError, OSError):
        pass
    s.close()
# the last id: nothing to replay
s = Stream(url, "?run=1", last_id=ids[-1])
try:
    s.next(within=1.5)
    raise AssertionError("replayed past the last id")
except (TimeoutError, OSError):
    pass
assert s.retry == 1000
s.close()

# a port in use: exit 1 with one line
port = url.rsplit(":", 1)[1].strip("/")
p = subprocess.run([qb, "serve", "--port", port], capture_output=True, text=True, timeout=30)
assert p.returncode == 1 and p.stderr.count("\n") == 1 and "port " + port in p.stderr, p

# a run in another process: its events arrive live, every one, in order, no more
every = Stream(url, "", last_id=ev[-1]["id"])
r1 = Stream(url, "?run=1", last_id=ids[-1])
run = subprocess.Popen([qb, "run", T + "/s2.json", "--no-progress"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
frames = []
while True:
    f = every.next()
    frames.append(f)
    if f["data"]["kind"] == "run_finished":
        break
first_at = frames[0]["t"]
run.wait(timeout=300)
ended = time.time()
assert run.returncode == 0, run.stderr.read()
want = events_of(2)
assert [f["id"] for f in frames] == want, ([f["id"] for f in frames], want)
assert all(f["data"]["run_id"] == 2 for f in frames)
assert frames[0]["data"]["kind"] == "run_started"
assert first_at < ended - 0.5, "the first event came only at the end of the run"
kinds = {f["data"]["kind"] for f in frames}
assert {"cell_started", "cell_finished", "tokens", "answer"} <= kinds, kinds
# delivered within a second of being stored
lat = [f["t"] - f["data"]["time"] for f in frames]
assert max(lat) < 1.0, max(lat)
# the stream of run 1 saw none of run 2's
try:
    r1.next(within=0.3)
    raise AssertionError("run 1's stream got another run's event")
except (TimeoutError, OSError):
    pass
every.close()
r1.close()
PY
kill -TERM $spid
wait $spid
rc=$?
[ $rc = 0 ] || { cat serve.err >&2; fail "SIGTERM: exit $rc"; }
grep -qx 'quantbench: serve: stopped by SIGTERM' serve.err || { cat serve.err >&2; fail "stop line"; }

# ---- a host that is not loopback: served, with a warning
"$QB" serve --host 0.0.0.0 --port 0 >url0 2>serve0.err &
spid=$!
for _ in $(seq 100); do [ -s url0 ] && break; sleep 0.1; done
kill -TERM $spid
wait $spid || fail "--host 0.0.0.0: exit $?"
grep -qE '^http://0\.0\.0\.0:[0-9]+/$' url0 || fail "url: $(cat url0)"
grep -qx 'quantbench: warning: --host 0.0.0.0 is not loopback: anyone who can reach it reads the results' serve0.err ||
    { cat serve0.err >&2; fail "no warning"; }

# ---- run --serve: the server is up while the run works, and gone after
python3 - "$HERE" "$QB" "$T" <<'PY' || fail "run --serve"
import re, sqlite3, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from serve_lib import *
qb, T = sys.argv[2], sys.argv[3]
run = subprocess.Popen([qb, "run", T + "/s3.json", "--no-progress", "--serve", "--port", "0"],
                       stdout=subprocess.PIPE, stderr=open(T + "/run.err", "w"), text=True)
url = None
end = time.time() + 60
while not url and time.time() < end:
    m = re.search(r"quantbench: serving (http://127\.0\.0\.1:\d+/)\n", open(T + "/run.err").read())
    url = m and m.group(1)
    assert url or run.poll() is None, open(T + "/run.err").read()
    time.sleep(0.01)
assert url, "no URL"
runs = get_json(url, "/api/runs")
assert runs[0]["id"] == 3 and runs[0]["ended"] is None, runs[0]
s = Stream(url, "?run=3&after=0")
frames = []
while True:
    frames.append(s.next())
    if frames[-1]["data"]["kind"] == "run_finished":
        break
out, _ = run.communicate(timeout=300)
assert run.returncode == 0, open(T + "/run.err").read()
c = sqlite3.connect(T + "/q.db")
want = [r[0] for r in c.execute("select id from events where run_id = 3 order by id")]
assert [f["id"] for f in frames] == want
assert "| model " in out, out
try:
    request(url, "/api/info", timeout=2)
    raise AssertionError("still serving after the run")
except OSError:
    pass
PY
exit 0
