/* The server's DUID (RFC 8415 11), Kea's way: the one server-id spells
 * out, else the one kept in the data directory from an earlier run (so
 * clients keep talking to "the same server" across restarts), else a new
 * one, kept there when persist is on.  The file holds the DUID as
 * colon-separated hex on one line, as Kea's kea-dhcp6-serverid.
 * Control thread, once at start-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dhcp6_priv.h"
#include "net.h"
#include "util_fs.h"

#define DUID_EPOCH 946684800u           /* 2000-01-01 00:00:00 UTC: DUID-LLT time base */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A DUID as the configuration describes it (missing parts made up). */
static int duid_make(const struct conf6_server_id *sid, const uint8_t mac[6], uint8_t *d,
		     uint8_t *len)
{
	const uint8_t *id = sid->identifier_len ? sid->identifier : mac;
	uint8_t id_len = sid->identifier_len ? sid->identifier_len : 6;
	unsigned n;

	switch (sid->type) {
	case CONF6_DUID_EN:
		put16(d, CONF6_DUID_EN);
		put32(d + 2, sid->enterprise_id);
		if (sid->identifier_len) {
			memcpy(d + 6, sid->identifier, sid->identifier_len);
			n = 6u + sid->identifier_len;
		} else {
			/* Kea makes 6 random bytes; so do we */
			for (unsigned i = 0; i < 6; i++)
				d[6 + i] = (uint8_t)(rand() ^ (int)time(NULL) >> (i * 3));
			n = 12;
		}
		break;
	case CONF6_DUID_LL:
		put16(d, CONF6_DUID_LL);
		put16(d + 2, sid->htype);
		memcpy(d + 4, id, id_len);
		n = 4u + id_len;
		break;
	default:
		put16(d, CONF6_DUID_LLT);
		put16(d + 2, sid->htype);
		put32(d + 4, sid->time ? sid->time : (uint32_t)time(NULL) - DUID_EPOCH);
		memcpy(d + 8, id, id_len);
		n = 8u + id_len;
		break;
	}
	if (n > DHCP6_DUID_MAX)
		return -EINVAL;
	*len = (uint8_t)n;
	return 0;
}

/* The kept DUID, or -ENOENT / -EINVAL. */
static int duid_read(const char *path, uint8_t *d, uint8_t *len)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	unsigned n = 0;
	size_t i;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	for (i = 0; buf[i] && buf[i] != '\n';) {
		int hi = net_hexval(buf[i]), lo = hi < 0 ? -1 : net_hexval(buf[i + 1]);

		if (lo < 0 || n >= DHCP6_DUID_MAX)
			return -EINVAL;
		d[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (buf[i] == ':')
			i++;
	}
	if (n < 3)
		return -EINVAL;
	*len = (uint8_t)n;
	return 0;
}

static int duid_write(const char *path, const uint8_t *d, uint8_t len)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int ret = 0;

	ret = util_mkdir_parent(path, 0750);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (unsigned i = 0; i < len; i++)
		fprintf(f, "%s%02x", i ? ":" : "", d[i]);
	fputc('\n', f);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int dhcp6_server_duid(const struct conf6 *c6, const uint8_t mac[6], uint8_t *duid,
		      uint8_t *len, char *err, size_t errlen)
{
	const struct conf6_server_id *sid = &c6->server_id;
	char path[PATH_MAX];
	bool explicit = sid->identifier_len != 0 || (sid->type == CONF6_DUID_LLT && sid->time);
	int ret;

	if (snprintf(path, sizeof(path), "%s/%s", c6->data_dir, DHCP6_DUID_FILE) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "data-directory %s: path too long", c6->data_dir);
		return -ENAMETOOLONG;
	}
	/* A kept DUID wins over a made-up one, not over one spelled out; and
	 * only while it is of the configured type. */
	if (!explicit && sid->persist && duid_read(path, duid, len) == 0 &&
	    (duid[0] << 8 | duid[1]) == (int)sid->type)
		return 0;
	ret = duid_make(sid, mac, duid, len);
	if (ret) {
		snprintf(err, errlen, "server-id: the DUID would pass %d bytes", DHCP6_DUID_MAX);
		return ret;
	}
	if (sid->persist) {
		ret = duid_write(path, duid, *len);
		if (ret) {
			snprintf(err, errlen, "server-id: cannot keep the DUID in %s: %s", path,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}
