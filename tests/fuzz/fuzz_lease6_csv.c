/* libFuzzer target for the DHCPv6 lease-line parser (Kea 2.2's lease6
 * CSV): it reads files that a crash may have torn, an operator may have
 * edited, or an older Kea wrote.  Whatever parses must format to one
 * line that parses back to the very same record (every field, every
 * byte), and formatting that record again must give the same line. */
#include <stdint.h>
#include <string.h>
#include "lease_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lease6_rec a, b;
	char line[LEASE_CSV_LINE_MAX], again[LEASE_CSV_LINE_MAX];
	int trunc = 0, n, m;

	memset(&a, 0, sizeof(a));
	if (lease6_csv_parse((const char *)data, size, &a, &trunc) != 0)
		return 0;
	n = lease6_csv_format(&a, line, sizeof(line));
	if (n <= 0 || line[n - 1] != '\n' || memchr(line, '\n', (size_t)n - 1) != NULL)
		__builtin_trap();
	memset(&b, 0, sizeof(b));
	/* formatted lines end in a newline; the parser takes a line without it */
	if (lease6_csv_parse(line, (size_t)n - 1, &b, &trunc) != 0 || trunc)
		__builtin_trap();
	if (memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	m = lease6_csv_format(&b, again, sizeof(again));
	if (m != n || memcmp(line, again, (size_t)n) != 0)
		__builtin_trap();
	return 0;
}
