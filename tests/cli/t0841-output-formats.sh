# -o of every command: each value its --help lists works (jsonl: one JSON object per line;
# csv: RFC 4180, one header, the md table's columns where there is an md table); any other
# value is exit 2 naming it and the accepted ones
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
mo=$(model_moe)

# shape FMT FILE [MD-FILE]: the output is what FMT says; a csv's header is the md table's
shape() {
    python3 - "$@" <<'PY' || fail "$1 output of '$CMD': $(head -c 600 "$2")"
import csv, io, json, sys
fmt, f = sys.argv[1], sys.argv[2]
text = open(f, newline='').read()
assert text.strip(), 'empty'
if fmt == 'jsonl':
    lines = text.splitlines()
    assert all(isinstance(json.loads(l), dict) for l in lines), 'not one object per line'
elif fmt == 'json':
    json.loads(text)
elif fmt == 'csv':
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows), rows[:3]
    if len(sys.argv) > 3:  # the md table's header, the model first
        md = [l for l in open(sys.argv[3]) if l.startswith('| ')][0]
        heads = [h.strip() for h in md.strip().strip('|').split('|')]
        heads = [h.replace('*', '') for h in heads]
        assert rows[0][1:1 + len(heads)] == heads, (rows[0], heads)
elif fmt in ('md', 'sql', 'html'):
    assert text.lstrip()[0] in '|#<C', text[:80]
PY
}
# each FMT of the list for CMD ARGS...; md is kept as out.md for the csv check
each() {
    local fmts=$1 flag=$2; shift 2
    CMD="$*"
    for f in ${fmts//,/ }; do
        run "$QB" "$@" "$flag" "$f"
        expect_rc 0 "$* $flag $f"
        [ "$f" = md ] && cp "$T/out" out.md
        if [ "$f" = csv ] && [ -n "${MDCOLS:-}" ]; then shape csv "$T/out" out.md; else shape "$f" "$T/out"; fi
    done
}
bad() { # CMD WANT-LIST ARGS...: -o xml is a usage error listing the accepted formats
    local cmd=$1 list=$2 flag=$3; shift 3
    run "$QB" "$cmd" "$@" "$flag" xml
    expect_rc 2 "$cmd $flag xml"
    expect_err "quantbench $cmd: invalid output format 'xml' ($list); try 'quantbench $cmd --help'"
}

each md,csv,json,jsonl,sql -o bench -m "$m" -p 8 -n 2 -r 2 -t 1 --label fa
bad bench "md, csv, json, jsonl, sql" -o -m "$m"
each md,csv,json,jsonl -o sweep -m "$m" -c 128 -ub 64 -b 64 -n 4 -t 1
bad sweep "md, csv, json, jsonl" -o -m "$m"
each md,csv,json,jsonl -o batched -m "$m" -c 256 -npp 8 -ntg 2 -npl 1,2 -t 1
bad batched "md, csv, json, jsonl" -o -m "$m"
MDCOLS=1 each md,csv,json,jsonl -o ctxmax -m "$m" --max 256 -t 1
bad ctxmax "md, csv, json, jsonl" -o -m "$m"
MDCOLS=1 each md,csv,json,jsonl -o mem -m "$m" -m "$mo" -c 512 --no-dry-run
bad mem "md, csv, json, jsonl" -o -m "$m"
run "$QB" mem -m "$m,$mo" -c 512 --no-dry-run --budget 1GiB -o jsonl
expect_rc 0 "mem jsonl with a budget"
[ "$(wc -l <"$T/out")" = 3 ] && tail -1 "$T/out" | grep -q '^{"budget":{' || fail "mem jsonl lines: $(cat "$T/out")"
each md,csv,json,jsonl -o quality -m "$m" --corpus gpl-3 -c 128 --chunks 2 -t 1
bad quality "md, csv, json, jsonl" -o -m "$m" --corpus gpl-3
"$QB" synth -o src-F16.gguf --layers 2 --embd 256 --heads 4 --kv-heads 2 --ff 512 --ctx 2048 \
    --type F16 --seed 41 >&2 || fail "synth"
each md,csv,json,jsonl --format quantize -m src-F16.gguf --types Q8_0,Q4_0 -o ladder -t 1
bad quantize "md, csv, json, jsonl" --format -m src-F16.gguf --types Q8_0 -o ladder
run "$QB" bench -m "$m" -p 8 -n 2 -r 2 -t 1 --label fb
expect_rc 0 "second bench run"
each md,csv,json,jsonl -o compare fa fb
bad compare "md, csv, json, jsonl" -o fa fb
each md,csv,json,jsonl,html -o report kind=sweep
bad report "md, csv, json, jsonl, html" -o
MDCOLS= each md,csv,json,jsonl -o report --runs
run "$QB" report --runs -o csv
head -1 "$T/out" | grep -qx 'id,label,command,started,ended,status,rows,host,imported from,reason' ||
    fail "runs csv header: $(head -1 "$T/out")"
run "$QB" report --runs -o html
expect_rc 2 "runs as html"
expect_err "quantbench report: --runs lists the runs as md, csv, json or jsonl, not html; try 'quantbench report --help'"
each md,json,jsonl -o info "$m"
bad info "md, json, jsonl" -o "$m"
# the shared md/csv table escapes outside text: a file name with '|' and ESC stays one cell
odd=$'x|y\e.gguf'
cp "$m" "$odd"
run "$QB" ctxmax -m "$odd" --max 256 -t 1 --no-db -o csv
expect_rc 0 "ctxmax csv, odd name"
sed -n 2p "$T/out" | grep -q '^"x|y\\x1b.gguf",1,256,ok,' || fail "ctxmax csv cell: $(cat -v "$T/out")"
run "$QB" mem -m "$odd" -c 512 --no-dry-run -o csv
expect_rc 0 "mem csv, odd name"
sed -n 2p "$T/out" | grep -q '^"x|y\\x1b.gguf",CPU,' || fail "mem csv cell: $(cat -v "$T/out")"
run "$QB" ctxmax -m "$m,$odd" --max 256 -t 1 --no-db
expect_rc 0 "ctxmax md, odd name"
expect_out_has '## ctxmax x|y\x1b.gguf'
grep -q $'\e' "$T/out" && fail "ctxmax md: a raw ESC"
# what each --help lists is what is taken
for c in sweep batched ctxmax mem; do
    "$QB" $c --help | grep -qF -- "-o, --output FMT            md, csv, json, jsonl [md]" || fail "$c --help"
done
"$QB" compare --help | grep -qF -- "md (default), csv, json or jsonl" || fail "compare --help"
"$QB" info --help | grep -qF -- "md (default, a readable table), json, or jsonl" || fail "info --help"
exit 0
