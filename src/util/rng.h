/* splitmix64: the small, fast, seedable generator behind random tokens and synthetic
 * weights. The values only need to be spread and reproducible for a given seed. */
#ifndef QB_RNG_H
#define QB_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
