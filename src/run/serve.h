/* The worker's side: serve requests until quit or EOF (engine/worker.h starts a worker
 * as `quantbench __worker`; main() calls this). */
#ifndef QB_SERVE_H
#define QB_SERVE_H

/* Serve requests on the worker's fds until quit or EOF; returns the exit code. */
int worker_main(int verbosity);

#endif
