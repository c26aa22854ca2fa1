/* Progress lines with an ETA (see progress.h). */
#include "progress.h"

#include <string.h>
#include <unistd.h>

#include "clock.h"

void progress_format(char *buf, size_t n, const char *what, const char *unit, long done, long total,
                     double elapsed_s)
{
    char eta[32] = "?";
    if (done > 0 && total >= done)
        snprintf(eta, sizeof(eta), "%.0f s", elapsed_s / (double)done * (double)(total - done));
    snprintf(buf, n, "%s: %s %ld/%ld, %.0f s elapsed, ETA %s", what, unit, done, total, elapsed_s,
             eta);
}

void progress_begin(struct progress *p, enum progress_mode mode, const char *what, const char *unit,
                    long total)
{
    memset(p, 0, sizeof(*p));
    p->fp = stderr;
    p->tty = isatty(STDERR_FILENO) == 1;
    p->on = mode == PROGRESS_ON || (mode == PROGRESS_AUTO && p->tty);
    snprintf(p->what, sizeof(p->what), "%s", what);
    snprintf(p->unit, sizeof(p->unit), "%s", unit);
    p->total = total;
    p->t0_ns = monotime_ns();
}

void progress_set_total(struct progress *p, long total)
{
    p->total = total;
}

bool progress_due(const struct progress *p, long done, uint64_t now_ns)
{
    if (p->last_ns == 0 || done >= p->total)
        return true;
    return (double)(now_ns - p->last_ns) / 1e9 >= PROGRESS_INTERVAL_S;
}

void progress_units(long done, long total, void *p)
{
    progress_set_total(p, total);
    progress_update(p, done);
}

void progress_update(struct progress *p, long done)
{
    if (!p->on || done <= p->done)
        return;
    p->done = done;
    uint64_t now = monotime_ns();
    if (!p->tty && !progress_due(p, done, now))
        return;
    char line[256];
    progress_format(line, sizeof(line), p->what, p->unit, done, p->total,
                    (double)(now - p->t0_ns) / 1e9);
    if (p->tty) {
        fprintf(p->fp, "\r%s\033[K", line); /* erase what a longer line left */
        p->open = true;
    } else {
        fprintf(p->fp, "%s\n", line);
    }
    fflush(p->fp);
    p->last_ns = now;
}

void progress_clear(struct progress *p)
{
    if (p->on && p->open) {
        fputs("\r\033[K", p->fp);
        fflush(p->fp);
        p->open = false;
    }
}

void progress_end(struct progress *p)
{
    if (p->on && p->open) {
        fputc('\n', p->fp);
        fflush(p->fp);
        p->open = false;
    }
}
