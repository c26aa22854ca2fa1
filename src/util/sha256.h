/* SHA-256 (FIPS 180-4), for file identities. */
#ifndef QB_SHA256_H
#define QB_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed */
    uint8_t buf[64];
    size_t n; /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* hex of 32 bytes into out[65] */
void sha256_hex(const uint8_t d[32], char out[65]);

/* A quick identity of a large file: "SIZE:SHA256(first MiB):SHA256(last MiB)" into
 * out[160]; -1 with err when it cannot be read. */
int file_quick_id(const char *path, char out[160], char *err);

#endif
