/* bench/load_client_cost.sh's floor: the least a streaming client can do per chunk on this
 * machine (not a client: no HTTP parse, no failure handled, any surprise exits 1). C
 * keep-alive connections to 127.0.0.1:PORT, N streamed completions in all; each readable
 * socket read once with recvmsg (its kernel receive stamp, SO_TIMESTAMPNS, taken), its
 * "data:" lines counted, an answer's end found by its last chunk "0\r\n\r\n".
 * usage: load_floor PORT N C OUTLEN WINDOW_US (WINDOW_US > 0: wake-ups that far apart) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: load_floor PORT N C OUTLEN WINDOW_US\n");
        return 2;
    }
    int port = atoi(argv[1]), c = atoi(argv[3]);
    long n = atol(argv[2]), left = n, done = 0, events = 0, stamps = 0;
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
    int ep = epoll_create1(0);
    for (int i = 0; i < c && left > 0; i++, left--) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
        struct epoll_event ev = {EPOLLIN, {.fd = fd}};
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 || write(fd, req, req_len) != req_len) {
            perror("load_floor: connect");
            return 1;
        }
    }
    static char buf[1 << 16];
    struct epoll_event evs[256];
    while (done < n) {
        unsigned long long now = mono_ns();
        if (window && now < last + window) {
            struct timespec ts = {0, (long)(last + window - now)};
            nanosleep(&ts, NULL);
        }
        int ne = epoll_wait(ep, evs, 256, 5000);
        last = mono_ns();
        if (ne <= 0) {
            fprintf(stderr, "load_floor: nothing came for 5 s\n");
            return 1;
        }
        for (int e = 0; e < ne; e++) {
            int fd = evs[e].data.fd;
            union {
                char b[CMSG_SPACE(sizeof(struct timespec))];
                struct cmsghdr align;
            } ctl;
            struct iovec iov = {buf, sizeof(buf)};
            struct msghdr m = {0};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            m.msg_control = ctl.b;
            m.msg_controllen = sizeof(ctl.b);
            ssize_t k = recvmsg(fd, &m, 0);
            if (k <= 0) {
                fprintf(stderr, "load_floor: the server closed a connection\n");
                return 1;
            }
            stamps += CMSG_FIRSTHDR(&m) != NULL;
            for (char *p = buf; (p = memmem(p, (size_t)(buf + k - p), "data:", 5)); p += 5)
                events++;
            if (k >= 5 && !memcmp(buf + k - 5, "0\r\n\r\n", 5)) {
                done++;
                if (left > 0 && write(fd, req, req_len) == req_len)
                    left--;
            }
        }
    }
    printf("%ld answers, %ld events, %ld reads stamped by the kernel\n", done, events, stamps);
    return 0;
}
