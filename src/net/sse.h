/* Server-sent events (the WHATWG HTML "text/event-stream" format) read from bytes as they
 * arrive: lines ended by LF, CR or CRLF, "field: value" lines, an event dispatched at a
 * blank line when it has data (its data: lines joined with LF); comments (":...") and
 * fields other than data: and event: ignored. No I/O: net/http.c feeds it. */
#ifndef QB_SSE_H
#define QB_SSE_H

#include <stdbool.h>
#include <stddef.h>

struct sse_parser {
    /* called once per event: its type (the last event: field, "" when none) and its data
     * (NUL-terminated, borrowed for the call); 0 goes on, -1 stops the stream with err
     * (QB_ERR_LEN bytes) filled */
    int (*on_event)(void *ud, const char *event, const char *data, size_t len, char *err);
    void *ud;
    size_t max; /* the longest line and event data accepted */
    char *line; /* the line being read (owned) */
    size_t line_len, line_cap;
    char *data; /* the event's data so far: each data: line and an LF (owned) */
    size_t data_len, data_cap;
    bool has_data;  /* a data: field came since the last dispatch */
    char event[64]; /* the event: field's value, cut to fit */
    bool after_cr;  /* the last byte was a CR: an LF right after it ends nothing */
    bool failed;    /* a callback stopped it, or too long: it takes no more */
    long n_lines;   /* lines read (a UTF-8 BOM is skipped on the first) */
    long n_events;  /* events dispatched */
};

/* A parser calling on_event(ud, ...); a line or an event's data over max bytes is an
 * error. Free its buffers with sse_release. */
void sse_init(struct sse_parser *s, size_t max,
              int (*on_event)(void *ud, const char *event, const char *data, size_t len, char *err),
              void *ud);
/* Feed n bytes; -1 with err when the callback stopped the stream or a line or an event
 * is longer than max (the parser takes no more after). */
int sse_feed(struct sse_parser *s, const char *b, size_t n, char *err);
/* Whether an unfinished line or event is pending (a stream cut in the middle of one). */
bool sse_pending(const struct sse_parser *s);
void sse_release(struct sse_parser *s);

#endif
