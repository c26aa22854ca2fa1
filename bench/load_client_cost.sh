#!/usr/bin/env bash
# What a load generator costs: the same load against the same fake server
# (tests/load_fake_server.py) by `quantbench load` and by a Python asyncio client
# (Debian's python3-aiohttp, written below, measuring as vllm bench serve does): client
# CPU seconds (user + system) per streamed token; ours must be at least 10x cheaper. Then
# the highest event rate (chunks/s) our client follows with its ITL error under 1 ms at
# p99 (against the fake's own record of when it wrote each chunk), raising the number of
# streams until it does not or the fake itself falls behind its schedule.
# usage: QB=build/quantbench bash bench/load_client_cost.sh [OUT.md]
# (default bench/results/load_client_cost.md); exit 1 when ours is not 10x cheaper.
# ROUNDS (5) paired rounds; each also measures the floor (bench/load_floor.c, built with cc).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
QB=${QB:-$top/build/quantbench}
out=${1:-$top/bench/results/load_client_cost.md}
PY=${PYTHON:-python3}
$PY -c 'import aiohttp' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import aiohttp' || { echo "no python3-aiohttp (scripts/setup.sh installs it)" >&2; exit 1; }
w=$(mktemp -d /tmp/qb-loadcost.XXXX)
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null; done; rm -rf "$w"' EXIT

ROUNDS=${ROUNDS:-5} N=${N:-400} C=${C:-100} OUTLEN=${OUTLEN:-64} ITL=${ITL:-10} RATE_ITL=${RATE_ITL:-20}
# the rate part: our client ahead of the machine's other work where we may (root), so what
# is measured is the client, not who else holds the two cores
PRIO=()
[ "$(id -u)" = 0 ] && PRIO=(nice -n -10)

start_fake() { # DIR ARGS...
    local d=$1
    shift
    mkdir -p "$d"
    python3 "$top/tests/load_fake_server.py" --port-file "$d/port" --log "$d/fake.log" "$@" &
    fake=$!
    for _ in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat "$d/port")
}

# cpu CMD...: run it, print its user and its system CPU seconds (it and its children) on fd 3
cpu() {
    python3 - "$@" 3>&3 <<'PY'
import os, resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
os.write(3, b'%.4f %.4f\n' % (r.ru_utime, r.ru_stime))
PY
}

cat >"$w/client.py" <<'PY'
# The same load from Python: C workers (asyncio + aiohttp), each POSTing the next of N
# streamed completions and timing every SSE event as vllm bench serve does
# (time.perf_counter per chunk with choices); prints the streamed tokens.
import asyncio, json, sys, time
import aiohttp
url, n, c, outlen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
async def one(session, i, rec):
    body = {'model': 'fake', 'prompt': [100 + i, 101, 102, 103], 'max_tokens': outlen,
            'stream': True, 'stream_options': {'include_usage': True}, 'ignore_eos': True}
    st = time.perf_counter()
    ts, tokens = [], 0
    async with session.post(url + '/v1/completions', json=body,
                            headers={'X-Request-Id': 'py-0-0-%d' % i}) as r:
        buf = b''
        async for chunk in r.content.iter_any():
            buf += chunk
            while b'\n\n' in buf:
                ev, buf = buf.split(b'\n\n', 1)
                for line in ev.split(b'\n'):
                    if not line.startswith(b'data:'):
                        continue
                    d = line[5:].strip()
                    if d == b'[DONE]':
                        continue
                    o = json.loads(d)
                    if o.get('choices'):
                        ts.append(time.perf_counter())
                    elif o.get('usage'):
                        tokens = o['usage']['completion_tokens']
    rec.append((st, ts, tokens))
async def main():
    rec, q = [], asyncio.Queue()
    for i in range(n):
        q.put_nowait(i)
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=600)) as s:
        async def worker():
            while not q.empty():
                await one(s, q.get_nowait(), rec)
        await asyncio.gather(*(worker() for _ in range(c)))
    print(sum(t for _, _, t in rec))
asyncio.run(main())
PY

# ---- CPU per streamed token, the same load: ROUNDS rounds on one fake server, alternating
# which client goes first; each round also the floor (bench/load_floor.c: epoll and one
# recvmsg per chunk, no HTTP), waking per chunk and at most once a millisecond
cc -O2 -o "$w/load_floor" "$top/bench/load_floor.c"
start_fake "$w/f1" --ttft-ms 20 --itl-ms "$ITL" --stagger-ms 0.1
port=${url##*:}
for r in $(seq 1 "$ROUNDS"); do
    exec 3>>"$w/cpu.qb"
    qb_cpu() {
        cpu "$QB" load --no-db --base-url "$url" --num-prompts "$N" --max-concurrency "$C" \
            --random-input-len 4 --random-output-len "$OUTLEN" -o json
    }
    if [ $((r % 2)) = 1 ]; then
        qb_cpu
        exec 3>>"$w/cpu.py"
        cpu "$PY" "$w/client.py" "$url" "$N" "$C" "$OUTLEN"
    else
        exec 3>>"$w/cpu.py"
        cpu "$PY" "$w/client.py" "$url" "$N" "$C" "$OUTLEN"
        exec 3>>"$w/cpu.qb"
        qb_cpu
    fi
    exec 3>>"$w/cpu.f0"
    cpu "$w/load_floor" "$port" "$N" "$C" "$OUTLEN" 0
    exec 3>>"$w/cpu.f1"
    cpu "$w/load_floor" "$port" "$N" "$C" "$OUTLEN" 1000
    exec 3>&-
    echo "round $r: ours $(tail -1 "$w/cpu.qb") s, python $(tail -1 "$w/cpu.py") s" >&2
done
kill "$fake"
tokens=$((N * OUTLEN))
# per client: its median CPU s; the ratio python / ours (and python / each floor): the
# geometric mean over the rounds' pairs with its 95% interval (t on the logs)
python3 - "$w" "$tokens" >"$w/cpu.md" <<'PY'
import math, statistics as st, sys
d, tokens = sys.argv[1], int(sys.argv[2])
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
rows = {k: [[float(f) for f in v.split()] for v in open(f"{d}/cpu.{k}")] for k in ("qb", "py", "f0", "f1")}
x = {k: [u + s for u, s in v] for k, v in rows.items()}  # user + system
xu = {k: [u for u, s in v] for k, v in rows.items()}     # user only: the client's own code
def paired(a, b):
    lr = [math.log(p / q) for p, q in zip(a, b)]
    m = st.mean(lr)
    if len(lr) < 2:
        return "%.1fx" % math.exp(m)
    h = (T975[len(lr) - 2] if len(lr) - 2 < len(T975) else 1.96) * st.stdev(lr) / len(lr) ** 0.5
    return "%.1fx (95%%: %.1f-%.1f)" % (math.exp(m), math.exp(m - h), math.exp(m + h))
names = {"qb": "quantbench load (C, its own HTTP/1.1 client on epoll)",
         "py": "Python asyncio + aiohttp (vllm bench serve's way)",
         "f0": "floor: epoll + one recvmsg per chunk, a wake-up per chunk",
         "f1": "floor: the same, wake-ups 1 ms apart (kernel receive stamps)"}
print("| client | CPU s (user+sys), median | CPU us per streamed token | Python / it |"
      " user CPU us per token | Python / it, user CPU |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for k in ("qb", "py", "f0", "f1"):
    med, medu = st.median(x[k]), st.median(xu[k])
    ratio = "1" if k == "py" else paired(x["py"], x[k])
    ratiou = "1" if k == "py" else paired(xu["py"], xu[k])
    print("| %s | %.4f | %.2f | %s | %.2f | %s |" %
          (names[k], med, med / tokens * 1e6, ratio, medu / tokens * 1e6, ratiou))
print()
print("User CPU is the client's own code (HTTP, SSE, JSON, the event loop); the system part,")
print("the kernel's TCP receive path per chunk, is the same work for any client (the floors).")
print()
ratio = math.exp(st.mean([math.log(p / q) for p, q in zip(x["py"], x["qb"])]))
print("Ours is %.1fx cheaper per streamed token (geometric mean of %d paired rounds)." %
      (ratio, len(x["qb"])))
open(f"{d}/ratio", "w").write("%.6f\n" % ratio)
PY

# ---- the highest event rate with the ITL error under 1 ms at p99
rates=()
best=0
for streams in 20 40 80 160 320 640; do
    start_fake "$w/r$streams" --ttft-ms 50 --itl-ms "$RATE_ITL" --stagger-ms "$(python3 -c "print($RATE_ITL / 100)")"
    "${PRIO[@]}" "$QB" load --no-db --base-url "$url" --num-prompts "$streams" --max-concurrency "$streams" \
        --random-input-len 4 --random-output-len 100 --save-requests "$w/r$streams.jsonl" \
        -o json >"$w/r$streams.json" 2>/dev/null
    sleep 1 # the fake logs a stream after its last write: on a busy machine after we are gone
    kill "$fake"
    wait "$fake" 2>/dev/null || true
    line=$(python3 - "$w/r$streams.jsonl" "$w/r$streams/fake.log" "$RATE_ITL" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
fake = {json.loads(l)['id']: json.loads(l) for l in open(sys.argv[2])}
itl = float(sys.argv[3])
def pct(x, q):
    x = sorted(x); h = (len(x) - 1) * q / 100; lo = int(h)
    return x[lo] if lo + 1 >= len(x) else x[lo] + (h - lo) * (x[lo + 1] - x[lo])
err, late, n, span = [], [], 0, [1e30, 0]
for r in reqs:
    f = fake['qb-0-0-%d' % r['index']]
    b = [x - r['start_ns'] for x in f['writes_ns']]
    a = [x - r['start_ns'] for x in f['written_ns']]
    c = r['chunk_ns']
    w = [min(max(ci, bi), ai) for ci, bi, ai in zip(c, b, a)]
    err += [abs((c[k] - c[k - 1]) - (w[k] - w[k - 1])) / 1e6 for k in range(1, len(c))]
    late += [(b[k] - b[k - 1]) / 1e6 - itl for k in range(1, len(b))]  # the fake behind its schedule
    n += len(c)
    span = [min(span[0], c[0]), max(span[1], c[-1])]
rate = n / ((span[1] - span[0]) / 1e9)
print('%.0f %.3f %.3f %.3f' % (rate, pct(err, 50), pct(err, 99), pct(late, 99)))
PY
)
    read -r rate e50 e99 lag99 <<<"$line"
    rates+=("| $streams | $rate | $e50 | $e99 | $lag99 |")
    # the fake 2 ms behind its own schedule at p99: it (Python, on the same cores), not our
    # client, is the limit from here on
    # the error is against the fake's own record of its writes, so a level where it fell
    # behind its schedule still measures our client, at the rate the fake achieved
    python3 -c "import sys; sys.exit(0 if $e99 < 1 else 1)" || break
    python3 -c "import sys; sys.exit(0 if $rate > $best else 1)" || continue
    best=$rate
    fake_limit=
    python3 -c "import sys; sys.exit(0 if $lag99 < 2 else 1)" || fake_limit=1
done

mkdir -p "$(dirname "$out")"
{
    echo "# quantbench load: client cost against a Python asyncio client"
    echo
    echo "$(date -u +%FT%TZ), $(nproc) cores, $(uname -m); $(cat /proc/loadavg | cut -d' ' -f1-3) load average at the end."
    echo "The same load on the same fake server (tests/load_fake_server.py): $N streamed completions,"
    echo "$C at once, $OUTLEN tokens each (one chunk per token, $ITL ms apart): $tokens tokens."
    echo
    echo "Python: $($PY -c 'import aiohttp; print("aiohttp", aiohttp.__version__)'). The floor rows"
    echo "(bench/load_floor.c) are not clients: what the kernel's work per chunk alone costs here."
    echo
    cat "$w/cpu.md"
    echo
    echo "## Event rate followed with the ITL error under 1 ms (p99)"
    echo
    echo "Streams of 100 chunks, $RATE_ITL ms apart, started spread over $RATE_ITL ms; error = |our"
    echo "ITL - the fake's ITL| from its record of each write; 'fake late' = how far behind its"
    echo "schedule the fake server wrote (p99 of its gaps minus $RATE_ITL ms). Our client ran at"
    echo "${PRIO[*]:-normal priority}."
    echo
    echo "| streams | chunks/s | ITL error p50 ms | p99 ms | fake late p99 ms |"
    echo "| ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${rates[@]}"
    echo
    if [ "$best" = 0 ]; then
        echo "No level had the ITL error under 1 ms at p99."
    elif [ -n "${fake_limit:-}" ]; then
        echo "Highest: $best chunks/s with the error under 1 ms, at a level where the fake server"
        echo "(Python) was behind its own schedule (the rate is what it achieved, the error against its"
        echo "own record of each write): the client's limit on this machine is at least that."
    else
        echo "Highest: $best chunks/s with the ITL error under 1 ms at p99."
    fi
} >"$out"
cat "$out"
python3 -c "import sys; sys.exit(0 if $(cat "$w/ratio") >= 10 else 1)" || { echo "ours is not 10x cheaper" >&2; exit 1; }
