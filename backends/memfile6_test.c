/* Kea's DHCPv6 lease-file CSV and the memfile backend's v6 file: the
 * real Kea 2.2 file, every field, old schemas, bad lines. */
#include <arpa/inet.h>

#include "backend_test.h"

/* ---- CSV ------------------------------------------------------------ */

/* The user_context column (15th) of a Kea line emptied: what we write
 * back for it. */
static size_t drop_context(const char *line, size_t len, char *out)
{
	size_t i, k = 0;
	int col = 0;

	for (i = 0; i < len; i++) {
		if (line[i] == ',')
			col++;
		else if (col == 14)
			continue;
		out[k++] = line[i];
	}
	return k;
}

/* Every line kea-dhcp6 2.2 wrote parses and formats back byte for byte
 * (the user_context, which we do not keep, written empty). */
void test_csv6_kea_lines(void)
{
	FILE *fp = fopen(FIXTURE6, "r");
	char line[2048], want[2048], buf[LEASE_CSV_LINE_MAX];
	unsigned n = 0, ctx = 0;
	struct lease6_rec r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof(line), fp));
	CU_ASSERT_EQUAL(strlen(line), strlen(lease6_csv_header) + 1);
	CU_ASSERT_NSTRING_EQUAL(line, lease6_csv_header, strlen(lease6_csv_header));
	while (fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line), wl;
		int trunc = 1, k;

		CU_ASSERT_FATAL(len > 1 && line[len - 1] == '\n');
		wl = drop_context(line, len, want);
		ctx += wl != len;
		CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(line, len - 1, &r, &trunc), 0);
		CU_ASSERT_EQUAL(trunc, 0);
		k = lease6_csv_format(&r, buf, sizeof(buf));
		CU_ASSERT_EQUAL(k, (int)wl);
		if (k != (int)wl || memcmp(buf, want, wl) != 0)
			fprintf(stderr, "\n  kea: %.*s  ours: %.*s", (int)wl, want, k > 0 ? k : 0, buf);
		CU_ASSERT_EQUAL(memcmp(buf, want, wl), 0);
		n++;
	}
	fclose(fp);
	CU_ASSERT_EQUAL(n, 30);
	CU_ASSERT_EQUAL(ctx, 1);
}

void test_csv6_fields(void)
{
	/* Lines of the fixture, as kea-dhcp6 2.2 wrote them. */
	static const char na[] =
		"2001:db8:1::a,00:01:00:01:2b:3c:4d:5e:0a:0b:0c:0d:0e:01,4000,1800000000,1,3000,0,1234,128,1,0,"
		"host&#x2cwith&#x2ccommas.example,0a:0b:0c:0d:0e:01,0,,1,0";
	static const char pd[] =
		"2001:db8:100::,00:01:00:01:32:a9:0f:48:00:0c:01:02:03:04,4000,1796629095,1,3000,2,1,56,0,0,,"
		"00:0c:01:02:03:04,0,,1,2";
	static const char declined[] = "2001:db8:1::c,00,3600,1800000003,1,0,0,0,128,0,0,,,1,,,";
	static const char ta[] =
		"2001:db8:1::b,00:01:00:01:2b:3c:4d:5e:0a:0b:0c:0d:0e:02,300,1800000001,1,200,1,1,128,0,0,,,0,,,";
	struct lease6_rec r;
	char buf[LEASE_CSV_LINE_MAX];
	int trunc;

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(na, sizeof(na) - 1, &r, &trunc), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(r.addr, a6(0x20010db800010000ull, 0xa)));
	CU_ASSERT_EQUAL(r.duid_len, 14);
	CU_ASSERT_EQUAL(r.duid[1], 1);
	CU_ASSERT_EQUAL(r.duid[13], 1);
	CU_ASSERT_EQUAL(r.valid_lft, 4000);
	CU_ASSERT_EQUAL(r.expire, 1800000000u);
	CU_ASSERT_EQUAL(r.subnet_id, 1);
	CU_ASSERT_EQUAL(r.pref_lft, 3000);
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_NA);
	CU_ASSERT_EQUAL(r.iaid, 1234);
	CU_ASSERT_EQUAL(r.prefix_len, 128);
	CU_ASSERT_EQUAL(r.fqdn_fwd, 1);
	CU_ASSERT_EQUAL(r.fqdn_rev, 0);
	CU_ASSERT_STRING_EQUAL(r.hostname, "host,with,commas.example");
	CU_ASSERT_EQUAL(r.hostname_len, 24);
	CU_ASSERT_EQUAL(r.hwaddr_len, 6);
	CU_ASSERT_EQUAL(r.hwaddr[5], 1);
	CU_ASSERT_EQUAL(r.state, 0);
	CU_ASSERT_EQUAL(r.hwtype, 1);
	CU_ASSERT_EQUAL(r.hwaddr_source, 0);

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(pd, sizeof(pd) - 1, &r, &trunc), 0);
	CU_ASSERT_TRUE(lease_addr6_eq(r.addr, a6(0x20010db801000000ull, 0)));
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_PD);
	CU_ASSERT_EQUAL(r.prefix_len, 56);
	CU_ASSERT_EQUAL(r.hwaddr_source, 2);          /* HWADDR_SOURCE_DUID */

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(declined, sizeof(declined) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.duid_len, 0);
	CU_ASSERT_EQUAL(r.state, 1);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL(r.hwtype, 0);

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(ta, sizeof(ta) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_TA);
	CU_ASSERT_EQUAL(lease6_csv_format(&r, buf, 40), -ENOSPC);
	CU_ASSERT_EQUAL(lease6_csv_format(&r, buf, sizeof(buf)), (int)sizeof(ta));
}

void test_csv6_roundtrip(void)
{
	struct lease6_rec in[7], out;
	char buf[LEASE_CSV_LINE_MAX];
	unsigned i;
	int n, trunc;

	rec6_init(&in[0], a6(0x20010db800010000ull, 1), 3600, 0);
	/* longest DUID and hwaddr, every flag, every maximum, PD /0 */
	rec6_init(&in[1], a6(~0ull, ~0ull - 1), UINT32_MAX, 1);
	in[1].duid_len = LEASE_DUID_MAX;
	for (i = 0; i < LEASE_DUID_MAX; i++)
		in[1].duid[i] = (uint8_t)(i * 7 + 3);
	in[1].hwaddr_len = LEASE6_HWADDR_MAX;
	for (i = 0; i < LEASE6_HWADDR_MAX; i++)
		in[1].hwaddr[i] = (uint8_t)(0xe0 + i);
	in[1].hwtype = UINT16_MAX;
	in[1].hwaddr_source = UINT32_MAX;
	in[1].expire = in[1].subnet_id = in[1].pref_lft = in[1].iaid = UINT32_MAX;
	in[1].type = LEASE6_TYPE_PD;
	in[1].prefix_len = 0;
	in[1].fqdn_fwd = in[1].fqdn_rev = 1;
	/* 63-byte hostname of what must be escaped */
	memset(in[1].hostname, ',', 63);
	memcpy(in[1].hostname + 10, "\n&#x2c", 6);
	in[1].hostname[63] = '\0';
	in[1].hostname_len = 63;
	/* declined: Kea's empty DUID "00", no hwaddr */
	rec6_init(&in[2], a6(0x20010db800010000ull, 0xc), 3600, 1);
	in[2].duid_len = 0;
	in[2].hwaddr_len = 0;
	in[2].hwtype = 0;
	in[2].hwaddr_source = 0;
	in[2].hostname_len = 0;
	in[2].hostname[0] = '\0';
	/* deleted and expired-reclaimed, a one-byte DUID, IA_TA */
	rec6_init(&in[3], a6(1, 0), 0, 2);
	in[3].duid_len = 1;
	in[3].duid[0] = 0x42;
	in[3].type = LEASE6_TYPE_TA;
	/* ::1, a '&' kept as it is */
	rec6_init(&in[4], a6(0, 1), 1, 0);
	in[4].hostname_len = (uint8_t)snprintf(in[4].hostname, sizeof(in[4].hostname), "a&b.example");
	/* a v4-mapped address (inet_ntop writes it dotted), a /56 */
	rec6_init(&in[5], a6(0, 0xffff0a000001ull), 60, 0);
	in[5].type = LEASE6_TYPE_PD;
	in[5].prefix_len = 56;
	rec6_init(&in[6], a6(0xfe80000000000000ull, 0x0200000000000001ull), 7200, 0);
	memset(in[6].hostname, 'a', 63);
	in[6].hostname_len = 63;

	for (i = 0; i < 7; i++) {
		rec6_clean(&in[i]);
		n = lease6_csv_format(&in[i], buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0 && buf[n - 1] == '\n');
		CU_ASSERT_PTR_NULL(memchr(buf, '\n', (size_t)n - 1));
		CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(buf, (size_t)n - 1, &out, &trunc), 0);
		CU_ASSERT_EQUAL(trunc, 0);
		if (memcmp(&in[i], &out, sizeof(out)) != 0)
			fprintf(stderr, "\n  record %u: %.*s", i, n, buf);
		CU_ASSERT_EQUAL(memcmp(&in[i], &out, sizeof(out)), 0);
	}
	n = lease6_csv_format(&in[2], buf, sizeof(buf));
	CU_ASSERT_NSTRING_EQUAL(buf, "2001:db8:1::c,00,", 17);
	n = lease6_csv_format(&in[5], buf, sizeof(buf));
	CU_ASSERT_NSTRING_EQUAL(buf, "::ffff:10.0.0.1,", 16);
}

/* r formats to exactly `want` (with its newline). */
static void formats_as(const struct lease6_rec *r, const char *want)
{
	char buf[LEASE_CSV_LINE_MAX];
	int n = lease6_csv_format(r, buf, sizeof(buf));

	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_NSTRING_EQUAL(buf, want, strlen(want));
}

void test_csv6_old_schemas(void)
{
	struct lease6_rec r;
	int trunc;
	/* Kea 1.0 (12 columns), contiguous hex, true/false, CRLF, an address
	 * not in canonical form */
	static const char l12[] = "2001:DB8:0:0:0:0:0:1,000100012b3c,60,1000,3,50,0,9,128,true,false,x\r";
	/* Kea 1.x 13 (hwaddr), 14 (state), 15 (user_context) */
	static const char w12[] = "2001:db8::1,00:01:00:01:2b:3c,60,1000,3,50,0,9,128,1,0,x,,0,,,\n";
	static const char l13[] = "2001:db8::2,01:02,60,1000,3,50,2,9,64,0,0,,0a:0b";
	static const char w13[] = "2001:db8::2,01:02,60,1000,3,50,2,9,64,0,0,,0a:0b,0,,1,0\n";
	static const char l14[] = "2001:db8::3,01:02,60,1000,3,50,0,9,128,0,0,,0a:0b,1";
	static const char l15[] = "2001:db8::4,01:02,60,1000,3,50,0,9,128,0,0,,,2,{ \"a\": 1 }";
	/* Kea's leniencies: an unreadable hwaddr, hwtype or source drops the
	 * hardware address, not the lease; an empty hwtype is Ethernet */
	static const char badhw[] = "2001:db8::5,01:02,60,1000,3,50,0,9,128,0,0,,0g:0b,0,,1,0";
	static const char longhw[] =
		"2001:db8::6,01:02,60,1000,3,50,0,9,128,0,0,,"
		"1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21,0,,1,0";
	static const char badtype[] = "2001:db8::7,01:02,60,1000,3,50,0,9,128,0,0,,0a:0b,0,,65536,0";
	static const char notype[] = "2001:db8::8,01:02,60,1000,3,50,0,9,128,0,0,,0a:0b,0,,,";
	/* a 70-byte hostname is cut to 63 and flagged */
	static const char llong[] =
		"2001:db8::9,01,60,1000,3,50,0,9,128,0,0,"
		"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffffgggggggggg,,0,,,";
	static const char nul[] = "2001:db8::a,01,60,1000,3,50,0,9,128,0,0,ab&#x00cd,,0,,,";
	static const char *const bad[] = {
		"2001:db8::1,01,60,1000,3,50,0,9,128,0,0",              /* 11 columns */
		"2001:db8::1,01,60,1000,3,50,0,9,128,0,0,,,0,,1",       /* 16: no Kea wrote it */
		"2001:db8::1,01,60,1000,3,50,0,9,128,0,0,,,0,,,,",      /* 18 */
		"2001:db8::1,,60,1000,3,50,0,9,128,0,0,,,0,,,",         /* empty DUID */
		"2001:db8::1,00,60,1000,3,50,0,9,128,0,0,,,0,,,",       /* DUID 00, not declined */
		"2001:db8::1,00,60,1000,3,50,0,9,128,0,0,,,2,,,",       /* the same, state 2 */
		"::,01,60,1000,3,50,0,9,128,0,0,,,0,,,",                /* unspecified */
		"10.0.0.1,01,60,1000,3,50,0,9,128,0,0,,,0,,,",          /* a v4 address */
		"2001:db8::1%eth0,01,60,1000,3,50,0,9,128,0,0,,,0,,,",  /* a scope */
		"2001:db8::1,01,60,1000,3,50,3,9,128,0,0,,,0,,,",       /* lease_type 3 */
		"2001:db8::1,01,60,1000,3,50,0,9,129,0,0,,,0,,,",       /* prefix_len 129 */
		"2001:db8::1,01,60,1000,3,50,0,9,128,0,0,,,3,,,",       /* state 3 */
		"2001:db8::1,01,60,1000,3,50,0,9,128,2,0,,,0,,,",       /* fqdn 2 */
		"2001:db8::1,01,60,1000,3,50,0,4294967296,128,0,0,,,0,,,", /* iaid > 32 bits */
		"2001:db8::1,01,-1,1000,3,50,0,9,128,0,0,,,0,,,",       /* negative */
		"2001:db8::1,01::02,60,1000,3,50,0,9,128,0,0,,,0,,,",   /* two colons */
		"address,duid,valid_lifetime",                          /* a header */
	};

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(l12, sizeof(l12) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.duid_len, 6);
	CU_ASSERT_EQUAL(r.duid[5], 0x3c);
	CU_ASSERT_EQUAL(r.fqdn_fwd, 1);
	CU_ASSERT_EQUAL(r.fqdn_rev, 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL(r.state, 0);
	formats_as(&r, w12);

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(l13, sizeof(l13) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.type, LEASE6_TYPE_PD);
	CU_ASSERT_EQUAL(r.prefix_len, 64);
	CU_ASSERT_EQUAL(r.hwaddr_len, 2);
	CU_ASSERT_EQUAL(r.hwtype, 1);
	CU_ASSERT_EQUAL(r.hwaddr_source, 0);
	formats_as(&r, w13);
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(l14, sizeof(l14) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.state, 1);
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(l15, sizeof(l15) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.state, 2);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(badhw, sizeof(badhw) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL(r.hwtype, 0);
	CU_ASSERT_EQUAL(r.hwaddr[0], 0);
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(longhw, sizeof(longhw) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(badtype, sizeof(badtype) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 0);
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(notype, sizeof(notype) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hwaddr_len, 2);
	CU_ASSERT_EQUAL(r.hwtype, 1);

	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(llong, sizeof(llong) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(trunc, 1);
	CU_ASSERT_EQUAL(r.hostname_len, 63);
	CU_ASSERT_EQUAL(r.hostname[62], 'g');
	CU_ASSERT_EQUAL(r.hostname[63], '\0');

	/* an escaped NUL ends the hostname (what follows could not be written back) */
	CU_ASSERT_EQUAL_FATAL(lease6_csv_parse(nul, sizeof(nul) - 1, &r, &trunc), 0);
	CU_ASSERT_EQUAL(r.hostname_len, 2);
	CU_ASSERT_EQUAL(memcmp(r.hostname, "ab\0\0\0", 5), 0);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = lease6_csv_parse(bad[i], strlen(bad[i]), &r, &trunc);

		if (ret != -EINVAL)
			fprintf(stderr, "\n  accepted: %s", bad[i]);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
	/* the v4 parser refuses a v6 line, and the other way round */
	{
		static const char l4[] = "10.0.0.1,00:11:22:33:44:55,,100,2000,1,0,0,,0,";
		struct lease_rec r4;

		CU_ASSERT_EQUAL(lease6_csv_parse(l4, sizeof(l4) - 1, &r, &trunc), -EINVAL);
		CU_ASSERT_EQUAL(lease_csv_parse(l15, sizeof(l15) - 1, &r4, &trunc), -EINVAL);
	}
}

/* ---- memfile's v6 file ------------------------------------------------- */

/* A whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *b = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL) {
		*len = fread(b, 1, (size_t)n, fp);
		b[*len] = '\0';
	}
	fclose(fp);
	return b;
}

/* The real kea-dhcp6 2.2 file loads whole, and every record appended
 * back through the backend gives the same file, byte for byte (the
 * user_context emptied). */
void test_mf6_kea_fixture(void)
{
	struct lease_backend_stats st;
	struct set6 all = { 0 }, s;
	const struct lease6_rec *r;
	struct lease_backend *be;
	char path[1024], out[1024];
	char *kea, *ours, *want;
	size_t klen, olen, wlen = 0, i, start = 0;

	fresh_dir("kea6");
	path_in(path, sizeof(path), "kea6", "kea-leases6.csv");
	copy_file(FIXTURE6, path);
	be = open_fam(path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->load6(be, set6_add, &all), 0);
	mf->get_stats(be, &st);
	mf->close(be);
	CU_ASSERT_EQUAL(st.loaded, 30);
	CU_ASSERT_EQUAL(st.bad_lines, 0);
	CU_ASSERT_EQUAL_FATAL(all.n, 30);

	path_in(out, sizeof(out), "kea6", "ours.csv");
	be = open_fam(out, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append6_sync(be, all.r, (unsigned)all.n), 0);
	mf->close(be);
	kea = slurp(FIXTURE6, &klen);
	ours = slurp(out, &olen);
	want = malloc(klen + 1);
	CU_ASSERT_FATAL(kea && ours && want);
	for (i = 0; i < klen; i++) {
		if (kea[i] != '\n')
			continue;
		if (start == 0) {               /* the header, as it is */
			memcpy(want, kea, i + 1);
			wlen = i + 1;
		} else {
			wlen += drop_context(kea + start, i + 1 - start, want + wlen);
		}
		start = i + 1;
	}
	CU_ASSERT_EQUAL(olen, wlen);
	CU_ASSERT_EQUAL(memcmp(ours, want, wlen), 0);
	free(kea);
	free(ours);
	free(want);
	free(all.r);

	/* The lease set: lease6-get-all on that server listed 28 leases;
	 * ours leaves out the expired-reclaimed one, as the v4 file does. */
	CU_ASSERT_EQUAL_FATAL(load_set6(path, &s, NULL), 0);
	CU_ASSERT_EQUAL(s.n, 27);
	r = set6_find(&s, a6(0x20010db802000100ull, 0));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->type, LEASE6_TYPE_PD);
	CU_ASSERT_EQUAL(r->prefix_len, 56);
	CU_ASSERT_EQUAL(r->iaid, UINT32_MAX);
	CU_ASSERT_STRING_EQUAL(r->hostname, "pd.example");
	r = set6_find(&s, a6(0x20010db800010000ull, 0xc));
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(r->duid_len, 0);
	CU_ASSERT_EQUAL(r->state, 1);
	CU_ASSERT_PTR_NULL(set6_find(&s, a6(0x20010db800010000ull, 0xd)));   /* reclaimed */
	CU_ASSERT_PTR_NULL(set6_find(&s, a6(0x20010db800010000ull, 0xf)));   /* lease6-del */
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s, a6(0x20010db800010000ull, 0xe)));
	free(s.r);
}

/* Kea 2.2 reads what we write, and compacts it to what our compaction
 * writes: kea-lfc -6 (Kea's own reader and writer) on a file we wrote
 * gives our .2 byte for byte.  No expired-reclaimed lease here (kea-lfc
 * keeps them, ours drops them) and DUIDs of at most 128 bytes (Kea's
 * limit; ours keeps 130). */
void test_mf6_kea_reads_ours(void)
{
	enum { N = 40 };
	struct lease6_rec r[N];
	struct lease_backend *be;
	char path[1024], cmd[4096], *a, *b;
	size_t alen = 0, blen = 0;

	if (access("/usr/sbin/kea-lfc", X_OK) != 0) {
		printf("\n  kea-lfc not installed: skipped");
		return;
	}
	for (unsigned i = 0; i < N; i++) {
		/* out of order, some addresses twice */
		rec6_init(&r[i], a6(0x20010db800090000ull, 1 + (i * 7) % 31), 3600 + i, i % 9 == 4);
		r[i].iaid = i;
	}
	r[1].duid_len = 128;
	for (unsigned i = 0; i < 128; i++)
		r[1].duid[i] = (uint8_t)(i * 3);
	r[2].hwaddr_len = LEASE6_HWADDR_MAX;
	r[2].hwtype = 6;
	r[2].hwaddr_source = 0x40;
	r[3].hwaddr_len = 0;
	r[3].hwtype = 0;
	r[3].hwaddr_source = 0;
	r[4].duid_len = 0;                              /* declined, Kea's empty DUID */
	r[5].hostname_len = (uint8_t)snprintf(r[5].hostname, sizeof(r[5].hostname), "a,b&c.example");
	r[5].fqdn_fwd = r[5].fqdn_rev = 1;
	r[6].type = LEASE6_TYPE_PD;
	r[6].addr = a6(0x20010db801000000ull, 0);
	r[6].prefix_len = 56;
	r[7].type = LEASE6_TYPE_TA;
	r[8].valid_lft = 0;                             /* deleted */
	r[9].addr = a6(0xfe80000000000000ull, 1);
	fresh_dir("kea6-ours");
	path_in(path, sizeof(path), "kea6-ours", "l.csv");
	be = open_fam(path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(append6_sync(be, r, N), 0);
	mf->close(be);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/kea6-ours' && cp l.csv k.1 && echo '{}' > c.json && "
		 "KEA_LOCKFILE_DIR=. KEA_PIDFILE_DIR=. kea-lfc -6 -x k.2 -i k.1 -o k.out -f k.done -p k.pid -c c.json >/dev/null 2>&1 && "
		 "test -e k.2", tdir);
	CU_ASSERT_FATAL(system(cmd) == 0);
	be = open_fam(path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->close(be);
	path_in(path, sizeof(path), "kea6-ours", "k.2");
	a = slurp(path, &alen);
	path_in(path, sizeof(path), "kea6-ours", "l.csv.2");
	b = slurp(path, &blen);
	CU_ASSERT_FATAL(a && b);
	CU_ASSERT(alen > 1000);
	CU_ASSERT_EQUAL(alen, blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		fprintf(stderr, "\n  kea-lfc:\n%s\n  ours:\n%s", a, b);
	CU_ASSERT_EQUAL(memcmp(a, b, alen), 0);
	free(a);
	free(b);
}

static int count_v4(const struct lease_rec *r, void *arg)
{
	(void)r;
	++*(unsigned *)arg;
	return 0;
}

/* Both files in one backend: each family to its own file, each loads
 * its own; a family without a file; files of the other family refused. */
void test_mf6_two_files(void)
{
	struct lease_backend_stats st;
	struct lease_rec r4[3];
	struct lease6_rec r6[4];
	struct lease_backend *be;
	char p4[1024], p6[1024];
	struct set s4;
	struct set6 s6;
	unsigned n4 = 0;

	fresh_dir("two");
	path_in(p4, sizeof(p4), "two", "l4.csv");
	path_in(p6, sizeof(p6), "two", "sub/l6.csv");   /* its directory made */
	for (unsigned i = 0; i < 3; i++)
		rec_init(&r4[i], ip(10, 0, 0, 1 + i), 100, 0);
	for (unsigned i = 0; i < 4; i++)
		rec6_init(&r6[i], a6(0x20010db800010000ull, 1 + i), 100, 0);
	r6[3].addr = r6[0].addr;
	r6[3].valid_lft = 0;                            /* deletes r6[0] */
	be = open_be2(p4, p6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->append(be, r4, 3), 0);
	CU_ASSERT_EQUAL(mf->append6(be, r6, 4), 0);
	CU_ASSERT_EQUAL(mf->sync(be), 0);
	mf->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.appended, 7);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set(p4, &s4, NULL), 0);
	CU_ASSERT_EQUAL(s4.n, 3);
	CU_ASSERT_EQUAL_FATAL(load_set6(p6, &s6, NULL), 0);
	CU_ASSERT_EQUAL(s6.n, 2);
	CU_ASSERT_PTR_NULL(set6_find(&s6, r6[0].addr));
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s6, r6[2].addr));
	free(s4.r);
	free(s6.r);
	/* one compaction compacts both files */
	be = open_be2(p4, p6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->get_stats(be, &st);
	CU_ASSERT_EQUAL(st.compactions, 2);
	CU_ASSERT_EQUAL(st.compact_kept, 3 + 2);
	mf->close(be);
	{
		char p[1100];

		snprintf(p, sizeof(p), "%s.2", p4);
		CU_ASSERT_TRUE(exists(p));
		snprintf(p, sizeof(p), "%s.2", p6);
		CU_ASSERT_TRUE(exists(p));
	}

	/* the same file for both: refused */
	CU_ASSERT_PTR_NULL(open_be2(p4, p4));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* no v4 file: nothing loads, appends are refused, v6 works */
	be = open_be2("", p6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->load(be, count_v4, &n4), 0);
	CU_ASSERT_EQUAL(n4, 0);
	CU_ASSERT_EQUAL(mf->append(be, r4, 1), -ENODEV);
	CU_ASSERT_EQUAL(mf->append(be, r4, 0), 0);
	CU_ASSERT_EQUAL(append6_sync(be, r6, 1), 0);  /* r6[0] back */
	mf->close(be);
	/* no v6 file: the other way round */
	be = open_be2(p4, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	memset(&s6, 0, sizeof(s6));
	CU_ASSERT_EQUAL(mf->load6(be, set6_add, &s6), 0);
	CU_ASSERT_EQUAL(s6.n, 0);
	CU_ASSERT_EQUAL(mf->append6(be, r6, 1), -ENODEV);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set6(p6, &s6, NULL), 0);
	CU_ASSERT_EQUAL(s6.n, 3);
	free(s6.r);

	/* A file of the other family is refused by its header, not read as
	 * 0 leases. */
	CU_ASSERT_EQUAL(load_set6(p4, &s6, NULL), -EINVAL);
	free(s6.r);
	CU_ASSERT_EQUAL(load_set(p6, &s4, NULL), -EINVAL);
	free(s4.r);
}

void test_mf6_bad_lines(void)
{
	struct lease_backend_stats st;
	struct lease_backend *be;
	struct lease6_rec r;
	char path[1024];
	struct set6 s;
	static const char text[] =
		"address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
		"fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n"
		"2001:db8::1,01:02,60,1000,3,50,0,9,128,0,0,,0a:0b,0,,1,0\n"
		"garbage\n"
		"2001:db8::2,01:02,60,1000,3,50,0,9,128,0,0,,,0,\n"             /* 15 columns under a 17 header */
		"2001:db8::zz,01:02,60,1000,3,50,0,9,128,0,0,,,0,,,\n"          /* bad address */
		"2001:db8::3,00,60,1000,3,50,0,9,128,0,0,,,0,,,\n"              /* DUID 00, not declined */
		"2001:db8::4,01:02,60,1000,3,50,0,9,128,0,0,,,0,,1\n"           /* 16 columns */
		"\n"                                                            /* empty: ignored */
		"2001:db8::5,01:02,60,1000,3,50,0,9,128,0,0,,,0,{ \"a\": 1&#x2c \"b\": 2 },,\n"
		"2001:db8::6,01:02,60,1000,3,50,0,9,128,0,0,,,0,,";             /* torn write */

	fresh_dir("bad6");
	path_in(path, sizeof(path), "bad6", "l.csv");
	write_text(path, text);
	be = open_fam(path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	rec6_init(&r, a6(0x20010db800000000ull, 7), 100, 0);
	CU_ASSERT_EQUAL(append6_sync(be, &r, 1), 0);
	mf->close(be);
	CU_ASSERT_EQUAL_FATAL(load_set6(path, &s, &st), 0);
	CU_ASSERT_EQUAL(st.bad_lines, 6);
	CU_ASSERT_EQUAL(st.loaded, 3);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s, a6(0x20010db800000000ull, 1)));
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s, a6(0x20010db800000000ull, 5)));
	CU_ASSERT_PTR_NOT_NULL(set6_find(&s, a6(0x20010db800000000ull, 7)));
	free(s.r);

	/* A Kea 1.x file (a 13-column header and rows) is upgraded by the
	 * compaction: the rows are padded to 17 columns, same leases. */
	write_text(path, "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
			 "fqdn_fwd,fqdn_rev,hostname,hwaddr\n"
			 "2001:db8::1,01:02,60,1000,3,50,0,9,128,0,0,x,0a:0b\n"
			 "2001:db8::2,01:02,60,1000,3,50,2,9,64,1,1,,\n");
	be = open_fam(path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(mf->compact(be), 0);
	CU_ASSERT_EQUAL(mf->compact_wait(be), 0);
	mf->close(be);
	{
		char p2[1100], *t;
		size_t n;

		snprintf(p2, sizeof(p2), "%s.2", path);
		t = slurp(p2, &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n2001:db8::1,01:02,60,1000,3,50,0,9,128,0,0,x,0a:0b,0,,,\n"
						 "2001:db8::2,01:02,60,1000,3,50,2,9,64,1,1,,,0,,,\n"));
		free(t);
	}
	CU_ASSERT_EQUAL_FATAL(load_set6(path, &s, &st), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(st.bad_lines, 0);
	CU_ASSERT_EQUAL(s.r[0].hwtype, 1);
	free(s.r);
}
