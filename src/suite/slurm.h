/* A suite on a Slurm cluster: its cells split into N shards, one job-array task each
 * (`run --shard K/N`), and the sbatch script of that array (`run --slurm`). Shard K of N
 * is a contiguous block of the cells in run order, [floor(K*n/N), floor((K+1)*n/N)): the
 * same cells for the same suite, whatever host splits it, and a model's cells stay
 * together (one model load serves its bench cells). Text only: nothing here runs sbatch. */
#ifndef QB_SUITE_SLURM_H
#define QB_SUITE_SLURM_H

#include "suite.h"

#define SLURM_SIGNAL_LEAD_S 120 /* --signal=B:USR1@120: the warning before the time limit */

/* The cells [*from, *to) of shard k of n (0 <= k < n) of n_cells cells in run order */
void suite_shard_range(int n_cells, int k, int n, int *from, int *to);

/* "K/N" into *k, *n; 0, or -1 with err ("invalid value 'X' for --shard (expected K/N,
 * 0 <= K < N)") */
int suite_shard_parse(const char *s, int *k, int *n, char *err);

/* GPUs a task needs for these cells: 0 when every cell keeps its layers on the CPU
 * (ngl 0, or dev none), else the most devices a cell names (dev=A/B: 2), at least 1 */
int slurm_gpus_of_cells(const struct suite_cells *cells);

/* Slurm's --time: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" or "infinite"/
 * "unlimited"; 0, or -1 */
int slurm_time_check(const char *s);

struct slurm_job {
    const char *quantbench; /* the binary the tasks run (absolute) */
    const char *suite;      /* the suite file (absolute) */
    const char *dir;        /* the output directory (absolute): task-K.db, logs/ */
    const char *workdir;    /* where relative model paths are taken from (absolute) */
    const char *name;       /* the job's name (the suite's) */
    int shards;             /* N >= 1 */
    int array_limit;        /* K of --array=...%K; 0 none */
    int gpus_per_task;      /* 0 none */
    const char *partition, *time, *account, *qos; /* NULL: the cluster's default */
    const char *const *sbatch_args;               /* more #SBATCH lines, as given */
    int n_sbatch_args;
    double timeout_s;  /* run --timeout; 0 none */
    bool retry_failed; /* run --retry-failed */
};

/* The job-array script (the caller frees), or NULL with err when a value cannot be
 * written into it safely (a newline, a path a Slurm file pattern cannot hold, an
 * --sbatch-arg that is no flag or that sets what the script sets itself) */
char *slurm_script(const struct slurm_job *j, char *err);

#endif
