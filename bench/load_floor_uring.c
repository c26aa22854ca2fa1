/* bench/load_floor.c's io_uring twin: the least a streaming client can do per chunk with
 * no syscall per chunk (not a client: no HTTP parse, no failure handled, any surprise exits
 * 1). C keep-alive connections to 127.0.0.1:PORT, N streamed completions in all; each
 * socket has one multishot recvmsg (IORING_OP_RECVMSG, IORING_RECV_MULTISHOT) on a
 * provided-buffer ring, each completion with its kernel receive stamp (SO_TIMESTAMPNS) in
 * its buffer; the ring is set up with SINGLE_ISSUER | DEFER_TASKRUN, so the reads run in
 * our task only when we enter the kernel: one io_uring_enter per wake-up.
 * usage: load_floor_uring PORT N C OUTLEN WINDOW_US [ACK [RCVBUF]]
 * WINDOW_US 0: wake at each completion; > 0: one io_uring_enter at most every WINDOW_US
 * (it sleeps until the window's end, then reaps all). ACK 1: TCP_QUICKACK 0 set on each
 * socket once per wake-up it had data in (one setsockopt each: fewer ACKs, a syscall more).
 * RCVBUF > 0: SO_RCVBUF set to it before connect (a fixed, small window: no window-update
 * ACK from our reads while the window grows). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <liburing.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/net/sse.h"

#define NBUF  1024
#define BUFSZ 4096

static unsigned long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static struct msghdr tmpl;

/* FLOOR_PARSE: one answer's chunked body undone and fed to the SSE parser */
struct dechunk {
    struct sse_parser sse;
    int state;   /* 0: the size line, 1: data, 2: the CRLF after data, 3: headers */
    size_t left; /* data bytes left of this chunk */
    int hdr_nl;  /* headers: CR/LF run so far */
};
static long parsed;

static int on_ev(void *ud, const char *event, const char *data, size_t len, char *err)
{
    (void)ud, (void)event, (void)len, (void)err;
    if (len == 6 && !memcmp(data, "[DONE]", 6))
        return 0;
    cJSON *j = cJSON_Parse(data);
    if (!j)
        return -1;
    parsed += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "choices")) > 0;
    cJSON_Delete(j);
    return 0;
}

static void dechunk_feed(struct dechunk *c, const char *b, size_t n)
{
    char err[256];
    for (size_t i = 0; i < n;) {
        if (c->state == 3) { /* the status line and headers: to the blank line */
            c->hdr_nl = b[i] == '\n' ? c->hdr_nl + 1 : b[i] == '\r' ? c->hdr_nl : 0;
            if (c->hdr_nl == 2)
                c->state = 0, c->left = 0;
            i++;
        } else if (c->state == 0) {
            char h = b[i++];
            if (h == '\n')
                c->state = c->left ? 1 : 3, c->hdr_nl = 1; /* 0: the end; next answer's headers */
            else if (h >= '0' && h <= '9')
                c->left = c->left * 16 + (size_t)(h - '0');
            else if ((h | 32) >= 'a' && (h | 32) <= 'f')
                c->left = c->left * 16 + (size_t)((h | 32) - 'a' + 10);
        } else if (c->state == 1) {
            size_t k = n - i < c->left ? n - i : c->left;
            if (sse_feed(&c->sse, b + i, k, err) < 0) {
                fprintf(stderr, "load_floor_uring: %s\n", err);
                exit(1);
            }
            i += k;
            if (!(c->left -= k))
                c->state = 2;
        } else if (b[i++] == '\n') {
            c->state = 0;
        }
    }
}

static void arm(struct io_uring *ring, int fd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    io_uring_prep_recvmsg_multishot(sqe, fd, &tmpl, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, (unsigned long long)fd);
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: load_floor_uring PORT N C OUTLEN WINDOW_US [ACK [RCVBUF]]\n");
        return 2;
    }
    int port = atoi(argv[1]), c = atoi(argv[3]), ack = argc >= 7 && atoi(argv[6]);
    int rcvbuf = argc == 8 ? atoi(argv[7]) : 0;
    long segs_out = 0, n = atol(argv[2]), left = n, done = 0, events = 0, stamps = 0, reads = 0,
         wakes = 0;
    unsigned long long window = strtoull(argv[5], NULL, 10) * 1000, last = 0;
    char body[256], req[1024];
    snprintf(body, sizeof(body),
             "{\"model\":\"fake\",\"prompt\":[100,101,102,103],\"max_tokens\":%d,\"stream\":true,"
             "\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true}",
             atoi(argv[4]));
    int req_len = snprintf(req, sizeof(req),
                           "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                           "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                           "Content-Length: %zu\r\n\r\n%s",
                           port, strlen(body), body);
    struct io_uring ring;
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    p.flags |= IORING_SETUP_CQSIZE;
    p.cq_entries = 4096;
    int rc = io_uring_queue_init_params(512, &ring, &p);
    if (rc < 0) {
        fprintf(stderr, "load_floor_uring: io_uring_queue_init: %s\n", strerror(-rc));
        return 1;
    }
    struct io_uring_buf_ring *br;
    char *bufs = malloc((size_t)NBUF * BUFSZ);
    if (posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) || !bufs)
        return 1;
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = NBUF, .bgid = 0};
    rc = io_uring_register_buf_ring(&ring, &reg, 0);
    if (rc < 0) {
        fprintf(stderr, "load_floor_uring: register_buf_ring: %s\n", strerror(-rc));
        return 1;
    }
    io_uring_buf_ring_init(br);
    int mask = io_uring_buf_ring_mask(NBUF);
    for (int i = 0; i < NBUF; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i, mask, i);
    io_uring_buf_ring_advance(br, NBUF);
    tmpl.msg_controllen = CMSG_SPACE(sizeof(struct timespec));

    for (int i = 0; i < c && left > 0; i++, left--) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
        if (rcvbuf > 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            write(fd, req, req_len) != req_len) {
            perror("load_floor_uring: connect");
            return 1;
        }
        arm(&ring, fd);
    }
    static int acked[65536];
    static struct dechunk dc[65536];
    bool parse = getenv("FLOOR_PARSE") && atoi(getenv("FLOOR_PARSE"));
    for (int i = 0; parse && i < 65536; i++) {
        sse_init(&dc[i].sse, 1 << 20, on_ev, NULL);
        dc[i].state = 3;
    }
    while (done < n) {
        struct io_uring_cqe *cqe = NULL;
        if (window) {
            unsigned long long now = mono_ns();
            long long wait = (long long)(last + window) - (long long)now;
            struct __kernel_timespec ts = {0, wait > 0 ? wait : 0};
            /* wait for far more than can come: sleep until the window's end */
            rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1u << 20, &ts, NULL);
        } else {
            rc = io_uring_submit_and_wait(&ring, 1);
        }
        wakes++;
        last = mono_ns();
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            fprintf(stderr, "load_floor_uring: wait: %s\n", strerror(-rc));
            return 1;
        }
        unsigned head, seen = 0, given = 0;
        io_uring_for_each_cqe(&ring, head, cqe)
        {
            seen++;
            int fd = (int)cqe->user_data;
            if (cqe->res < 0) {
                if (cqe->res == -ENOBUFS) {
                    arm(&ring, fd);
                    continue;
                }
                fprintf(stderr, "load_floor_uring: recv: %s\n", strerror(-cqe->res));
                return 1;
            }
            if (!(cqe->flags & IORING_CQE_F_BUFFER)) {
                fprintf(stderr, "load_floor_uring: a completion without a buffer (res %d)\n",
                        cqe->res);
                return 1;
            }
            unsigned short bid = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
            char *b = bufs + (size_t)bid * BUFSZ;
            struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(b, cqe->res, &tmpl);
            if (!o) {
                fprintf(stderr, "load_floor_uring: a bad recvmsg buffer\n");
                return 1;
            }
            reads++;
            stamps += io_uring_recvmsg_cmsg_firsthdr(o, &tmpl) != NULL;
            char *d = io_uring_recvmsg_payload(o, &tmpl);
            unsigned k = io_uring_recvmsg_payload_length(o, cqe->res, &tmpl);
            if (k == 0) {
                fprintf(stderr, "load_floor_uring: the server closed a connection\n");
                return 1;
            }
            if (parse && fd < 65536)
                dechunk_feed(&dc[fd], d, k);
            for (char *q = d; (q = memmem(q, (size_t)(d + k - q), "data:", 5)); q += 5)
                events++;
            if (ack && fd < 65536 && acked[fd] != (int)wakes) {
                int zero = 0;
                setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
                acked[fd] = (int)wakes;
            }
            if (k >= 5 && !memcmp(d + k - 5, "0\r\n\r\n", 5)) {
                done++;
                struct tcp_info ti;
                socklen_t tl = sizeof(ti);
                if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
                    segs_out = ti.tcpi_segs_out; /* at the end: the last answer's total */
                if (left > 0 && write(fd, req, req_len) == req_len)
                    left--;
            }
            io_uring_buf_ring_add(br, b, BUFSZ, bid, mask, (int)given++);
            if (!(cqe->flags & IORING_CQE_F_MORE))
                arm(&ring, fd);
        }
        io_uring_buf_ring_advance(br, (int)given);
        io_uring_cq_advance(&ring, seen);
    }
    printf("%ld answers, %ld events, %ld reads (%ld stamped by the kernel), %ld wake-ups, "
           "%ld segments sent on the last socket that ended, %ld events parsed with choices\n",
           done, events, reads, stamps, wakes, segs_out, parsed);
    return 0;
}
