/* The event stream's log of Server-Sent Events frames: every event of the database, in id
 * order, preformatted once as "id: N\ndata: JSON\n\n" and shared by every stream
 * connection, each of which keeps only its position (frame index and bytes of that frame
 * sent). No locking here: the server guards a log with its own mutex. */
#ifndef QB_DASH_FRAMES_H
#define QB_DASH_FRAMES_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct dash_frame {
    int64_t id, run;
    size_t start; /* bytes of every frame before this one */
    size_t len;
    char *text; /* owned */
};

struct dash_frames {
    struct dash_frame *f;
    size_t n, cap;
    size_t bytes;    /* of every frame */
    int64_t last_id; /* the largest id added, 0 none */
};

/* Free a log's frames (accepts a zeroed log, which is an empty one). */
void dash_frames_free(struct dash_frames *l);

/* Append one event of store_events ({"id", "run_id", ...}, borrowed) as a frame. An event
 * whose id is not larger than the last one's is skipped (returns 0: the poller may read
 * one twice). -1 with err when it has no integer id or run_id. */
int dash_frames_add(struct dash_frames *l, const cJSON *event, char *err);

/* The index of the first frame with an id larger than after_id (n when none). */
size_t dash_frames_find(const struct dash_frames *l, int64_t after_id);

/* Copy into buf (at most max bytes) the frames from index *pos on whose run is run (0:
 * every run), starting *off bytes into frame *pos, and move *pos / *off past what was
 * copied (a frame can be split between calls). Returns the bytes copied, 0 when nothing
 * is left for this position. */
size_t dash_frames_copy(const struct dash_frames *l, int64_t run, size_t *pos, size_t *off,
                        char *buf, size_t max);

/* Bytes of the log after the position (*pos, *off): how far a reader is behind. */
size_t dash_frames_behind(const struct dash_frames *l, size_t pos, size_t off);

/* Parse an event id as a Last-Event-ID header or after= carries it: decimal digits only
 * (surrounding blanks allowed), 0 .. INT64_MAX. 0, or -1 when it is not one. */
int dash_frames_parse_id(const char *s, int64_t *id);

#endif
