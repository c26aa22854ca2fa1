#!/usr/bin/env bash
# The dashboard's event stream under load (acceptance 3 of issue 17): `quantbench serve`
# on loopback with N concurrent Server-Sent Events clients (default 1000, one python
# asyncio process over raw sockets) while a small suite runs in another process and writes
# its events. Every client must receive every event of the run, in order, once (checked
# against the database at the end: exit 1 when one did not); prints (markdown) the delivery
# latency (receipt time - the event's stored time) p50 / p99 / max over every delivery
# (goal: p99 < 100 ms) and the server's peak RSS (VmHWM of the serve process).
#
#   bench/serve_load.sh [--clients N] [--save FILE]
# --save FILE: also write the summary there (e.g. bench/results/cpu-serve-load.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
usage="[--clients N] [--save FILE]"
clients=1000 save=''
bench_flags "$usage" "--clients=clients --save=save" "$@"
[[ $clients =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 $usage" >&2; exit 2; }

model=$out/load.gguf
"$QB" synth -o "$model" --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --seed 11 >/dev/null 2>&1
suite() { # NAME THREADS
    cat <<JSON
{"name": "$1", "models": ["$model"], "settings": {"t": $2, "ub": 64},
 "tests": [{"test": "bench", "p": 256, "n": 64, "r": 10}, {"test": "prompts", "max_tokens": 64},
           {"test": "bench", "p": 64, "n": 16, "r": 3, "d": [0, 256]}]}
JSON
}
suite warm 1 >"$out/warm.json"
suite load 2 >"$out/load.json"
export QB_DB=$out/load.db
# a first run: the database exists, with history the clients must not get (after=)
"$QB" run "$out/warm.json" --no-progress >/dev/null 2>"$out/warm.err" ||
    { tail "$out/warm.err" >&2; exit 1; }
"$QB" serve --port 0 >"$out/url" 2>"$out/serve.err" &
spid=$!
trap 'kill $spid 2>/dev/null || true; rm -rf "$out"' EXIT

summary=$out/summary.md
python3 - "$top/tests/cli" "$QB" "$out" "$clients" "$spid" >"$summary" <<'PY'
import asyncio, json, os, resource, sqlite3, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from serve_lib import wait_url, addr
qb, out, n, spid = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
url = wait_url(out + "/url", None)
host, port = addr(url)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 200:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 200), hard))
db = sqlite3.connect(out + "/load.db")
after = db.execute("select max(id) from events").fetchone()[0]

class Client(asyncio.Protocol):
    """one stream: data_received only keeps (receipt time, bytes); parsing waits for the
    end, so a burst of 1000 clients' frames costs the event loop little"""

    def __init__(self):
        self.parts, self.ids, self.lat, self.error = [], [], [], None
        self.ready, self.done, self.tail = asyncio.Event(), asyncio.Event(), b""

    def connection_made(self, tr):
        tr.write(f"GET /api/stream?after={after} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())

    def data_received(self, data):
        self.parts.append((time.time(), data))
        if not self.ready.is_set() and b"retry: 1000" in b"".join(d for _, d in self.parts):
            self.ready.set()
        self.tail = (self.tail + data)[-400:]
        if b'"kind":"run_finished"' in self.tail:
            self.done.set()

    def connection_lost(self, exc):
        self.error = self.error or "closed: %r" % exc
        self.ready.set()
        self.done.set()

    def parse(self):
        """every frame with the time its last byte came"""
        raw = b"".join(d for _, d in self.parts)
        head, _, body = raw.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            self.error = "status " + head[:30].decode(errors="replace")
            return
        # the body's byte offset -> receipt time of the part holding it
        ends, at = [], -len(head) - 4
        for t, d in self.parts:
            at += len(d)
            ends.append((at, t))
        text, k, i = b"", 0, 0
        chunks = []
        while i < len(body):  # de-chunk, keeping each byte's offset in the body
            j = body.find(b"\r\n", i)
            if j < 0:
                break
            size = int(body[i:j].split(b";")[0], 16)
            chunks.append((j + 2, body[j + 2:j + 2 + size]))
            i = j + 2 + size + 2
            if size == 0:
                break
        for off, c in chunks:
            start = 0
            while True:
                e = c.find(b"\n\n", start)
                if e < 0:
                    text += c[start:]
                    break
                block = text + c[start:e]
                text, start = b"", e + 2
                done_at = off + e + 1
                while k < len(ends) - 1 and ends[k][0] <= done_at:
                    k += 1
                for ln in block.split(b"\n"):
                    if ln.startswith(b"data: "):
                        ev = json.loads(ln[6:])
                        self.ids.append(ev["id"])
                        self.lat.append(ends[k][1] - ev["time"])

async def main():
    loop = asyncio.get_running_loop()
    cs = [Client() for _ in range(n)]
    for c in cs:
        await loop.create_connection(lambda c=c: c, host, port)
    await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in cs)), 120)
    t0 = time.time()
    run = await asyncio.create_subprocess_exec(qb, "run", out + "/load.json", "--no-progress",
                                               stdout=subprocess.DEVNULL,
                                               stderr=open(out + "/load.err", "w"))
    rc = await run.wait()
    run_s = time.time() - t0
    try:
        await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in cs)), 60)
    except asyncio.TimeoutError:
        pass
    for c in cs:
        c.parse()
    return cs, rc, run_s

cs, rc, run_s = asyncio.run(main())
want = [r[0] for r in db.execute("select id from events where id > ? order by id", (after,))]
ok = sum(1 for c in cs if c.ids == want)
lat = sorted(x for c in cs for x in c.lat)
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
hwm = rss = "?"
for ln in open(f"/proc/{spid}/status"):
    if ln.startswith("VmHWM:"):
        hwm = ln.split()[1]
    if ln.startswith("VmRSS:"):
        rss = ln.split()[1]
errors = [c.error for c in cs if c.error]
print(f"- {n} SSE clients on loopback (one python asyncio process), `GET /api/stream?after={after}`")
print(f"- the suite (another process): rc {rc}, {run_s:.1f} s, {len(want)} events")
print(f"- clients that received every event, in order, once: **{ok} / {n}**")
print(f"- deliveries: {len(lat)}; latency (receipt - stored time) p50 **{q(0.50):.1f} ms**, "
      f"p99 **{q(0.99):.1f} ms**, max {q(1.0) if lat else float('nan'):.1f} ms; goal p99 < 100 ms: "
      f"{'met' if lat and q(0.99) < 100 else 'not met'}")
print(f"- server memory: VmHWM {int(hwm) / 1024:.1f} MiB, VmRSS {int(rss) / 1024:.1f} MiB at the end")
if errors:
    print(f"- client errors: {len(errors)} (first: {errors[0]})")
sys.exit(0 if ok == n and rc == 0 else 1)
PY
rc=$?
{
    echo "# bench/serve_load.sh --clients $clients ($(date -u +%F), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
    echo
    echo "# The dashboard's event stream under load"
    echo
    cat "$summary"
} | tee ${save:+"$save"}
exit $rc
