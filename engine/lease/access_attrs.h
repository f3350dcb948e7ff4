/* RADIUS attributes a worker encodes into its question (type, length,
 * value), shared by the DHCPv4 and DHCPv6 workers (values from the
 * configured expressions go through rad_dict_append_bytes).  An
 * attribute that does not fit the room is left out.  No allocation. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ACCESS_A_NAS_PORT_ID 87

/* Append (type, v[0..n)) to buf (*len used of cap). */
static inline void access_attr_add(uint8_t *buf, uint16_t *len, size_t cap, uint8_t type,
				   const uint8_t *v, size_t n)
{
	if (n == 0 || n > 253 || *len + 2 + n > cap)
		return;
	buf[*len] = type;
	buf[*len + 1] = (uint8_t)(n + 2);
	memcpy(buf + *len + 2, v, n);
	*len = (uint16_t)(*len + 2 + n);
}
