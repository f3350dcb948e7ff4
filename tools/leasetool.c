/* peregrine-leasetool: what `peregrine-admin COMMAND redis` runs (the
 * script checks the command line and passes the password in
 * PEREGRINE_DB_PASSWORD, never in argv).
 *
 *   peregrine-leasetool COMMAND [-t redis] [-h HOST] [-P PORT] [-u USER]
 *                       [-n NAME] [-4|-6] [-i FILE] [-o FILE] [-y]
 *                       [--prog NAME]
 *   COMMAND: init | version | dump (-o) | upload (-i)
 *
 * dump and upload copy leases between the store and a Kea lease file
 * through the lease backends' ops: the file is read and written by the
 * memfile backend (the CSV reader and writer the server uses for Kea's
 * files), the store by its own load and append/sync, so an uploaded lease
 * is exactly what the server would have written (for redis: the hash,
 * the expiry index and the counters, by the same script).
 *
 * upload keeps what Kea's loader keeps: the last row of each address, and
 * not when that row has valid_lifetime 0 (a deletion).  It refuses the
 * whole file when one of its addresses already has a lease in the store
 * (as a primary key refuses it in PostgreSQL), and writes in batches of
 * LT_BATCH, each one atomic; a lease another server wrote meanwhile is
 * refused by the store's script, counted and reported.
 *
 * Exit status: 0 done, 1 failed (said on stderr), 2 bad command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leasetool.h"
#include "util_fs.h"

#define LT_BATCH 1000u                 /* records per append/sync (one store script each) */
#define LT_FILE "leases.csv"

const char *lt_prog = "peregrine-leasetool";

void lt_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lt_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- records of either family ---------------------------------------- */

struct lt_recs {
	int fam;                       /* 4 or 6 */
	size_t size;                   /* sizeof one record */
	uint8_t *v;
	size_t n, cap;
};

static void *lt_at(const struct lt_recs *s, size_t i)
{
	return s->v + i * s->size;
}

/* Appends a copy, its seq set to its position (the file's order). */
static int lt_push(struct lt_recs *s, const void *rec)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		uint8_t *v = realloc(s->v, cap * s->size);

		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(lt_at(s, s->n), rec, s->size);
	if (s->fam == 4)
		((struct lease_rec *)lt_at(s, s->n))->seq = s->n;
	else
		((struct lease6_rec *)lt_at(s, s->n))->seq = s->n;
	s->n++;
	return 0;
}

static int lt_push4(const struct lease_rec *r, void *arg)
{
	return lt_push(arg, r);
}

static int lt_push6(const struct lease6_rec *r, void *arg)
{
	return lt_push(arg, r);
}

static struct lease_addr6 lt_key(int fam, const void *rec)
{
	struct lease_addr6 k = { 0, 0 };

	if (fam == 4)
		k.lo = ((const struct lease_rec *)rec)->addr;
	else
		k = ((const struct lease6_rec *)rec)->addr;
	return k;
}

static uint64_t lt_seq(int fam, const void *rec)
{
	return fam == 4 ? ((const struct lease_rec *)rec)->seq : ((const struct lease6_rec *)rec)->seq;
}

static uint32_t lt_valid(int fam, const void *rec)
{
	return fam == 4 ? ((const struct lease_rec *)rec)->valid_lft
			: ((const struct lease6_rec *)rec)->valid_lft;
}

static void lt_addr_text(int fam, struct lease_addr6 k, char *out, size_t len)
{
	uint8_t b[16];
	struct in_addr in = { .s_addr = htonl((uint32_t)k.lo) };

	lease_addr6_store(k, b);
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, fam == 4 ? (const void *)&in : (const void *)b,
		  out, (socklen_t)len);
}

static int lt_fam_sort;                /* qsort has no argument */

static int lt_cmp(const void *a, const void *b)
{
	int c = lease_addr6_cmp(lt_key(lt_fam_sort, a), lt_key(lt_fam_sort, b));
	uint64_t x = lt_seq(lt_fam_sort, a), y = lt_seq(lt_fam_sort, b);

	return c ? c : (x > y) - (x < y);
}

/* Sorts by address and keeps the last record of each (in the order they
 * were pushed); drop_deleted also drops the survivors with valid 0. */
static void lt_reduce(struct lt_recs *s, bool drop_deleted)
{
	size_t w = 0;

	lt_fam_sort = s->fam;
	if (s->n > 1)
		qsort(s->v, s->n, s->size, lt_cmp);
	for (size_t i = 0; i < s->n; i++) {
		void *r = lt_at(s, i);

		if (i + 1 < s->n && lease_addr6_eq(lt_key(s->fam, r), lt_key(s->fam, lt_at(s, i + 1))))
			continue;
		if (drop_deleted && lt_valid(s->fam, r) == 0)
			continue;
		if (w != i)
			memcpy(lt_at(s, w), r, s->size);
		w++;
	}
	s->n = w;
}

/* ---- the two backends ------------------------------------------------- */

struct lt_ctx {
	const struct lease_backend_ops *store;     /* redis */
	struct conf_lease_db db;                   /* the store's connection */
	int fam;
	const char *in, *out;
	bool yes;
};

/* Every lease of the family the backend holds, into s.  0 or 1 (said). */
static int lt_load(const struct lease_backend_ops *ops, struct lease_backend *be, struct lt_recs *s,
		   const char *what)
{
	int ret = s->fam == 4 ? ops->load(be, lt_push4, s) : ops->load6(be, lt_push6, s);
	struct lease_backend_stats st;

	if (ret == -EINVAL && strcmp(ops->name, "memfile") == 0) {
		/* the memfile backend's answer to the other family's header */
		lt_err("%s is not a Kea DHCPv%d lease file (lease%d)", what, s->fam, s->fam);
		return 1;
	}
	if (ret) {
		const char *e = lt_redis_last_error(ops, be);

		lt_err("reading %s: %s%s%s", what, strerror(-ret), e[0] ? ": " : "", e);
		return 1;
	}
	ops->get_stats(be, &st);
	if (st.bad_lines)
		lt_err("warning: %llu record(s) of %s do not read and were left out",
		       (unsigned long long)st.bad_lines, what);
	if (st.truncated)
		lt_err("warning: %llu hostname(s) of %s cut to 63 bytes",
		       (unsigned long long)st.truncated, what);
	return 0;
}

/* A memfile backend on path, the family's file only. */
static struct lease_backend *lt_memfile(const struct lease_backend_ops *mf, int fam, const char *path)
{
	struct conf_lease_db db = { .type = CONF_DB_MEMFILE, .durability = CONF_DUR_COMMIT };
	struct lease_backend *be;
	char err[512];

	snprintf(fam == 4 ? db.name : db.name6, sizeof(db.name), "%s", path);
	be = mf->open(&db, err, sizeof(err));
	if (be == NULL)
		lt_err("%s", err);
	return be;
}

static int lt_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0) {
		lt_err("cannot read %s: %s", from, strerror(errno));
		return -1;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		lt_err("%s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			lt_err("copying %s: %s", from, strerror(errno ? errno : EIO));
			ret = -1;
			break;
		}
	}
	close(in);
	if (close(out) < 0 && ret == 0) {
		lt_err("copying %s: %s", from, strerror(errno));
		ret = -1;
	}
	return ret;
}

/* A private directory for the memfile backend's file: under dir, or
 * TMPDIR (/tmp) when dir is NULL.  Its path in out; 0 or -1 (said). */
static int lt_tmpdir(const char *dir, char *out, size_t len)
{
	const char *t = dir ? dir : getenv("TMPDIR");

	snprintf(out, len, "%s/.peregrine-leasetool.XXXXXX", t && t[0] ? t : "/tmp");
	if (mkdtemp(out) == NULL) {
		lt_err("mkdtemp %s: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* upload, step 1: the leases Kea would load from the file.  The memfile
 * backend opens a copy (it would finish a compaction it finds next to
 * the file, and appends to the file it opens). */
static int lt_read_file(const struct lt_ctx *x, struct lt_recs *s, size_t *rows)
{
	const struct lease_backend_ops *mf = lease_backend_find("memfile");
	char dir[4096], path[4200];
	struct lease_backend *be;
	int ret = 1;

	if (lt_tmpdir(NULL, dir, sizeof(dir)))
		return 1;
	snprintf(path, sizeof(path), "%s/" LT_FILE, dir);
	if (lt_copy_file(x->in, path))
		goto out;
	be = lt_memfile(mf, x->fam, path);
	if (be == NULL)
		goto out;
	s->n = 0;
	ret = lt_load(mf, be, s, x->in);
	mf->close(be);
	if (ret == 0 && s->n == 0) {
		lt_err("%s has no DHCPv%d leases (is it a lease%d file?)", x->in, x->fam, x->fam);
		ret = 1;
	}
	*rows = s->n;
	lt_reduce(s, true);
out:
	util_rmtree(dir);
	return ret;
}

/* upload, step 2: refuses when an address already has a lease stored.
 * Both lists sorted by address. */
static int lt_check_free(const struct lt_recs *up, const struct lt_recs *have)
{
	size_t i = 0, j = 0, clash = 0;
	struct lease_addr6 first = { 0, 0 };
	char a[INET6_ADDRSTRLEN];

	while (i < up->n && j < have->n) {
		int c = lease_addr6_cmp(lt_key(up->fam, lt_at(up, i)), lt_key(have->fam, lt_at(have, j)));

		if (c == 0 && clash++ == 0)
			first = lt_key(up->fam, lt_at(up, i));
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	if (clash == 0)
		return 0;
	lt_addr_text(up->fam, first, a, sizeof(a));
	lt_err("lease-upload: %zu of the %zu leases to upload are already in the store (the first: %s); "
	       "nothing was uploaded", clash, up->n, a);
	return 1;
}

static int lt_upload(const struct lt_ctx *x)
{
	struct lt_recs up = { .fam = x->fam }, have = { .fam = x->fam };
	struct lease_backend *be = NULL;
	struct lease_refusal ref[64];
	size_t rows = 0, done = 0, refused = 0;
	char err[512], first[INET6_ADDRSTRLEN] = "";
	int ret = 1;

	up.size = have.size = x->fam == 4 ? sizeof(struct lease_rec) : sizeof(struct lease6_rec);
	if (lt_redis_need_schema(&x->db) || lt_read_file(x, &up, &rows))
		goto out;
	be = x->store->open(&x->db, err, sizeof(err));
	if (be == NULL) {
		lt_err("%s", err);
		goto out;
	}
	if (lt_load(x->store, be, &have, "the store"))
		goto out;
	lt_reduce(&have, false);
	if (lt_check_free(&up, &have))
		goto out;
	while (done < up.n) {
		unsigned n = up.n - done > LT_BATCH ? LT_BATCH : (unsigned)(up.n - done), k;
		int r = x->fam == 4 ? x->store->append(be, lt_at(&up, done), n)
				    : x->store->append6(be, lt_at(&up, done), n);

		if (r == 0)
			r = x->store->sync(be);
		if (r) {
			const char *e = lt_redis_last_error(x->store, be);

			lt_err("lease-upload: writing to the store: %s%s%s (%zu of %zu leases were stored "
			       "before)", strerror(-r), e[0] ? ": " : "", e, done, up.n);
			goto out;
		}
		while (x->store->refused && (k = x->store->refused(be, ref, 64)) != 0) {
			if (refused == 0)
				lt_addr_text(x->fam, x->fam == 4 ? (struct lease_addr6){ 0, ref[0].addr }
							      : ref[0].addr6, first, sizeof(first));
			refused += k;
		}
		done += n;
	}
	if (refused) {
		lt_err("lease-upload: %zu of %zu leases were refused: another client's live lease was "
		       "written meanwhile (the first: %s); the others were stored", refused, up.n, first);
		goto out;
	}
	printf("%s: %zu leases uploaded to lease%d from %s\n", lt_prog, up.n, x->fam, x->in);
	if (rows != up.n)
		printf("%s: (%zu rows read: the last row of each address kept, deletions applied)\n",
		       lt_prog, rows);
	ret = 0;
out:
	if (be)
		x->store->close(be);
	free(up.v);
	free(have.v);
	return ret;
}

/* dump: the store's leases, sorted by address, to a memfile file in a
 * private directory beside the output, then moved to it (linked without
 * -y, so an output file that appeared meanwhile is not replaced). */
static int lt_dump(const struct lt_ctx *x)
{
	const struct lease_backend_ops *mf = lease_backend_find("memfile");
	struct lt_recs s = { .fam = x->fam };
	struct lease_backend *be, *out = NULL;
	char err[512], dir[4096], tmp[4200], parent[4096];
	struct stat sb;
	int ret = 1, r = 0;
	char *slash;

	s.size = x->fam == 4 ? sizeof(struct lease_rec) : sizeof(struct lease6_rec);
	if (!x->yes && stat(x->out, &sb) == 0) {
		lt_err("lease-dump: %s exists (give -y to overwrite it)", x->out);
		return 1;
	}
	if (lt_redis_need_schema(&x->db))
		return 1;
	be = x->store->open(&x->db, err, sizeof(err));
	if (be == NULL) {
		lt_err("%s", err);
		return 1;
	}
	r = lt_load(x->store, be, &s, "the store");
	x->store->close(be);
	if (r)
		goto out;
	lt_reduce(&s, false);          /* SCAN may return a key twice */

	snprintf(parent, sizeof(parent), "%s", x->out);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (lt_tmpdir(parent, dir, sizeof(dir)))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/" LT_FILE, dir);
	out = lt_memfile(mf, x->fam, tmp);
	if (out == NULL)
		goto rm;
	for (size_t i = 0; i < s.n && r == 0; i += LT_BATCH) {
		unsigned n = s.n - i > LT_BATCH ? LT_BATCH : (unsigned)(s.n - i);

		r = x->fam == 4 ? mf->append(out, lt_at(&s, i), n) : mf->append6(out, lt_at(&s, i), n);
	}
	if (r == 0)
		r = mf->sync(out);
	mf->close(out);
	if (r) {
		lt_err("lease-dump: writing %s: %s", tmp, strerror(-r));
		goto rm;
	}
	if (x->yes ? rename(tmp, x->out) : link(tmp, x->out)) {
		lt_err("lease-dump: %s: %s", x->out, strerror(errno));
		goto rm;
	}
	printf("%s: %zu leases dumped from lease%d to %s\n", lt_prog, s.n, x->fam, x->out);
	ret = 0;
rm:
	util_rmtree(dir);
out:
	free(s.v);
	return ret;
}

/* ---- command line ----------------------------------------------------- */

static int lt_usage(const char *why)
{
	if (why)
		lt_err("%s", why);
	fprintf(stderr, "usage: %s init|version|dump|upload [-t redis] [-h host] [-P port] [-u user]\n"
		"       [-n name] [-4|-6] [-i file] [-o file] [-y] [--prog name]\n"
		"(the password comes from PEREGRINE_DB_PASSWORD)\n", lt_prog);
	return 2;
}

/* Copies an option's value into a fixed field: 0, or -1 when too long. */
static int lt_set(char *dst, size_t len, const char *v, const char *what)
{
	if (strlen(v) >= len) {
		lt_err("%s is too long (at most %zu bytes)", what, len - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prog", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct lt_ctx x = { .fam = 0 };
	const char *cmd, *type = "redis", *pw = getenv("PEREGRINE_DB_PASSWORD");
	int c, bad = 0;

	x.db.type = CONF_DB_REDIS;
	x.db.durability = CONF_DUR_COMMIT;
	x.db.connect_timeout = 5;
	if (argc < 2 || argv[1][0] == '-')
		return lt_usage("give a command first");
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "t:h:P:u:n:46i:o:y", longopts, NULL)) != -1) {
		switch (c) {
		case 'N': lt_prog = optarg; break;
		case 't': type = optarg; break;
		case 'h': bad |= lt_set(x.db.host, sizeof(x.db.host), optarg, "-h"); break;
		case 'P': bad |= lt_set(x.db.port, sizeof(x.db.port), optarg, "-P"); break;
		case 'u': bad |= lt_set(x.db.user, sizeof(x.db.user), optarg, "-u"); break;
		case 'n': bad |= lt_set(x.db.name, sizeof(x.db.name), optarg, "-n"); break;
		case '4': case '6':
			if (x.fam && x.fam != c - '0')
				return lt_usage("give only one of -4 and -6");
			x.fam = c - '0';
			break;
		case 'i': x.in = optarg; break;
		case 'o': x.out = optarg; break;
		case 'y': x.yes = true; break;
		default: return lt_usage(NULL);
		}
	}
	if (bad)
		return 2;
	if (optind != argc)
		return lt_usage("unexpected argument");
	if (pw && lt_set(x.db.password, sizeof(x.db.password), pw, "the password"))
		return 2;
	if (strcmp(type, "redis") != 0)
		return lt_usage("only the redis store is supported (-t redis)");
	x.store = lease_backend_find(type);
	if (x.store == NULL || lease_backend_find("memfile") == NULL) {
		lt_err("no %s backend built in", x.store ? "memfile" : type);
		return 1;
	}
	if (strcmp(cmd, "init") == 0)
		return lt_redis_init(&x.db);
	if (strcmp(cmd, "version") == 0)
		return lt_redis_version(&x.db);
	if (strcmp(cmd, "dump") != 0 && strcmp(cmd, "upload") != 0)
		return lt_usage("unknown command");
	if (x.fam == 0)
		return lt_usage("give -4 or -6");
	if (cmd[0] == 'd')
		return x.out ? lt_dump(&x) : lt_usage("dump: give the output file with -o");
	return x.in ? lt_upload(&x) : lt_usage("upload: give the input file with -i");
}
