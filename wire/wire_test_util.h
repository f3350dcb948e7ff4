/* What the wire tests share: golden files from wire/testdata (the tests
 * run with wire/ as their working directory). */
#pragma once
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct blob {
	uint8_t *p;
	size_t n;
};

/* Load wire/testdata/<name>.  One byte more than the file is allocated,
 * so that an empty file still gets a buffer. */
static inline struct blob load(const char *name)
{
	char path[512];
	struct blob b = { NULL, 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "testdata/%s", name);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b.p = malloc((size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
	CU_ASSERT_EQUAL_FATAL(fread(b.p, 1, (size_t)n, f), (size_t)n);
	b.n = (size_t)n;
	fclose(f);
	return b;
}

/* RFC 1071 the slow way, as a reference for the fast sum in net.c:
 * 16-bit big-endian words added to `sum`, a zero pad byte. */
static inline uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
