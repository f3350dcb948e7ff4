/* libFuzzer target for the RADIUS dictionary reader (an operator's file,
 * possibly edited by hand), the config-text encoder and the identifier
 * text: the input is a dictionary file; its first line is also encoded
 * for an attribute of every type and formatted as every identifier type.
 * Whatever loads must be found again by name and by number. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "rad_dict.h"
#include "rad_ident.h"

static const char *const typed[] = {
	"User-Name", "Class", "Framed-IP-Address", "Session-Timeout", "Event-Timestamp",
	"Framed-IPv6-Address", "Delegated-IPv6-Prefix", "Framed-Interface-Id", "Acct-Status-Type",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[512], text[256], id[254];
	struct rad_dict *d = rad_dict_create();
	struct rad_ident_opts o = { .extract_duid = true, .client_id_printable = true,
				    .client_id_pop0 = true, .realm = "r" };
	const struct rad_dict_attr *a;
	uint8_t out[256], back[256];
	size_t n;

	if (d == NULL)
		return 0;
	if (fd < 0)
		fd = memfd_create("fuzz_rad_dict", 0);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		__builtin_trap();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (rad_dict_load(d, path, err, sizeof(err)) == 0) {
		a = rad_dict_by_name(d, "User-Name");
		if (a == NULL || rad_dict_by_num(d, a->vendor, a->type) == NULL)
			__builtin_trap();
	} else if (strncmp(err, path, strlen(path)) != 0 && strncmp(err, "/", 1) != 0) {
		__builtin_trap();            /* every refusal names a file (this or an included one) */
	}
	n = memchr(data, '\n', size) ? (size_t)((const uint8_t *)memchr(data, '\n', size) - data) : size;
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		int len;

		a = rad_dict_by_name(d, typed[i]);
		len = rad_dict_encode(d, a, text, out, sizeof(out));
		if (len > 253)
			__builtin_trap();
		if (a && len > 0 && rad_dict_from_bytes(a, out, (size_t)len, back, sizeof(back)) != len)
			__builtin_trap();    /* an encoded value is a value of its type */
	}
	for (int t = RAD_ID_HW_ADDRESS; t <= RAD_ID_FLEX_ID; t++) {
		int len = rad_ident_text(&o, (enum rad_ident_type)t, data, size, id, sizeof(id));

		if (len >= (int)sizeof(id) || (len >= 0 && strlen(id) != (size_t)len))
			__builtin_trap();
	}
	rad_dict_free(d);
	return 0;
}
