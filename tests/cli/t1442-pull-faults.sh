# pull against a faulty fake Hub: a dropped connection is resumed with Range from the byte
# it reached; the partial's hash state kept beside it (NAME.part.sha256) spares hashing it
# again, and a state of other bytes cannot place a wrong file; a partial survives kill -9 and the next run's Range equals its size (checked
# in the fake's request log); a server that ignores Range (200) restarts the file cleanly;
# a 206 with a wrong Content-Range is an error; a flipped byte places nothing and deletes
# the partial; a failed write is an error that keeps the partial; SIGINT exits 130 with
# the partial kept.
. "$(dirname "$0")/lib.sh"
trap 'for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done' EXIT

R=$T/root/org/m
mkdir -p "$R"
head -c 3000000 /dev/urandom >"$R/m-Q4_K_M.gguf"
F=m-Q4_K_M.gguf
ranges() { python3 -c '
import json, sys
print(" ".join(str(r["range"]) for r in map(json.loads, open(sys.argv[1])) if r["server"] == "cdn"))' "$1"; }

# ---- one dropped connection after 1 MB: resumed at once, the second request's Range is
# where the first stopped
start_hf_fake hf1 "$T/root" --drop-after 1000000
run "$QB" pull org/m -o d1
expect_rc 0 "one drop"
cmp -s "d1/$F" "$R/$F" || fail "one drop: the file differs"
[ "$(ranges hf1/hf.log)" = "None bytes=1000000-" ] || fail "one drop: ranges $(ranges hf1/hf.log)"
expect_err_has "resuming at byte 1000000"
kill "$HF_PID"

# ---- every answer dropped: exit 1 after the tries, the partial kept; the next run (a good
# server) resumes from its size
start_hf_fake hf2 "$T/root" --drop-after 250000 --drop-times -1
run "$QB" pull org/m -o d2 --no-progress
expect_rc 1 "always dropped"
expect_err_has "(after 4 tries; the partial 'd2/$F.part' resumes next time)"
[ "$(stat -c %s "d2/$F.part")" = 1000000 ] || fail "partial: $(stat -c %s "d2/$F.part")"
[ ! -e "d2/$F" ] || fail "placed after drops"
[ -s "d2/$F.part.sha256" ] || fail "no hash state kept"
cp "d2/$F.part.sha256" state.saved
kill "$HF_PID"
start_hf_fake hf3 "$T/root"
run "$QB" pull org/m -o d2
expect_rc 0 "resume"
expect_err_has "pull '$F': resuming the partial's 1.0 MiB (hashing it from 1.0 MiB)"
[ ! -e "d2/$F.part.sha256" ] || fail "the hash state left after the file was placed"
cmp -s "d2/$F" "$R/$F" || fail "resume: the file differs"
[ "$(ranges hf3/hf.log)" = "bytes=1000000-" ] || fail "resume: ranges $(ranges hf3/hf.log)"

# ---- kill -9 mid-download of a slow server, then a rerun: Range = the partial's size
kill "$HF_PID"
start_hf_fake hf4 "$T/root" --rate 200000
"$QB" pull org/m -o d4 2>d4.err >/dev/null &
PID=$!
for i in $(seq 1 200); do
    s=$(stat -c %s "d4/$F.part" 2>/dev/null || echo 0)
    [ "$s" -ge 500000 ] && break
    sleep 0.1
done
kill -KILL $PID
wait $PID 2>/dev/null
S=$(stat -c %s "d4/$F.part")
[ "$S" -gt 0 ] && [ "$S" -lt 3000000 ] || fail "kill -9: partial of $S bytes"
[ ! -e "d4/$F" ] || fail "kill -9: placed"
kill "$HF_PID"
start_hf_fake hf5 "$T/root"
run "$QB" pull org/m -o d4
expect_rc 0 "after kill -9"
cmp -s "d4/$F" "$R/$F" || fail "after kill -9: the file differs"
[ "$(ranges hf5/hf.log)" = "bytes=$S-" ] || fail "after kill -9 at $S: ranges $(ranges hf5/hf.log)"
expect_err_has "(hashing it from 0.0 MiB)"
kill "$HF_PID"

# ---- a server that ignores Range: the 200 restarts the partial from byte 0, cleanly
mkdir -p d6
head -c 777777 "$R/$F" >"d6/$F.part"
start_hf_fake hf6 "$T/root" --ignore-range
run "$QB" pull org/m -o d6
expect_rc 0 "200 to a Range"
cmp -s "d6/$F" "$R/$F" || fail "200 to a Range: the file differs"
[ "$(ranges hf6/hf.log)" = "bytes=777777-" ] || fail "200: ranges $(ranges hf6/hf.log)"
expect_err_has "the server ignored Range: restarted from byte 0"
# a partial of other bytes (a different file once) fails the hash: deleted, nothing placed
mkdir -p d6b
head -c 777777 /dev/urandom >"d6b/$F.part"
kill "$HF_PID"
start_hf_fake hf6b "$T/root"
run "$QB" pull org/m -o d6b --no-progress
expect_rc 1 "a foreign partial"
expect_err_has "the download is corrupt, its partial deleted"
[ ! -e "d6b/$F" ] && [ ! -e "d6b/$F.part" ] || fail "a foreign partial: left or placed"
run "$QB" pull org/m -o d6b --no-progress
expect_rc 0 "after the foreign partial"
# a hash state of the right bytes beside a partial of other bytes: the final hash differs
mkdir -p d6c
head -c 1200000 /dev/urandom >"d6c/$F.part"
cp state.saved "d6c/$F.part.sha256"
run "$QB" pull org/m -o d6c
expect_rc 1 "a state of other bytes"
expect_err_has "(hashing it from 1.0 MiB)"
expect_err_has "the download is corrupt, its partial deleted"
[ ! -e "d6c/$F" ] && [ ! -e "d6c/$F.part" ] && [ ! -e "d6c/$F.part.sha256" ] || fail "a foreign state: left"
# a malformed state: ignored, the partial hashed from its start
mkdir -p d6d
head -c 1000000 "$R/$F" >"d6d/$F.part"
echo "qb-sha256-state 1 64 0 zz" >"d6d/$F.part.sha256"
run "$QB" pull org/m -o d6d
expect_rc 0 "a malformed state"
expect_err_has "(hashing it from 0.0 MiB)"
cmp -s "d6d/$F" "$R/$F" || fail "a malformed state: the file differs"
kill "$HF_PID"

# ---- a 206 whose Content-Range does not start where asked: an error, nothing written
mkdir -p d7
head -c 1000 "$R/$F" >"d7/$F.part"
start_hf_fake hf7 "$T/root" --bad-content-range
run "$QB" pull org/m -o d7 --no-progress
expect_rc 1 "bad Content-Range"
expect_err "quantbench: error: 'http://localhost:$HF_CDN_PORT/blob/org/m/$F': the server answered bytes 1000- with Content-Range 'bytes 1001-3000000/3000000'"
[ "$(stat -c %s "d7/$F.part")" = 1000 ] && [ ! -e "d7/$F" ] || fail "bad Content-Range: wrote"
kill "$HF_PID"

# ---- one flipped byte: the SHA-256 differs from the LFS oid; nothing placed, partial deleted
start_hf_fake hf8 "$T/root" --flip-byte 1234567
run "$QB" pull org/m -o d8 --no-progress
expect_rc 1 "a flipped byte"
sha=$(sha256sum "$R/$F" | cut -d' ' -f1)
bad=$(python3 -c '
import hashlib, sys
d = bytearray(open(sys.argv[1], "rb").read()); d[1234567] ^= 0xff
print(hashlib.sha256(d).hexdigest())' "$R/$F")
expect_err "quantbench: error: '$F': sha256 $bad, the repository says $sha: the download is corrupt, its partial deleted"
[ ! -e "d8/$F" ] && [ ! -e "d8/$F.part" ] || fail "a flipped byte: placed or kept"

# ---- a write that fails (the file size limit: EFBIG, as a full disk's ENOSPC): an error
# naming the partial, which is kept
run bash -c "trap '' XFSZ; ulimit -f 1000; exec \"$QB\" pull org/m -o d9 --no-progress"
kill "$HF_PID"
expect_rc 1 "write failure"
expect_err_has "quantbench: error: 'd9/$F.part': write failed: File too large"
[ -e "d9/$F.part" ] && [ ! -e "d9/$F" ] || fail "write failure: partial gone or placed"

# ---- SIGINT mid-download: exit 130, the partial kept (job control on: a script's '&'
# would start it with SIGINT ignored, and an ignored SIGINT stays ignored)
set -m
start_hf_fake hf10 "$T/root" --rate 300000
"$QB" pull org/m -o d10 --no-progress 2>d10.err >/dev/null &
PID=$!
for i in $(seq 1 100); do
    [ "$(stat -c %s "d10/$F.part" 2>/dev/null || echo 0)" -ge 100000 ] && break
    sleep 0.1
done
kill -INT $PID
wait $PID
rc=$?
[ $rc = 130 ] || { cat d10.err; fail "SIGINT: exit $rc"; }
grep -qx "quantbench: error: interrupted" d10.err || fail "SIGINT: $(cat d10.err)"
[ -s "d10/$F.part" ] && [ ! -e "d10/$F" ] || fail "SIGINT: partial gone or placed"
echo "ok"
