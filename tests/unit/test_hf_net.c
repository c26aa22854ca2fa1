/* net/hf.c's byte ranges against a loopback server forked here (canned answers, one per
 * connection): a Hub's 302 to another host name with X-Linked-Size / X-Linked-Etag, the
 * CDN's 206, a server that ignores Range (200: the bytes before the offset dropped), a 206
 * that starts elsewhere (an error), a probe's size and hash; the token only on the Hub's
 * requests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/net/hf.h"
#include "../../src/util/util.h"
#include "test.h"

#define SHA_X "a21af324e180331e17cb4d92844fea760f55358b9fd62bea1612b767c4cd13b4"

static char answers[6][512];

/* one request's head from fd: its path, Range and whether it had a token, to out */
static int read_head(int fd, FILE *out)
{
    char head[8192];
    size_t n = 0;
    while (n < sizeof(head) - 1) {
        ssize_t k = read(fd, head + n, 1);
        if (k <= 0)
            return -1;
        n++;
        head[n] = '\0';
        if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
            break;
    }
    char path[256] = "", range[64] = "-";
    sscanf(head, "GET %255s", path);
    const char *r = strcasestr(head, "\r\nRange: ");
    if (r)
        sscanf(r + 9, "%63s", range);
    fprintf(out, "%s %s %s\n", path, range,
            strcasestr(head, "Authorization: Bearer tok") ? "token" : "-");
    fflush(out);
    return 0;
}

static void server(int ls, int report)
{
    FILE *out = fdopen(report, "w");
    for (size_t i = 0; i < QB_ARRAY_LEN(answers); i++) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0 || read_head(fd, out) < 0)
            _exit(1);
        if (write(fd, answers[i], strlen(answers[i])) < 0)
            _exit(1);
        close(fd);
    }
    _exit(0);
}

void test_hf_ranges(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int p[2];
    CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(ls, 8) == 0);
    CHECK(getsockname(ls, (struct sockaddr *)&a, &al) == 0 && pipe(p) == 0);
    int port = ntohs(a.sin_port);
    static const char close_[] = "Connection: close\r\n";
    snprintf(answers[0], sizeof(answers[0]),
             "HTTP/1.1 302 Found\r\nLocation: http://localhost:%d/cdn/x\r\nX-Linked-Size: 10\r\n"
             "X-Linked-Etag: \"" SHA_X "\"\r\nContent-Length: 0\r\n%s\r\n",
             port, close_);
    snprintf(answers[1], sizeof(answers[1]),
             "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 3-6/10\r\nContent-Length: "
             "4\r\n%s\r\n3456",
             close_);
    snprintf(answers[2], sizeof(answers[2]),
             "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n%s\r\n0123456789", close_);
    snprintf(answers[3], sizeof(answers[3]),
             "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/10\r\nContent-Length: "
             "4\r\n%s\r\n4567",
             close_);
    memcpy(answers[4], answers[0], sizeof(answers[0]));
    snprintf(answers[5], sizeof(answers[5]),
             "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-0/10\r\nContent-Length: "
             "1\r\n%s\r\n0",
             close_);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        server(ls, p[1]);
    }
    close(p[1]);
    close(ls);
    char ep[64], url[96], err[QB_ERR_LEN];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
    setenv("HF_ENDPOINT", ep, 1);
    setenv("HF_TOKEN", "tok", 1);
    char buf[8] = "";
    size_t got;
    uint64_t total;
    enum qb_kind kind;
    snprintf(url, sizeof(url), "%s/o/n/resolve/main/x.gguf", ep);
    CHECK(hf_read_range(url, 3, 4, buf, &got, &total, &kind, err) == 0);
    CHECK(got == 4 && total == 10 && !memcmp(buf, "3456", 4));
    memset(buf, 0, sizeof(buf));
    CHECK(hf_read_range(url, 3, 4, buf, &got, &total, &kind, err) == 0); /* Range ignored */
    CHECK(got == 4 && !memcmp(buf, "3456", 4));
    CHECK(hf_read_range(url, 3, 4, buf, &got, &total, &kind, err) < 0);
    CHECK(kind == QB_KIND_RUNTIME);
    CHECK(strstr(err, "a 206 answer with Content-Range 'bytes 4-7/10' for bytes 3-") != NULL);
    struct hf_file f = {.url = url, .path = (char *)"x.gguf"};
    CHECK(hf_probe(&f, &kind, err) == 0);
    CHECK(f.size == 10);
    CHECK_STR(f.sha256, SHA_X);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char log[1024] = "";
    ssize_t n = read(p[0], log, sizeof(log) - 1);
    close(p[0]);
    log[n > 0 ? n : 0] = '\0';
    CHECK_STR(log, "/o/n/resolve/main/x.gguf bytes=3-6 token\n"
                   "/cdn/x bytes=3-6 -\n"
                   "/o/n/resolve/main/x.gguf bytes=3-6 token\n"
                   "/o/n/resolve/main/x.gguf bytes=3-6 token\n"
                   "/o/n/resolve/main/x.gguf bytes=0-0 token\n"
                   "/cdn/x bytes=0-0 -\n");
    unsetenv("HF_ENDPOINT");
    unsetenv("HF_TOKEN");
}
