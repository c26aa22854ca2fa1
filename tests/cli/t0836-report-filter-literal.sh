# filters match literally: build=% matched every row (the commit prefix went into LIKE
# unescaped) and build=ab_ any 'ab' + one character; now % and _ are themselves in every
# filter (build, model, quant, label and the settings), for report and compare alike
. "$(dirname "$0")/lib.sh"
python3 - <<'PY'
import json
def row(commit, model, t):
    return dict(build_commit=commit, build_number=7, model_filename=model, model_type='llama 1B ' + model[:-5],
                model_size=1000, n_prompt=512, n_gen=0, n_depth=0, n_threads=t, cpu_mask='0x%',
                avg_ts=100.0 + t, stddev_ts=1, samples_ts=[100.0 + t] * 5)
files = {'lit.jsonl': [row('ab_c%123', 'm%_x.gguf', 1), row('ab_c%123', 'm%_x.gguf', 2)],
         'other.jsonl': [row('abxcz123', 'mzzx.gguf', 1), row('abxcz123', 'mzzx.gguf', 2)]}
for name, rows in files.items():
    with open(name, 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in rows)
PY
run "$QB" import lit.jsonl --label 'l%_1'
expect_rc 0 "import lit"
run "$QB" import other.jsonl --label 'lx11'
expect_rc 0 "import other"
n_of() { # filter...: how many rows report gives
    run "$QB" report "$@" -o json
    expect_rc 0 "report $*"
    python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" "$T/out"
}
want() { # count filter...
    local n=$1
    shift
    [ "$(n_of "$@")" = "$n" ] || fail "report $*: $(n_of "$@") rows, want $n"
}
want 4
want 0 build=%
want 0 build=_
want 2 build=ab_
want 2 build=AB_C%
want 2 build=abx
want 0 build=ab%
want 2 build=7,model=%
want 0 model=%%
want 2 model=m%_
want 2 quant=%_X
want 0 quant=_%
want 2 label=l%_1
want 0 label=l%
want 0 label=%
want 2 label=lx11
want 4 cpu_mask=0x%
want 0 cpu_mask=0x_
want 1 build=ab_,t=2
run "$QB" compare build=% build=abx
expect_rc 3 "compare build=%"
expect_err "quantbench: error: A ('build=%') matches no stored rows"
run "$QB" compare build=ab_ build=abx
expect_rc 0 "compare literal prefixes"
expect_out_has "2 matched"
echo ok
