/* The generating side of quantbench prompts: answers of models to a set of prompts (see
 * prompts_gen.c). */
#ifndef QB_PROMPTS_GEN_H
#define QB_PROMPTS_GEN_H

/* quantbench prompts -m MODEL [flags] (argv[0] is "prompts"): generate, print and store
 * the answers; the exit code */
int prompts_generate(int argc, char **argv);

#endif
