/* Progress of a long-running command on stderr: "quality: chunk 12/40, 31 s elapsed, ETA
 * 72 s", with ETA = elapsed / done x (total - done). On a terminal one line redrawn in
 * place (\r); otherwise a plain line at most every PROGRESS_INTERVAL_S seconds (and the
 * first and last unit). Off unless stderr is a terminal or --progress forces it, so the
 * stderr of a command run by a script or a test stays what it was. */
#ifndef QB_PROGRESS_H
#define QB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_INTERVAL_S 5.0 /* not a terminal: at most one line per this many seconds */

enum progress_mode {
    PROGRESS_AUTO, /* on when stderr is a terminal */
    PROGRESS_ON,   /* --progress */
    PROGRESS_OFF,  /* --no-progress */
};

struct progress {
    FILE *fp;         /* where lines go (stderr) */
    bool on;          /* print at all */
    bool tty;         /* redraw one line with \r */
    bool open;        /* tty: a line without its newline is shown */
    char what[96];    /* "quality", "sweep 'm.gguf'" */
    char unit[32];    /* "chunk", "depth", "probe" */
    long total;       /* units expected */
    long done;        /* units done at the last update */
    uint64_t t0_ns;   /* start (monotime_ns) */
    uint64_t last_ns; /* last line printed; 0 = none yet */
};

/* Start counting units of total (the clock starts now). mode decides whether it prints. */
void progress_begin(struct progress *p, enum progress_mode mode, const char *what, const char *unit,
                    long total);
/* The total may change as the work learns more (ctxmax's remaining probes). */
void progress_set_total(struct progress *p, long total);
/* done units of the total are finished; prints when due. */
void progress_update(struct progress *p, long done);
/* A units callback (a worker's {"ev":"progress","done","total"}) for progress p: sets the
 * total and updates */
void progress_units(long done, long total, void *p);
/* Take a redrawn line off the terminal before other stderr output (an error); a later
 * update draws it again. No-op without a tty line. */
void progress_clear(struct progress *p);
/* The end: a redrawn line gets its newline. */
void progress_end(struct progress *p);

/* The line's text into buf: "WHAT: UNIT DONE/TOTAL, E s elapsed, ETA R s" (ETA "?" while
 * nothing is done). */
void progress_format(char *buf, size_t n, const char *what, const char *unit, long done, long total,
                     double elapsed_s);
/* Whether a plain (not tty) line is due for done at now_ns: the first unit, the last, or
 * PROGRESS_INTERVAL_S after the previous line. */
bool progress_due(const struct progress *p, long done, uint64_t now_ns);

#endif
