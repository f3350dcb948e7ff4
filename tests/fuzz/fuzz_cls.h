/* What fuzz_cls.c (the DHCPv4 half of the class-expression target) and
 * fuzz_cls6.c (the DHCPv6 half) share. */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cls.h"

#define check(c) do { if (!(c)) __builtin_trap(); } while (0)

static inline bool inside(const uint8_t *p, size_t n, const void *base, size_t size)
{
	const uint8_t *b = base;

	return p >= b && p + n <= b + size;
}

/* A refused expression: the documented errno and a message with a column
 * inside the input of n bytes. */
static inline void check_refused(const struct cls_err *err, size_t n)
{
	check(errno == EINVAL || errno == ENOMEM);
	check(err->msg[0] != '\0' && memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	check(err->col >= 0 && (size_t)err->col <= n);
}

/* The input when its first byte's bit 1 is set (DHCPv6). */
int fuzz_cls6(const uint8_t *d, size_t n);
