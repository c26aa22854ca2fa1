# a FIFO, a directory, a device or a socket given as a model, an importance matrix, a text
# or a file to import is refused before it is read (the starting commit blocked forever in
# open() on a FIFO): exit 3, one line naming the file
. "$(dirname "$0")/lib.sh"
m=$(model_dense)
mkfifo fifo.gguf
mkdir dir.gguf
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('sock.gguf')"
chk() { # file command args... (the file is named in the message)
    local f=$1; shift
    run timeout 20 "$QB" "$@"
    expect_rc 3 "$*"
    expect_err "quantbench: error: '$f': not a regular file"
    [ ! -s "$T/out" ] || fail "output written for: $*"
}
for f in fifo.gguf dir.gguf sock.gguf /dev/null; do
    chk "$f" info "$f"
    chk "$f" bench -m "$f" -p 8 -n 0 -r 1
done
chk fifo.gguf bench -m "$m,fifo.gguf" -p 8 -n 0 -r 1
chk fifo.gguf sweep -m fifo.gguf -c 256 -ub 64
chk fifo.gguf batched -m fifo.gguf -npp 8 -ntg 2
chk fifo.gguf mem -m fifo.gguf
chk fifo.gguf ctxmax -m fifo.gguf
chk fifo.gguf quality -m fifo.gguf -f fifo.gguf
chk fifo.gguf quality -m "$m" -f fifo.gguf
chk /dev/zero quality -m "$m" -f /dev/zero
chk fifo.gguf quality -m "$m" --base fifo.gguf
chk fifo.gguf quantize -m "$m" --types Q8_0 -o q --imatrix fifo.gguf
chk fifo.gguf quantize -m "$m" --types Q8_0 -o q --imatrix-from fifo.gguf
chk fifo.gguf quantize -m "$m" --types Q8_0 -o q --quality -f fifo.gguf
chk fifo.gguf import fifo.gguf
chk /dev/zero import /dev/zero
[ ! -e quantbench.db ] || fail "import stored something"
echo ok
