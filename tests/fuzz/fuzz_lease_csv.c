/* libFuzzer target for the memfile lease-line parser: it reads files that
 * a crash may have torn or an operator may have edited.  Whatever parses
 * must format back and parse again to the same record. */
#include <stdint.h>
#include <string.h>
#include "lease_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lease_rec a, b;
	char line[LEASE_CSV_LINE_MAX];
	int trunc = 0, n;

	memset(&a, 0, sizeof(a));
	if (lease_csv_parse((const char *)data, size, &a, &trunc) != 0)
		return 0;
	n = lease_csv_format(&a, line, sizeof(line));
	if (n <= 0)
		__builtin_trap();
	memset(&b, 0, sizeof(b));
	/* formatted lines end in a newline; the parser takes a line without it */
	if (lease_csv_parse(line, (size_t)n - 1, &b, &trunc) != 0)
		__builtin_trap();
	if (a.addr != b.addr || a.expire != b.expire || a.valid_lft != b.valid_lft ||
	    a.subnet_id != b.subnet_id || a.state != b.state || a.cid_len != b.cid_len ||
	    a.hwaddr_len != b.hwaddr_len || memcmp(a.cid, b.cid, a.cid_len) != 0 ||
	    memcmp(a.hwaddr, b.hwaddr, a.hwaddr_len) != 0)
		__builtin_trap();
	return 0;
}
