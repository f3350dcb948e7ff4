/* Unit tests for the wire formats: option encoder, DHCPv4 parser and
 * builder, Ethernet/IPv4/UDP/ARP helpers.  Golden packets live in
 * wire/testdata (the test runs with wire/ as its working directory). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp4_options.h"
#include "dhcp4_wire.h"
#include "net.h"
#include "wire_test_util.h"

/* ---------------------------------------------------------------- options */

static int enc(const char *name, const char *data, bool csv, uint8_t *out, char *err)
{
	const struct dhcp4_opt_def *def = name ? dhcp4_opt_def_by_name(name) : NULL;

	if (name != NULL)
		CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	return dhcp4_opt_encode(def, data, csv, out, err, 128);
}

static void test_opt_lookup(void)
{
	const struct dhcp4_opt_def *d;

	d = dhcp4_opt_def_by_name("domain-name-servers");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->code, 6);
	CU_ASSERT_EQUAL(d->type, DHCP4_OT_IPV4);
	CU_ASSERT_TRUE(d->array);
	CU_ASSERT_PTR_EQUAL(dhcp4_opt_def_by_code(6), d);

	d = dhcp4_opt_def_by_code(66);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->name, "tftp-server-name");
	CU_ASSERT_STRING_EQUAL(dhcp4_opt_def_by_code(67)->name, "boot-file-name");
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("domain-search")->type, DHCP4_OT_FQDN);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("domain-search")->code, 119);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("classless-static-route")->code, 121);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("tftp-server-address")->code, 150);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("dhcp-client-identifier")->type, DHCP4_OT_BINARY);
	CU_ASSERT_EQUAL(dhcp4_opt_def_by_name("time-offset")->type, DHCP4_OT_INT32);
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_name("no-such-option"));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_name(NULL));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(0));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(255));
	CU_ASSERT_PTR_NULL(dhcp4_opt_def_by_code(200));

	/* Every name maps back to its own code. */
	for (int c = 1; c < 255; c++) {
		d = dhcp4_opt_def_by_code((uint8_t)c);
		if (d != NULL)
			CU_ASSERT_PTR_EQUAL(dhcp4_opt_def_by_name(d->name), d);
	}
}

static void test_opt_encode_scalars(void)
{
	uint8_t o[255];
	char err[128];

	CU_ASSERT_EQUAL(enc("domain-name-servers", "192.0.2.1, 198.18.0.53", true, o, err), 8);
	CU_ASSERT_EQUAL(memcmp(o, "\xc0\x00\x02\x01\xc6\x12\x00\x35", 8), 0);

	CU_ASSERT_EQUAL(enc("subnet-mask", "255.255.255.0", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xff\x00", 4), 0);
	CU_ASSERT_EQUAL(enc("subnet-mask", "255.255.255.0,255.0.0.0", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "takes 1 value"));
	CU_ASSERT_EQUAL(enc("routers", "192.0.2.300", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "invalid IPv4 address '192.0.2.300'");

	CU_ASSERT_EQUAL(enc("default-ip-ttl", "64", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 64);
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "300", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "value '300' out of range for uint8");
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "-1", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("default-ip-ttl", "12x", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "invalid uint8 value '12x'");

	CU_ASSERT_EQUAL(enc("interface-mtu", "1500", true, o, err), 2);
	CU_ASSERT_EQUAL(memcmp(o, "\x05\xdc", 2), 0);
	CU_ASSERT_EQUAL(enc("interface-mtu", "65536", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "4294967295", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xff\xff", 4), 0);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "0x10000", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x01\x00\x00", 4), 0);
	CU_ASSERT_EQUAL(enc("dhcp-lease-time", "4294967296", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("time-offset", "-3600", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xff\xff\xf1\xf0", 4), 0);
	CU_ASSERT_EQUAL(enc("time-offset", "-2147483649", true, o, err), -1);
	CU_ASSERT_STRING_EQUAL(err, "value '-2147483649' out of range for int32");

	CU_ASSERT_EQUAL(enc("ip-forwarding", "true", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 1);
	CU_ASSERT_EQUAL(enc("ip-forwarding", "false", true, o, err), 1);
	CU_ASSERT_EQUAL(o[0], 0);
	CU_ASSERT_EQUAL(enc("ip-forwarding", "yes", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid boolean 'yes'"));

	CU_ASSERT_EQUAL(enc("path-mtu-plateau-table", "68, 296,1500", true, o, err), 6);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x44\x01\x28\x05\xdc", 6), 0);
	CU_ASSERT_EQUAL(enc("routers", "", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a value"));
}

static void test_opt_encode_strings(void)
{
	uint8_t o[255];
	char err[128];
	char big[400];

	CU_ASSERT_EQUAL(enc("domain-name", "example.org", true, o, err), 11);
	CU_ASSERT_EQUAL(memcmp(o, "example.org", 11), 0);
	CU_ASSERT_EQUAL(enc("boot-file-name", "pxelinux.0", true, o, err), 10);
	/* Kea's escape: a literal comma in a string. */
	CU_ASSERT_EQUAL(enc("dhcp-message", "a\\,b", true, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "a,b", 3), 0);
	CU_ASSERT_EQUAL(enc("dhcp-message", "a,b", true, o, err), -1);

	memset(big, 'x', 300);
	big[300] = '\0';
	CU_ASSERT_EQUAL(enc("root-path", big, true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "255"));
	big[255] = '\0';
	CU_ASSERT_EQUAL(enc("root-path", big, true, o, err), 255);

	CU_ASSERT_EQUAL(enc("domain-search", "example.com, b.example.", true, o, err), 13 + 11);
	CU_ASSERT_EQUAL(memcmp(o, "\x07" "example" "\x03" "com" "\x00"
			       "\x01" "b" "\x07" "example" "\x00", 24), 0);
	CU_ASSERT_EQUAL(enc("domain-search", "a..b", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty label"));
	CU_ASSERT_EQUAL(enc("v4-access-domain", "example.com", true, o, err), 13);
}

static void test_opt_encode_records_hex(void)
{
	uint8_t o[255];
	char err[128];

	/* fqdn: flags, rcode1, rcode2, name */
	CU_ASSERT_EQUAL(enc("fqdn", "1, 0, 0, h.example", true, o, err), 3 + 11);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x00\x00\x01h\x07" "example" "\x00", 14), 0);
	CU_ASSERT_EQUAL(enc("fqdn", "1, 0", true, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "takes 4 values, got 2"));
	/* array of records */
	CU_ASSERT_EQUAL(enc("slp-directory-agent", "true, 192.0.2.1, false, 192.0.2.2", true, o, err), 10);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\xc0\x00\x02\x01\x00\xc0\x00\x02\x02", 10), 0);
	CU_ASSERT_EQUAL(enc("slp-directory-agent", "true, 192.0.2.1, false", true, o, err), -1);
	/* binary last field */
	CU_ASSERT_EQUAL(enc("uuid-guid", "0, 0102ff", true, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x00\x01\x02\xff", 4), 0);

	/* hex forms (csv-format false), also for a defined option */
	CU_ASSERT_EQUAL(enc("routers", "0xC0000201", false, o, err), 4);
	CU_ASSERT_EQUAL(memcmp(o, "\xc0\x00\x02\x01", 4), 0);
	CU_ASSERT_EQUAL(enc(NULL, "01:2:ab", false, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x02\xab", 3), 0);
	CU_ASSERT_EQUAL(enc(NULL, "01 02 ff", true, o, err), 3);
	CU_ASSERT_EQUAL(memcmp(o, "\x01\x02\xff", 3), 0);
	CU_ASSERT_EQUAL(enc(NULL, "abc", false, o, err), 2);
	CU_ASSERT_EQUAL(memcmp(o, "\x0a\xbc", 2), 0);
	CU_ASSERT_EQUAL(enc(NULL, "", false, o, err), 0);
	CU_ASSERT_EQUAL(enc(NULL, "0xzz", false, o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid hex string"));
	CU_ASSERT_EQUAL(enc(NULL, "01::02", false, o, err), -1);
	CU_ASSERT_EQUAL(enc(NULL, "123:4", false, o, err), -1);

	/* RFC 3442 */
	CU_ASSERT_EQUAL(enc("classless-static-route",
			    "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 198.18.0.1", true, o, err),
			1 + 4 + 4 + 1 + 0 + 4);
	CU_ASSERT_EQUAL(memcmp(o, "\x19\x0a\xe5\x00\x80\x0a\xe5\x00\x01"
			       "\x00\xc6\x12\x00\x01", 14), 0);
	CU_ASSERT_EQUAL(enc("classless-static-route", "10.0.0.0/33 - 10.0.0.1", true, o, err), -1);
	CU_ASSERT_EQUAL(enc("classless-static-route", "10.0.0.0 10.0.0.1", true, o, err), -1);
}


/* ---------------------------------------------------------------- helpers */

static struct dhcp4_pkt pkt;

/* Parse the DHCP payload of a golden frame; the frame must be valid. */
static const uint8_t *golden_payload(struct blob *b, size_t *len)
{
	struct net_udp4 u;

	CU_ASSERT_EQUAL_FATAL(net_parse_udp4(b->p, b->n, &u), 0);
	*len = u.payload_len;
	return b->p + u.payload_off;
}

static int parse_golden(struct blob *b)
{
	size_t len;
	const uint8_t *d = golden_payload(b, &len);

	return dhcp4_parse(&pkt, d, len);
}

static bool opt_is(uint8_t code, const void *val, uint16_t len)
{
	uint16_t l = 0xffff;
	const uint8_t *d = dhcp4_opt(&pkt, code, &l);

	return d != NULL && l == len && memcmp(d, val, len) == 0;
}

static void ip_fix_csum(uint8_t *frame)
{
	uint8_t *ip = frame + NET_ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
}

/* A minimal valid request: header, cookie, then `opts`. */
static size_t mkreq(uint8_t *buf, const void *opts, size_t olen)
{
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;

	memset(buf, 0, DHCP4_MIN_LEN);
	h->op = DHCP4_BOOTREQUEST;
	h->htype = 1;
	h->hlen = 6;
	h->xid = htonl(0xdeadbeef);
	memcpy(h->chaddr, "\x02\x00\x5e\x12\x00\x0a", 6);
	h->magic = htonl(DHCP4_MAGIC);
	memcpy(buf + DHCP4_MIN_LEN, opts, olen);
	return DHCP4_MIN_LEN + olen;
}

/* ----------------------------------------------------------- wire: golden */

static const uint8_t prl_dhclient[13] = { 1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42 };

static void test_golden_dhclient(void)
{
	struct blob b = load("dhclient_discover.bin");
	struct net_udp4 u;
	uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x0a };

	CU_ASSERT_EQUAL(net_parse_udp4(b.p, b.n, &u), 0);
	CU_ASSERT_EQUAL(u.src_ip, 0);
	CU_ASSERT_EQUAL(u.dst_ip, 0xffffffffu);
	CU_ASSERT_EQUAL(u.src_port, 68);
	CU_ASSERT_EQUAL(u.dst_port, 67);
	CU_ASSERT_EQUAL(u.payload_off, NET_UDP4_HLEN);
	CU_ASSERT_EQUAL(u.payload_len, 300);
	CU_ASSERT_EQUAL(memcmp(u.src_mac, mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(u.dst_mac, "\xff\xff\xff\xff\xff\xff", 6), 0);

	CU_ASSERT_EQUAL_FATAL(parse_golden(&b), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_DISCOVER);
	CU_ASSERT_EQUAL(ntohl(pkt.hdr->xid), 0x477bd750u);
	CU_ASSERT_EQUAL(pkt.hdr->hlen, 6);
	CU_ASSERT_EQUAL(memcmp(pkt.hdr->chaddr, mac, 6), 0);
	CU_ASSERT_EQUAL(pkt.hdr->ciaddr, 0);
	CU_ASSERT_EQUAL(pkt.overload, 0);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_PRL, prl_dhclient, 13));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_HOSTNAME, "vm", 2));
	CU_ASSERT_FALSE(dhcp4_has_opt(&pkt, DHCP4_OPT_REQ_ADDR));
	CU_ASSERT_PTR_NULL(dhcp4_opt(&pkt, DHCP4_OPT_REQ_ADDR, NULL));
	CU_ASSERT_EQUAL(pkt.n_opts, 3);
	free(b.p);

	b = load("dhclient_request.bin");
	CU_ASSERT_EQUAL_FATAL(parse_golden(&b), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_REQUEST);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_REQ_ADDR, "\xc6\x12\x00\x0a", 4));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_PRL, prl_dhclient, 13));
	CU_ASSERT_FALSE(dhcp4_has_opt(&pkt, DHCP4_OPT_SERVER_ID));  /* INIT-REBOOT */
	free(b.p);
}

static void test_golden_relay(void)
{
	struct blob b = load("relay_request_opt82.bin");
	struct net_udp4 u;
	uint16_t l;
	const uint8_t *rai;

	CU_ASSERT_EQUAL_FATAL(net_parse_udp4(b.p, b.n, &u), 0);
	CU_ASSERT_EQUAL(u.src_ip, 0xc6120101u);
	CU_ASSERT_EQUAL(u.dst_ip, 0xc6120001u);
	CU_ASSERT_EQUAL(u.src_port, 67);
	CU_ASSERT_EQUAL_FATAL(parse_golden(&b), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_REQUEST);
	CU_ASSERT_EQUAL(pkt.hdr->hops, 1);
	CU_ASSERT_EQUAL(ntohl(pkt.hdr->giaddr), 0xc6120101u);
	CU_ASSERT_EQUAL(ntohl(pkt.hdr->xid), 0x11223344u);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_SERVER_ID, "\xc6\x12\x00\x01", 4));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_REQ_ADDR, "\xc6\x12\x02\x14", 4));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_CLIENT_ID, "\x01\x02\x00\x5e\x12\x0a\x0b", 7));
	rai = dhcp4_opt(&pkt, DHCP4_OPT_RAI, &l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rai);
	CU_ASSERT_EQUAL_FATAL(l, 8 + 8 + 6);
	CU_ASSERT_EQUAL(memcmp(rai, "\x01\x06" "eth0/1" "\x02\x06", 10), 0);
	CU_ASSERT_EQUAL(memcmp(rai + 16, "\x05\x04\xc6\x12\x02\x00", 6), 0);
	free(b.p);
}

static void test_golden_overload(void)
{
	struct blob b = load("overload_discover.bin");
	size_t len;
	uint8_t *d = (uint8_t *)golden_payload(&b, &len);
	uint8_t *ov = NULL;

	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, d, len), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_DISCOVER);
	CU_ASSERT_EQUAL(pkt.overload, 3);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_HOSTNAME, "host1", 5));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_PRL, "\x01\x03\x06", 3));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_VENDOR_CLASS, "PXEClnt", 7));
	/* The option values point into file and sname. */
	CU_ASSERT_PTR_EQUAL(dhcp4_opt(&pkt, DHCP4_OPT_HOSTNAME, NULL),
			    (const uint8_t *)pkt.hdr->file + 2);
	CU_ASSERT_PTR_EQUAL(dhcp4_opt(&pkt, DHCP4_OPT_VENDOR_CLASS, NULL),
			    (const uint8_t *)pkt.hdr->sname + 2);

	for (size_t i = DHCP4_MIN_LEN; i + 2 < len; i++)
		if (d[i] == 52 && d[i + 1] == 1)
			ov = d + i + 2;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ov);
	*ov = 1;        /* file only */
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, d, len), 0);
	CU_ASSERT_TRUE(dhcp4_has_opt(&pkt, DHCP4_OPT_HOSTNAME));
	CU_ASSERT_FALSE(dhcp4_has_opt(&pkt, DHCP4_OPT_VENDOR_CLASS));
	*ov = 2;        /* sname only */
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, d, len), 0);
	CU_ASSERT_FALSE(dhcp4_has_opt(&pkt, DHCP4_OPT_HOSTNAME));
	CU_ASSERT_TRUE(dhcp4_has_opt(&pkt, DHCP4_OPT_VENDOR_CLASS));
	*ov = 4;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, d, len), -DHCP4_ERR_BAD_OVERLOAD);
	*ov = 0;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, d, len), -DHCP4_ERR_BAD_OVERLOAD);
	/* Overload inside the overloaded area is refused. */
	*ov = 1;
	d[offsetof(struct dhcp4_hdr, file)] = 52;
	d[offsetof(struct dhcp4_hdr, file) + 1] = 1;
	d[offsetof(struct dhcp4_hdr, file) + 2] = 3;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, d, len), -DHCP4_ERR_BAD_OVERLOAD);
	free(b.p);
}

static void test_golden_split(void)
{
	struct blob b = load("split_discover.bin");
	uint8_t v43[300];
	uint16_t l;
	const uint8_t *d;

	for (int i = 0; i < 300; i++)
		v43[i] = (uint8_t)i;
	CU_ASSERT_EQUAL_FATAL(parse_golden(&b), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_DISCOVER);
	d = dhcp4_opt(&pkt, 43, &l);
	CU_ASSERT_EQUAL_FATAL(l, 300);
	CU_ASSERT_EQUAL(memcmp(d, v43, 300), 0);
	CU_ASSERT_TRUE(d >= pkt.concat && d + l <= pkt.concat + pkt.concat_len);
	CU_ASSERT_TRUE(opt_is(77, "abcde", 5));
	CU_ASSERT_EQUAL(pkt.concat_len, 300 + 5);
	CU_ASSERT_EQUAL(pkt.n_opts, 3);
	free(b.p);
}

/* Every prefix of every golden payload, each in a buffer of exactly that
 * size so valgrind / ASan see any read past the end. */
static void test_truncations(void)
{
	static const char *const files[] = {
		"dhclient_discover.bin", "dhclient_request.bin", "relay_request_opt82.bin",
		"overload_discover.bin", "split_discover.bin",
	};
	unsigned ok = 0, err = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct blob b = load(files[f]);
		size_t plen;
		const uint8_t *payload = golden_payload(&b, &plen);

		for (size_t n = 0; n < plen; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			int rc;

			memcpy(copy, payload, n);
			rc = dhcp4_parse(&pkt, copy, n);
			CU_ASSERT(rc <= 0 && rc > -DHCP4_ERR_MAX);
			if (n < DHCP4_MIN_LEN)
				CU_ASSERT_EQUAL(rc, -DHCP4_ERR_TRUNCATED);
			if (rc == 0) {
				ok++;
				CU_ASSERT(pkt.msg_type >= 1 && pkt.msg_type <= 8);
				for (int i = 0; i < pkt.n_opts; i++) {
					const struct dhcp4_opt_ref *o = &pkt.opts[i];
					bool in_pkt = o->data >= copy && o->data + o->len <= copy + n;
					bool in_cat = o->data >= pkt.concat &&
						      o->data + o->len <= pkt.concat + pkt.concat_len;

					CU_ASSERT(in_pkt || in_cat);
				}
			} else {
				err++;
			}
			free(copy);
		}
		/* Frame truncations: the IP total length no longer fits. */
		for (size_t n = 0; n < b.n; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct net_udp4 u;

			memcpy(copy, b.p, n);
			CU_ASSERT(net_parse_udp4(copy, n, &u) < 0);
			free(copy);
		}
		free(b.p);
	}
	/* Both outcomes happen: e.g. the dhclient DISCOVER stays valid once
	 * its END and padding are cut (missing END is tolerated). */
	CU_ASSERT(ok > 0);
	CU_ASSERT(err > 0);
}

/* ------------------------------------------------------- wire: malformed */

static void test_malformed(void)
{
	static uint8_t buf[2048];
	struct dhcp4_hdr *h = (struct dhcp4_hdr *)buf;
	size_t n;

	n = mkreq(buf, "\x35\x01\x03\xff", 4);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_REQUEST);

	h->magic = htonl(0x63825364);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MAGIC);
	h->magic = htonl(DHCP4_MAGIC);
	h->hlen = 17;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_HLEN);
	h->hlen = 16;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	h->op = DHCP4_BOOTREPLY;
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_OP);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, DHCP4_MIN_LEN - 1), -DHCP4_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, NULL, 0), -DHCP4_ERR_TRUNCATED);

	/* option 53 missing, wrong length, out of range */
	n = mkreq(buf, "\x0c\x02vm\xff", 5);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_NO_MSG_TYPE);
	n = mkreq(buf, "", 0);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_NO_MSG_TYPE);
	n = mkreq(buf, "\x35\x01\x00\xff", 4);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MSG_TYPE);
	n = mkreq(buf, "\x35\x01\x09\xff", 4);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MSG_TYPE);
	n = mkreq(buf, "\x35\x01\x08\xff", 4);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	n = mkreq(buf, "\x35\x02\x01\x01\xff", 5);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MSG_TYPE);
	n = mkreq(buf, "\x35\x00\xff", 3);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MSG_TYPE);
	/* 53 sent twice is joined (RFC 3396) into two bytes: invalid */
	n = mkreq(buf, "\x35\x01\x01\x35\x01\x01\xff", 7);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_BAD_MSG_TYPE);

	/* lengths running past the end; a code byte with no length byte */
	n = mkreq(buf, "\x35\x01\x01\x0c\x05vm", 7);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_OPT_OVERRUN);
	n = mkreq(buf, "\x35\x01\x01\x0c", 4);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_OPT_OVERRUN);
	n = mkreq(buf, "\x35\x01\x01\x0c\xff", 5);   /* length 255, 0 bytes left */
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_OPT_OVERRUN);

	/* END missing at the exact end: accepted; garbage after END ignored */
	n = mkreq(buf, "\x00\x00\x35\x01\x01\x0c\x02vm", 9);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_HOSTNAME, "vm", 2));
	n = mkreq(buf, "\x35\x01\x01\xff\x0c\x40xx", 8);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_FALSE(dhcp4_has_opt(&pkt, DHCP4_OPT_HOSTNAME));

	/* zero-length options are valid (e.g. rapid commit) */
	n = mkreq(buf, "\x50\x00\x35\x01\x01\x3d\x00\xff", 8);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_TRUE(dhcp4_has_opt(&pkt, DHCP4_OPT_RAPID_COMMIT));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_RAPID_COMMIT, "", 0));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_CLIENT_ID, "", 0));
	/* zero-length first piece then a real one */
	n = mkreq(buf, "\x3d\x00\x35\x01\x01\x3d\x02\x01\x02\xff", 10);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_CLIENT_ID, "\x01\x02", 2));

	/* More distinct codes than opts[] holds. */
	{
		uint8_t o[3 * 100 + 3];
		size_t k = 0;

		o[k++] = 53; o[k++] = 1; o[k++] = 1;
		for (int c = 1; c <= DHCP4_MAX_OPTS; c++) {
			o[k++] = (uint8_t)(c == 52 || c == 53 ? 150 + c : c);
			o[k++] = 1;
			o[k++] = 0;
		}
		n = mkreq(buf, o, k);
		CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_TOO_MANY_OPTS);
		n = mkreq(buf, o, k - 3);   /* exactly DHCP4_MAX_OPTS */
		CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
		CU_ASSERT_EQUAL(pkt.n_opts, DHCP4_MAX_OPTS);
	}

	/* Concatenation beyond pkt.concat: five pieces of 255 bytes. */
	{
		uint8_t o[5 * 257 + 3];
		size_t k = 0;

		o[k++] = 53; o[k++] = 1; o[k++] = 1;
		for (int i = 0; i < 5; i++) {
			o[k++] = 43;
			o[k++] = 255;
			memset(o + k, i, 255);
			k += 255;
		}
		n = mkreq(buf, o, k);
		CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), -DHCP4_ERR_OPT_OVERRUN);
		n = mkreq(buf, o, k - 257);  /* four pieces fit exactly */
		CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
		CU_ASSERT_EQUAL(pkt.concat_len, 1020);
	}

	/* Interleaved repeats are each joined contiguously. */
	n = mkreq(buf, "\x35\x01\x01\x0c\x01" "a" "\x3c\x01" "x" "\x0c\x01" "b"
		       "\x3c\x01" "y" "\x0c\x01" "c" "\xff", 19);
	CU_ASSERT_EQUAL(dhcp4_parse(&pkt, buf, n), 0);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_HOSTNAME, "abc", 3));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_VENDOR_CLASS, "xy", 2));

	CU_ASSERT_STRING_EQUAL(dhcp4_parse_err_name(-DHCP4_ERR_BAD_MAGIC), "bad-magic");
	CU_ASSERT_STRING_EQUAL(dhcp4_parse_err_name(DHCP4_ERR_OPT_OVERRUN), "option-overrun");
	CU_ASSERT_STRING_EQUAL(dhcp4_parse_err_name(0), "ok");
	CU_ASSERT_STRING_EQUAL(dhcp4_parse_err_name(-DHCP4_ERR_MAX), "unknown");
}

/* -------------------------------------------------------- wire: builder */

static void test_builder_roundtrip(void)
{
	struct blob b = load("relay_request_opt82.bin");
	static uint8_t out[1500];
	struct dhcp4_build bld;
	struct dhcp4_hdr *h;
	struct dhcp4_hdr req;
	uint8_t big[600];
	uint32_t lt = htonl(3600);
	size_t n;
	uint16_t l;
	const uint8_t *d;

	CU_ASSERT_EQUAL_FATAL(parse_golden(&b), 0);
	memcpy(&req, pkt.hdr, sizeof(req));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);

	memset(out, 0xaa, sizeof(out));
	dhcp4_build_init(&bld, out, sizeof(out), &req, DHCP4_ACK);
	CU_ASSERT_FALSE(bld.overflow);
	CU_ASSERT_TRUE(dhcp4_build_has(&bld, DHCP4_OPT_MSG_TYPE));
	h = dhcp4_build_hdr(&bld);
	h->yiaddr = htonl(0xc6120214);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, DHCP4_OPT_SERVER_ID, "\xc6\x12\x00\x01", 4), 0);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, DHCP4_OPT_LEASE_TIME, &lt, 4), 0);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, DHCP4_OPT_RAPID_COMMIT, NULL, 0), 0);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, 43, big, sizeof(big)), 0);  /* 3 pieces */
	d = dhcp4_opt(&pkt, DHCP4_OPT_RAI, &l);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, DHCP4_OPT_RAI, d, l), 0);
	CU_ASSERT_TRUE(dhcp4_build_has(&bld, 43));
	CU_ASSERT_FALSE(dhcp4_build_has(&bld, DHCP4_OPT_ROUTERS));
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, DHCP4_OPT_END, NULL, 0), -EINVAL);
	n = dhcp4_build_finish(&bld);
	CU_ASSERT_EQUAL(n, DHCP4_MIN_LEN + 3 + 6 + 6 + 2 + (600 + 3 * 2) + (2 + l) + 1);
	CU_ASSERT_EQUAL(out[n], 0xaa);       /* nothing written past the end */

	h = (struct dhcp4_hdr *)out;
	CU_ASSERT_EQUAL(h->op, DHCP4_BOOTREPLY);
	CU_ASSERT_EQUAL(h->xid, req.xid);
	CU_ASSERT_EQUAL(h->giaddr, req.giaddr);
	CU_ASSERT_EQUAL(h->flags, req.flags);
	CU_ASSERT_EQUAL(h->htype, 1);
	CU_ASSERT_EQUAL(h->hlen, 6);
	CU_ASSERT_EQUAL(h->hops, 0);
	CU_ASSERT_EQUAL(h->ciaddr, 0);
	CU_ASSERT_EQUAL(memcmp(h->chaddr, req.chaddr, 16), 0);
	CU_ASSERT_EQUAL(h->sname[0], 0);
	CU_ASSERT_EQUAL(out[DHCP4_MIN_LEN + 3 + 6 + 6 + 2], 43);
	CU_ASSERT_EQUAL(out[DHCP4_MIN_LEN + 3 + 6 + 6 + 2 + 1], 255);

	/* Parse it back (the parser only takes requests). */
	h->op = DHCP4_BOOTREQUEST;
	CU_ASSERT_EQUAL_FATAL(dhcp4_parse(&pkt, out, n), 0);
	CU_ASSERT_EQUAL(pkt.msg_type, DHCP4_ACK);
	CU_ASSERT_EQUAL(ntohl(pkt.hdr->yiaddr), 0xc6120214u);
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_SERVER_ID, "\xc6\x12\x00\x01", 4));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_LEASE_TIME, &lt, 4));
	CU_ASSERT_TRUE(opt_is(DHCP4_OPT_RAPID_COMMIT, "", 0));
	CU_ASSERT_TRUE(opt_is(43, big, sizeof(big)));
	CU_ASSERT_EQUAL(dhcp4_opt(&pkt, DHCP4_OPT_RAI, &l)[0], 1);
	CU_ASSERT_EQUAL(l, 22);

	/* Short replies are padded to the BOOTP minimum. */
	memset(out, 0xaa, sizeof(out));
	dhcp4_build_init(&bld, out, sizeof(out), &req, DHCP4_NAK);
	n = dhcp4_build_finish(&bld);
	CU_ASSERT_EQUAL(n, DHCP4_BOOTP_MIN);
	CU_ASSERT_EQUAL(out[DHCP4_MIN_LEN + 3], DHCP4_OPT_END);
	CU_ASSERT_EQUAL(out[DHCP4_BOOTP_MIN - 1], 0);
	CU_ASSERT_EQUAL(out[DHCP4_BOOTP_MIN], 0xaa);
	free(b.p);
}

static void test_builder_overflow(void)
{
	static uint8_t out[DHCP4_BOOTP_MIN + 64];
	struct dhcp4_build bld;
	struct dhcp4_hdr req;
	uint8_t v[255];
	int rc = 0, added = 0;

	memset(&req, 0, sizeof(req));
	memset(v, 0x11, sizeof(v));
	memset(out, 0xaa, sizeof(out));
	dhcp4_build_init(&bld, out, DHCP4_BOOTP_MIN, &req, DHCP4_OFFER);
	/* 300 - 240 - 3 (53) - 1 (END) = 56 bytes of room: 5 options of 10. */
	while ((rc = dhcp4_build_opt(&bld, (uint8_t)(10 + added), v, 8)) == 0)
		added++;
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT_EQUAL(added, 5);
	CU_ASSERT_TRUE(bld.overflow);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, 1, v, 1), -ENOSPC);  /* sticky */
	CU_ASSERT_EQUAL(dhcp4_build_finish(&bld), 0);
	for (size_t i = DHCP4_BOOTP_MIN; i < sizeof(out); i++)
		CU_ASSERT_EQUAL(out[i], 0xaa);

	/* An exact fit leaves room for END. */
	dhcp4_build_init(&bld, out, DHCP4_BOOTP_MIN, &req, DHCP4_OFFER);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, 43, v, 54), 0);
	CU_ASSERT_EQUAL(dhcp4_build_finish(&bld), DHCP4_BOOTP_MIN);
	CU_ASSERT_EQUAL(out[DHCP4_BOOTP_MIN - 1], DHCP4_OPT_END);
	dhcp4_build_init(&bld, out, DHCP4_BOOTP_MIN, &req, DHCP4_OFFER);
	CU_ASSERT_EQUAL(dhcp4_build_opt(&bld, 43, v, 55), -ENOSPC);

	/* A buffer too small for the header is an overflow, not a write. */
	memset(out, 0xaa, sizeof(out));
	dhcp4_build_init(&bld, out, 100, &req, DHCP4_OFFER);
	CU_ASSERT_TRUE(bld.overflow);
	CU_ASSERT_EQUAL(out[0], 0xaa);
	CU_ASSERT_EQUAL(dhcp4_build_finish(&bld), 0);
}

/* -------------------------------------------------------------------- net */

static void test_net_build_golden(void)
{
	static const char *const files[] = { "built_offer.bin", "built_odd.bin" };

	for (int f = 0; f < 2; f++) {
		struct blob b = load(files[f]);
		struct net_udp4 u;
		uint8_t *frame = calloc(1, b.n + 16);
		size_t n;

		CU_ASSERT_EQUAL_FATAL(net_parse_udp4(b.p, b.n, &u), 0);
		memcpy(frame + NET_UDP4_HLEN, b.p + u.payload_off, u.payload_len);
		n = net_build_udp4(frame, u.src_mac, u.dst_mac, u.src_ip, u.dst_ip,
				   u.src_port, u.dst_port, u.payload_len);
		CU_ASSERT_EQUAL(n, b.n);
		/* Byte for byte what scapy made, checksums included. */
		CU_ASSERT_EQUAL(memcmp(frame, b.p, b.n), 0);
		CU_ASSERT_EQUAL(net_parse_udp4(frame, n, &u), 0);
		free(frame);
		free(b.p);
	}
}

static void test_net_parse_errors(void)
{
	struct blob b = load("built_offer.bin");
	struct blob o = load("ip_options_nocsum.bin");
	struct net_udp4 u;
	uint8_t *f = malloc(b.n + 64), *ip = f + NET_ETH_HLEN;

#define RESET() memcpy(f, b.p, b.n)
	RESET();
	CU_ASSERT_EQUAL(net_ethertype(f, b.n), 0x0800);
	CU_ASSERT_EQUAL(net_ethertype(f, 13), 0);
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), 0);
	/* Ethernet padding after the datagram is fine. */
	memset(f + b.n, 0, 64);
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n + 64, &u), 0);
	CU_ASSERT_EQUAL(u.payload_len, b.n - NET_UDP4_HLEN);

	CU_ASSERT_EQUAL(net_parse_udp4(f, 33, &u), -NET_ERR_SHORT);
	f[12] = 0x86; f[13] = 0xdd;
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_NOT_IP4);
	RESET();
	ip[11] ^= 1;                                   /* IP checksum */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_CSUM);
	RESET();
	f[b.n - 1] ^= 0x40;                            /* payload vs UDP checksum */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_CSUM);
	CU_ASSERT_EQUAL(net_parse_udp4_flags(f, b.n, &u, NET_PARSE_NO_UDP_CSUM), 0);
	ip[11] ^= 1;                                   /* the IP one is still checked */
	CU_ASSERT_EQUAL(net_parse_udp4_flags(f, b.n, &u, NET_PARSE_NO_UDP_CSUM), -NET_ERR_BAD_CSUM);
	RESET();
	ip[0] = 0x44; ip_fix_csum(f);                  /* IHL 4 */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_IP_HDR);
	RESET();
	ip[0] = 0x65; ip_fix_csum(f);                  /* version 6 */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_IP_HDR);
	RESET();
	ip[2] = 0x05; ip_fix_csum(f);                  /* total length > frame */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_IP_HDR);
	RESET();
	ip[6] = 0x20; ip_fix_csum(f);                  /* MF */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_IP_FRAGMENT);
	RESET();
	ip[7] = 0x01; ip_fix_csum(f);                  /* offset */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_IP_FRAGMENT);
	RESET();
	ip[6] = 0x40; ip_fix_csum(f);                  /* DF alone is fine */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), 0);
	RESET();
	ip[9] = 6; ip_fix_csum(f);                     /* TCP */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_NOT_UDP);
	RESET();
	ip[24] = 0x7f;                                 /* UDP length > IP payload */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	ip[24] = 0; ip[25] = 7;                        /* UDP length < 8 */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
	RESET();
	ip[2] = 0; ip[3] = 24; ip_fix_csum(f);         /* no room for UDP header */
	CU_ASSERT_EQUAL(net_parse_udp4(f, b.n, &u), -NET_ERR_BAD_UDP_LEN);
#undef RESET

	/* IHL 6 and a zero UDP checksum (not verified, so payload edits pass). */
	CU_ASSERT_EQUAL_FATAL(net_parse_udp4(o.p, o.n, &u), 0);
	CU_ASSERT_EQUAL(u.payload_off, NET_ETH_HLEN + 24 + 8);
	CU_ASSERT_EQUAL(u.payload_len, 5);
	CU_ASSERT_EQUAL(memcmp(o.p + u.payload_off, "hello", 5), 0);
	o.p[o.n - 1] ^= 1;
	CU_ASSERT_EQUAL(net_parse_udp4(o.p, o.n, &u), 0);

	CU_ASSERT_STRING_EQUAL(net_err_name(-NET_ERR_IP_FRAGMENT), "ip-fragment");
	CU_ASSERT_STRING_EQUAL(net_err_name(NET_ERR_MAX), "unknown");
	free(f);
	free(b.p);
	free(o.p);
}

static void test_net_arp(void)
{
	struct blob rq = load("arp_request.bin");
	struct blob rp = load("arp_reply.bin");
	static const uint8_t my_mac[6] = { 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01 };
	uint8_t f[64];

	CU_ASSERT_EQUAL_FATAL(rq.n, rp.n);
	memcpy(f, rq.p, rq.n);
	CU_ASSERT_EQUAL(net_ethertype(f, rq.n), 0x0806);
	CU_ASSERT_EQUAL(net_arp_reply(f, rq.n, 0xc6120001u, my_mac), rq.n);
	CU_ASSERT_EQUAL(memcmp(f, rp.p, rp.n), 0);

	/* Not for us, a reply, too short, announcing our own address: untouched. */
	memcpy(f, rq.p, rq.n);
	CU_ASSERT_EQUAL(net_arp_reply(f, rq.n, 0xc6120002u, my_mac), 0);
	CU_ASSERT_EQUAL(memcmp(f, rq.p, rq.n), 0);
	CU_ASSERT_EQUAL(net_arp_reply(f, rq.n - 1, 0xc6120001u, my_mac), 0);
	CU_ASSERT_EQUAL(memcmp(f, rq.p, rq.n), 0);
	memcpy(f, rp.p, rp.n);
	CU_ASSERT_EQUAL(net_arp_reply(f, rp.n, 0xc6120001u, my_mac), 0);
	CU_ASSERT_EQUAL(net_arp_reply(f, rp.n, 0xc612000au, my_mac), 0);
	memcpy(f, rq.p, rq.n);
	memcpy(f + NET_ETH_HLEN + 14, "\xc6\x12\x00\x01", 4);
	CU_ASSERT_EQUAL(net_arp_reply(f, rq.n, 0xc6120001u, my_mac), 0);
	free(rq.p);
	free(rp.p);
}

/* net_ip4_parse against inet_pton, the strict form it promises: fixed
 * cases, then random strings over the characters a quad is made of. */
static void test_net_ip4_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		uint32_t v;
	} cases[] = {
		{ "0.0.0.0", 1, 0 }, { "255.255.255.255", 1, 0xffffffffu },
		{ "198.18.0.1", 1, 0xc6120001u }, { "10.0.0.255", 1, 0x0a0000ffu },
		{ "256.0.0.1", 0, 0 }, { "1.2.3", 0, 0 }, { "1.2.3.4.5", 0, 0 },
		{ "01.2.3.4", 0, 0 }, { "1.2.3.04", 0, 0 }, { "1.2.3.0004", 0, 0 },
		{ " 1.2.3.4", 0, 0 }, { "1.2.3.4 ", 0, 0 }, { "1.2.3.4x", 0, 0 },
		{ "1..3.4", 0, 0 }, { ".1.2.3", 0, 0 }, { "1.2.3.", 0, 0 }, { "", 0, 0 },
		{ "0x1.2.3.4", 0, 0 }, { "1.2.3.-4", 0, 0 }, { "1.2.3.1000", 0, 0 },
	};
	static const char alphabet[] = "0123456789..1 ";
	unsigned seed = 4242, bad = 0;
	uint32_t v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0x5a5a5a5a;
		CU_ASSERT_EQUAL(net_ip4_parse(cases[i].s, &v), cases[i].ok ? 0 : -EINVAL);
		CU_ASSERT_EQUAL(v, cases[i].ok ? cases[i].v : 0x5a5a5a5a);
	}
	/* bounded: the characters after n do not count, and need no NUL */
	CU_ASSERT_EQUAL(net_ip4_parse_n("10.1.2.3,4", 8, &v), 0);
	CU_ASSERT_EQUAL(v, 0x0a010203u);
	CU_ASSERT_EQUAL(net_ip4_parse_n("10.1.2.34", 8, &v), 0);
	CU_ASSERT_EQUAL(v, 0x0a010203u);
	CU_ASSERT_EQUAL(net_ip4_parse_n("10.1.2.34", 7, &v), -EINVAL);
	CU_ASSERT_EQUAL(net_ip4_parse_n("1.2.3.4\0", 8, &v), -EINVAL);

	for (int k = 0; k < 200000; k++) {
		char s[20];
		size_t n;
		struct in_addr a;
		int want, got;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 18;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		s[n] = '\0';
		want = inet_pton(AF_INET, s, &a) == 1;
		got = net_ip4_parse(s, &v) == 0;
		if (want != got || (want && v != ntohl(a.s_addr)))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* ------------------------------------------------------------------- main */

/* The UDP and IP checksums of built frames against the reference, for
 * every payload length up to 1,500 bytes at every alignment of the frame
 * (the vector and word paths split the data differently each time). */
static void test_net_csum_reference(void)
{
	static uint8_t buf[8 + NET_UDP4_HLEN + 1500];
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	unsigned bad = 0, seed = 12345;

	for (size_t len = 0; len <= 1500; len++) {
		for (unsigned off = 0; off < 8; off++) {
			uint8_t *f = buf + off, *ip = f + 14, *udp = ip + 20, pseudo[12];
			uint32_t src = 0xc6120001 + (uint32_t)len, dst = 0xc612ff00 | off, sum = 0;
			uint16_t want, got;

			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				f[NET_UDP4_HLEN + i] = (uint8_t)(seed >> 16);
			}
			CU_ASSERT_EQUAL_FATAL(net_build_udp4(f, mac_a, mac_b, src, dst, 67, 68, len),
					      NET_UDP4_HLEN + len);
			/* pseudo header: src, dst, zero, protocol, UDP length */
			memcpy(pseudo, ip + 12, 8);
			pseudo[8] = 0;
			pseudo[9] = 17;
			memcpy(pseudo + 10, udp + 4, 2);
			for (size_t i = 0; i < 12; i += 2)
				sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
			memcpy(&got, udp + 6, 2);
			udp[6] = udp[7] = 0;
			want = ref_csum(udp, 8 + len, sum);
			if (want == 0)
				want = 0xffff;
			if (ntohs(got) != want)
				bad++;
			memcpy(&got, ip + 10, 2);
			ip[10] = ip[11] = 0;
			if (ntohs(got) != ref_csum(ip, 20, 0))
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;

	s = CU_add_suite("dhcp4_options", NULL, NULL);
	CU_add_test(s, "lookup", test_opt_lookup);
	CU_add_test(s, "encode scalars", test_opt_encode_scalars);
	CU_add_test(s, "encode strings and fqdn", test_opt_encode_strings);
	CU_add_test(s, "encode records and hex", test_opt_encode_records_hex);

	s = CU_add_suite("dhcp4_wire", NULL, NULL);
	CU_add_test(s, "golden dhclient DISCOVER/REQUEST", test_golden_dhclient);
	CU_add_test(s, "golden relayed REQUEST with option 82", test_golden_relay);
	CU_add_test(s, "golden option overload", test_golden_overload);
	CU_add_test(s, "golden RFC 3396 split options", test_golden_split);
	CU_add_test(s, "every truncation", test_truncations);
	CU_add_test(s, "malformed", test_malformed);
	CU_add_test(s, "builder round trip", test_builder_roundtrip);
	CU_add_test(s, "builder overflow", test_builder_overflow);

	s = CU_add_suite("net", NULL, NULL);
	CU_add_test(s, "build matches scapy", test_net_build_golden);
	CU_add_test(s, "parse errors", test_net_parse_errors);
	CU_add_test(s, "ARP reply", test_net_arp);
	CU_add_test(s, "IPv4 dotted quads, against inet_pton", test_net_ip4_parse);
	CU_add_test(s, "checksums against RFC 1071, every length and alignment", test_net_csum_reference);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
