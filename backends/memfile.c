/* memfile: Kea's DHCPv4 lease file (CSV), read and written as Kea 2.2
 * does, so a Kea user's lease file loads as it is and ours loads in Kea.
 *
 * Files, as Kea's lease file cleanup names them (`name` from the config):
 *   name            the live file; appends go here
 *   name.1          the previous live file, rotated out by compact()
 *   name.2          the result of the last compaction
 *   name.output     a compaction being written (garbage after a crash)
 *   name.completed  a finished compaction not yet renamed to name.2
 * Replay order is .2, .1, then the live file: later records win.
 *
 * Compaction (Kea's LFC idea): compact() rotates the live file to .1 and
 * opens a fresh one (quick, on the caller's thread, between batches);
 * a background thread merges .2 + .1 keeping the last record per address,
 * drops deleted and expired-reclaimed leases, writes .output, fsyncs it,
 * renames it to .completed, removes .1 and .2 and renames .completed to
 * .2.  Every state a crash can leave is recovered by mf_recover(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease_backend.h"
#include "net.h"
#include "util_fs.h"

#define MF_BUF_SIZE (1u << 20)      /* append buffer: one write() per batch */
#define MF_NCOLS 11
#define MF_SUFFIX_MAX 16

const char lease_csv_header[] =
	"address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

/* The column names in order; Kea 1.0 files stop after hostname (9),
 * Kea 1.1..1.4 after state (10). */
static const char *const mf_cols[MF_NCOLS] = {
	"address", "hwaddr", "client_id", "valid_lifetime", "expire", "subnet_id",
	"fqdn_fwd", "fqdn_rev", "hostname", "state", "user_context",
};

#define MF_STAT_ADD(be, f, v) __atomic_fetch_add(&(be)->st.f, (v), __ATOMIC_RELAXED)
/* mf_walk counts only while loading (be != NULL), not when compacting. */
#define MF_WALK_STAT(be, f) do { if (be) MF_STAT_ADD(be, f, 1); } while (0)

struct lease_backend {
	char path[PATH_MAX];
	char p1[PATH_MAX + MF_SUFFIX_MAX];
	char p2[PATH_MAX + MF_SUFFIX_MAX];
	char pout[PATH_MAX + MF_SUFFIX_MAX];
	char pdone[PATH_MAX + MF_SUFFIX_MAX];
	char dir[PATH_MAX];
	int fd;                     /* live file, O_APPEND */
	bool need_nl;               /* a failed write stopped mid-line */
	char *buf;
	pthread_t lfc;
	bool lfc_joinable;          /* owner thread only */
	bool lfc_running;           /* atomic: set by compact(), cleared by the thread */
	int lfc_result;             /* written by the thread before clearing lfc_running */
	struct lease_backend_stats st;
};

/* ---- CSV ------------------------------------------------------------ */

static int mf_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "01:0a:b", Kea's colon form (one or two digits a byte), or plain "010a0b". */
static int mf_hex(const char *s, size_t n, uint8_t *out, size_t max, uint8_t *outlen)
{
	size_t i = 0, k = 0;

	if (n == 0) {
		*outlen = 0;
		return 0;
	}
	if (memchr(s, ':', n) == NULL) {
		if (n % 2 || n / 2 > max)
			return -EINVAL;
		for (i = 0; i < n; i += 2) {
			int hi = net_hexval(s[i]), lo = net_hexval(s[i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[k++] = (uint8_t)(hi << 4 | lo);
		}
		*outlen = (uint8_t)k;
		return 0;
	}
	for (;;) {
		int d0, d1 = -1;

		if (i >= n || (d0 = net_hexval(s[i])) < 0)
			return -EINVAL;
		i++;
		if (i < n && s[i] != ':') {
			if ((d1 = net_hexval(s[i])) < 0)
				return -EINVAL;
			i++;
		}
		if (k == max)
			return -EINVAL;
		out[k++] = (uint8_t)(d1 < 0 ? d0 : d0 << 4 | d1);
		if (i == n)
			break;
		if (s[i] != ':')
			return -EINVAL;
		i++;
	}
	*outlen = (uint8_t)k;
	return 0;
}

/* Kea's CSV escape: "&#x" and two hex digits stand for one byte (a comma
 * in a hostname is written "&#x2c").  A malformed sequence stays as is,
 * like Kea's unescape.  Returns the full unescaped length; stores at most
 * `max` bytes. */
static size_t mf_unescape(const char *s, size_t n, char *out, size_t max)
{
	size_t i = 0, k = 0;

	while (i < n) {
		char c = s[i];

		if (c == '&' && i + 5 <= n && s[i + 1] == '#' && s[i + 2] == 'x' &&
		    net_hexval(s[i + 3]) >= 0 && net_hexval(s[i + 4]) >= 0) {
			c = (char)(net_hexval(s[i + 3]) << 4 | net_hexval(s[i + 4]));
			i += 5;
		} else {
			i++;
		}
		if (k < max)
			out[k] = c;
		k++;
	}
	return k;
}

/* Splits a line into at most MF_NCOLS fields; returns the count or -EINVAL. */
static int mf_split(const char *line, size_t len, const char **f, size_t *fl)
{
	size_t start = 0, i;
	int nf = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ',')
			continue;
		if (nf == MF_NCOLS)
			return -EINVAL;
		f[nf] = line + start;
		fl[nf] = i - start;
		nf++;
		start = i + 1;
	}
	return nf;
}

static int mf_parse(const char *line, size_t len, struct lease_rec *r, int *truncated, int *ncols)
{
	const char *f[MF_NCOLS];
	size_t fl[MF_NCOLS];
	uint64_t v;
	size_t hl;
	int nf;

	nf = mf_split(line, len, f, fl);
	if (nf < 9)
		return -EINVAL;
	memset(r, 0, sizeof(*r));

	if (net_ip4_parse_n(f[0], fl[0], &r->addr) < 0 || r->addr == 0)
		return -EINVAL;

	if (mf_hex(f[1], fl[1], r->hwaddr, sizeof(r->hwaddr), &r->hwaddr_len))
		return -EINVAL;
	r->htype = 1;               /* Kea's v4 file has no htype: Ethernet */
	if (mf_hex(f[2], fl[2], r->cid, sizeof(r->cid), &r->cid_len))
		return -EINVAL;
	if (mf_u64(f[3], fl[3], UINT32_MAX, &v))
		return -EINVAL;
	r->valid_lft = (uint32_t)v;
	/* Kea writes expire as a 64-bit time_t; an infinite lifetime
	 * (0xffffffff) pushes it past 2^32, which our record saturates. */
	if (mf_u64(f[4], fl[4], UINT64_MAX, &v))
		return -EINVAL;
	r->expire = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	if (mf_u64(f[5], fl[5], UINT32_MAX, &v))
		return -EINVAL;
	r->subnet_id = (uint32_t)v;
	for (int i = 6; i <= 7; i++) {
		uint8_t b;

		if (fl[i] == 1 && (f[i][0] == '0' || f[i][0] == '1'))
			b = f[i][0] == '1';
		else if (fl[i] == 4 && memcmp(f[i], "true", 4) == 0)
			b = 1;
		else if (fl[i] == 5 && memcmp(f[i], "false", 5) == 0)
			b = 0;
		else
			return -EINVAL;
		if (i == 6)
			r->fqdn_fwd = b;
		else
			r->fqdn_rev = b;
	}
	hl = mf_unescape(f[8], fl[8], r->hostname, sizeof(r->hostname) - 1);
	if (hl > sizeof(r->hostname) - 1) {
		hl = sizeof(r->hostname) - 1;
		if (truncated)
			*truncated = 1;
	}
	r->hostname[hl] = '\0';
	r->hostname_len = (uint8_t)hl;
	if (nf >= 10) {
		if (mf_u64(f[9], fl[9], 2, &v))
			return -EINVAL;
		r->state = (uint8_t)v;
	}
	/* f[10], user_context: JSON with its commas escaped; not kept. */
	if (ncols)
		*ncols = nf;
	return 0;
}

int lease_csv_parse(const char *line, size_t len, struct lease_rec *r, int *truncated)
{
	if (line == NULL || r == NULL)
		return -EINVAL;
	if (truncated)
		*truncated = 0;
	if (len && line[len - 1] == '\r')
		len--;
	return mf_parse(line, len, r, truncated, NULL);
}

static char *mf_put_hex(char *p, const uint8_t *b, unsigned n)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		if (i)
			*p++ = ':';
		*p++ = hx[b[i] >> 4];
		*p++ = hx[b[i] & 15];
	}
	return p;
}

/* Escape what would break the line: the delimiter (as Kea does), control
 * bytes, and a '&' that would otherwise read back as an escape. */
static bool mf_must_escape(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ',' || c < 0x20 || c == 0x7f)
		return true;
	return c == '&' && i + 2 < n && s[i + 1] == '#' && s[i + 2] == 'x';
}

int lease_csv_format(const struct lease_rec *r, char *buf, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	char tmp[LEASE_CSV_LINE_MAX];
	char *p = tmp;
	size_t hl, i;
	int n;

	if (r == NULL || buf == NULL)
		return -EINVAL;
	p += sprintf(p, "%u.%u.%u.%u,", r->addr >> 24, (r->addr >> 16) & 255,
		     (r->addr >> 8) & 255, r->addr & 255);
	p = mf_put_hex(p, r->hwaddr, r->hwaddr_len > sizeof(r->hwaddr) ? sizeof(r->hwaddr) : r->hwaddr_len);
	*p++ = ',';
	p = mf_put_hex(p, r->cid, r->cid_len);
	p += sprintf(p, ",%u,%u,%u,%u,%u,", r->valid_lft, r->expire, r->subnet_id,
		     r->fqdn_fwd ? 1 : 0, r->fqdn_rev ? 1 : 0);
	hl = r->hostname_len > sizeof(r->hostname) ? sizeof(r->hostname) : r->hostname_len;
	for (i = 0; i < hl && r->hostname[i] != '\0'; i++) {
		if (mf_must_escape(r->hostname, i, hl)) {
			unsigned char c = (unsigned char)r->hostname[i];

			*p++ = '&';
			*p++ = '#';
			*p++ = 'x';
			*p++ = hx[c >> 4];
			*p++ = hx[c & 15];
		} else {
			*p++ = r->hostname[i];
		}
	}
	p += sprintf(p, ",%u,\n", r->state);
	n = (int)(p - tmp);
	if ((size_t)n > len)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return n;
}

/* ---- files ------------------------------------------------------------ */

static bool mf_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static int mf_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int mf_unlink(const char *path)
{
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int mf_write_all(int fd, const char *b, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, b + *done, n - *done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*done += (size_t)w;
	}
	return 0;
}

/* Maps a whole file read-only.  -ENOENT if it does not exist; an empty
 * file gives data NULL, len 0. */
static int mf_map(const char *path, const char **data, size_t *len)
{
	struct stat sb;
	void *m;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (sb.st_size == 0) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	madvise(m, (size_t)sb.st_size, MADV_SEQUENTIAL);
	*data = m;
	*len = (size_t)sb.st_size;
	return 0;
}

static void mf_unmap(const char *data, size_t len)
{
	if (data)
		munmap((void *)data, len);
}

/* 0: not a header; 9..11: a valid header with that many columns;
 * -EINVAL: starts like a header but names other columns (a v6 file?). */
static int mf_header(const char *line, size_t len)
{
	const char *f[MF_NCOLS];
	size_t fl[MF_NCOLS];
	int nf, i;

	if (len < 7 || memcmp(line, "address", 7) != 0)
		return 0;
	nf = mf_split(line, len, f, fl);
	if (nf < 9)
		return -EINVAL;
	for (i = 0; i < nf; i++)
		if (fl[i] != strlen(mf_cols[i]) || memcmp(f[i], mf_cols[i], fl[i]) != 0)
			return -EINVAL;
	return nf;
}

/* Walks every complete line of a mapped file.  `each` gets the line
 * (without "\r\n"), its offset, its parsed record (or NULL when the line
 * is bad) and its column count.  A last line without its newline is a
 * torn write and counts as bad.  Returns -EINVAL if the first line is a
 * header of another format, or what `each` returned if not 0. */
typedef int (*mf_line_fn)(void *arg, const char *line, size_t off, size_t len,
			  const struct lease_rec *r, int ncols);

static int mf_walk(struct lease_backend *be, const char *data, size_t len, mf_line_fn each, void *arg)
{
	size_t off = 0;
	int want = 0;                   /* columns announced by the header */
	bool first = true;

	while (off < len) {
		const char *line = data + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		size_t next = off + ll + 1;
		struct lease_rec r;
		int trunc = 0, ncols = 0, h, ret;

		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			off = next;
			continue;
		}
		h = nl ? mf_header(line, ll) : 0;
		if (h > 0) {
			want = h;
			first = false;
			off = next;
			continue;
		}
		if (h < 0 && first)
			return -EINVAL;
		first = false;
		if (h < 0 || nl == NULL || mf_parse(line, ll, &r, &trunc, &ncols) ||
		    (want && ncols != want)) {
			MF_WALK_STAT(be, bad_lines);
			ret = each(arg, line, off, ll, NULL, 0);
		} else {
			if (trunc)
				MF_WALK_STAT(be, truncated);
			ret = each(arg, line, off, ll, &r, ncols);
		}
		if (ret)
			return ret;
		off = next;
	}
	return 0;
}

/* ---- recovery, load ---------------------------------------------------- */

/* Finish whatever a crash interrupted.  .completed is a whole, fsynced
 * merge of .2 and .1, so it replaces both; .output is a merge that never
 * finished and is thrown away; a .1 without .completed is still input to
 * the next compaction. */
static int mf_recover(struct lease_backend *be)
{
	int ret;

	if (mf_exists(be->pdone)) {
		if ((ret = mf_unlink(be->p1)) != 0)
			return ret;
		if (rename(be->pdone, be->p2) < 0)
			return -errno;
	}
	if ((ret = mf_unlink(be->pout)) != 0)
		return ret;
	return mf_fsync_dir(be->dir);
}

struct mf_load_ctx {
	struct lease_backend *be;
	int (*cb)(const struct lease_rec *r, void *arg);
	void *arg;
};

static int mf_load_line(void *arg, const char *line, size_t off, size_t len,
			const struct lease_rec *r, int ncols)
{
	struct mf_load_ctx *lc = arg;

	(void)line, (void)off, (void)len, (void)ncols;
	if (r == NULL)
		return 0;
	MF_STAT_ADD(lc->be, loaded, 1);
	return lc->cb(r, lc->arg);
}

static int mf_load(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg)
{
	struct mf_load_ctx lc = { be, cb, arg };
	const char *files[3];
	unsigned nfiles = 0, i;
	int ret;

	if (be == NULL || cb == NULL)
		return -EINVAL;
	/* open() already ran mf_recover(); still never trust .2/.1 when a
	 * .completed stands for both. */
	if (mf_exists(be->pdone)) {
		files[nfiles++] = be->pdone;
	} else {
		files[nfiles++] = be->p2;
		files[nfiles++] = be->p1;
	}
	files[nfiles++] = be->path;
	for (i = 0; i < nfiles; i++) {
		const char *data;
		size_t len;

		ret = mf_map(files[i], &data, &len);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		ret = mf_walk(be, data, len, mf_load_line, &lc);
		mf_unmap(data, len);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- open, append, sync ------------------------------------------------- */

/* Opens (creating with a header) the live file.  A file that ends in the
 * middle of a line (a torn write) gets a newline first, so the torn line
 * stays one bad line instead of swallowing the next record. */
static int mf_open_live(struct lease_backend *be)
{
	struct stat sb;
	size_t done;
	char last;
	int fd, ret;

	fd = open(be->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		goto err_errno;
	if (sb.st_size == 0) {
		char hdr[sizeof(lease_csv_header) + 1];

		memcpy(hdr, lease_csv_header, sizeof(lease_csv_header) - 1);
		hdr[sizeof(lease_csv_header) - 1] = '\n';
		ret = mf_write_all(fd, hdr, sizeof(lease_csv_header), &done);
		if (ret)
			goto err;
	} else {
		if (pread(fd, &last, 1, sb.st_size - 1) != 1)
			goto err_errno;
		if (last != '\n' && (ret = mf_write_all(fd, "\n", 1, &done)) != 0)
			goto err;
	}
	if (fdatasync(fd) < 0)
		goto err_errno;
	/* A file we just created exists durably only once its directory entry
	 * does: without this a power loss could take the whole file, with
	 * every lease acknowledged into it. */
	if (sb.st_size == 0 && (ret = mf_fsync_dir(be->dir)) != 0)
		goto err;
	be->fd = fd;
	be->need_nl = false;
	return 0;
err_errno:
	ret = -errno;
err:
	close(fd);
	return ret;
}

static struct lease_backend *mf_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct lease_backend *be;
	const char *slash;
	size_t n;
	int ret;

	if (db == NULL || db->type != CONF_DB_MEMFILE || db->name[0] == '\0') {
		snprintf(err, errlen, "memfile: not a memfile database, or no lease file name");
		errno = EINVAL;
		return NULL;
	}
	n = strnlen(db->name, sizeof(db->name));
	if (n + MF_SUFFIX_MAX >= PATH_MAX) {
		snprintf(err, errlen, "memfile: lease file name too long");
		errno = ENAMETOOLONG;
		return NULL;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		goto err_nomem;
	be->buf = malloc(MF_BUF_SIZE);
	if (be->buf == NULL)
		goto err_nomem;
	be->fd = -1;
	memcpy(be->path, db->name, n);
	snprintf(be->p1, sizeof(be->p1), "%s.1", be->path);
	snprintf(be->p2, sizeof(be->p2), "%s.2", be->path);
	snprintf(be->pout, sizeof(be->pout), "%s.output", be->path);
	snprintf(be->pdone, sizeof(be->pdone), "%s.completed", be->path);
	slash = strrchr(be->path, '/');
	if (slash == NULL)
		strcpy(be->dir, ".");
	else if (slash == be->path)
		strcpy(be->dir, "/");
	else
		memcpy(be->dir, be->path, (size_t)(slash - be->path));

	/* The lease file's directory (often under /tmp or /run) may not
	 * exist yet on a fresh machine: make it rather than refuse to start. */
	ret = util_mkdir_parent(be->path, 0750);
	if (ret) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", be->path, strerror(-ret));
		goto err;
	}
	ret = mf_recover(be);
	if (ret) {
		snprintf(err, errlen, "%s: finishing an interrupted compaction: %s", be->path, strerror(-ret));
		goto err;
	}
	ret = mf_open_live(be);
	if (ret) {
		snprintf(err, errlen, "%s: %s", be->path, strerror(-ret));
		goto err;
	}
	return be;
err_nomem:
	ret = -ENOMEM;
	snprintf(err, errlen, "memfile: out of memory");
err:
	if (be)
		free(be->buf);
	free(be);
	errno = -ret;
	return NULL;
}

static int mf_append(struct lease_backend *be, const struct lease_rec *recs, unsigned n)
{
	size_t used = 0, done;
	unsigned i;
	int ret;

	if (be == NULL || (recs == NULL && n))
		return -EINVAL;
	if (be->need_nl)
		be->buf[used++] = '\n';
	for (i = 0; i <= n; i++) {
		/* Flush when full (only a batch bigger than the buffer takes a
		 * second write) and once at the end. */
		if (i == n || used + LEASE_CSV_LINE_MAX > MF_BUF_SIZE) {
			if (used == 0)
				break;
			ret = mf_write_all(be->fd, be->buf, used, &done);
			if (ret) {
				if (done)
					be->need_nl = be->buf[done - 1] != '\n';
				return ret;
			}
			be->need_nl = false;
			used = 0;
		}
		if (i < n)
			used += (size_t)lease_csv_format(&recs[i], be->buf + used, MF_BUF_SIZE - used);
	}
	MF_STAT_ADD(be, appended, n);
	return 0;
}

static int mf_sync(struct lease_backend *be)
{
	if (be == NULL)
		return -EINVAL;
	if (fdatasync(be->fd) < 0)
		return -errno;
	MF_STAT_ADD(be, syncs, 1);
	return 0;
}

/* ---- compaction --------------------------------------------------------- */

struct mf_slot {
	uint32_t addr;                  /* 0 = empty (0.0.0.0 never parses) */
	uint32_t len;
	uint64_t off;
	uint8_t file;
	uint8_t ncols;
	uint8_t drop;                   /* deleted or expired-reclaimed */
};

struct mf_merge {
	struct lease_backend *be;
	struct mf_slot *slots;
	size_t cap, used;
	uint8_t file;
};

static size_t mf_slot_find(const struct mf_slot *slots, size_t cap, uint32_t addr)
{
	size_t i = (addr * 2654435761u) & (cap - 1);

	while (slots[i].addr != 0 && slots[i].addr != addr)
		i = (i + 1) & (cap - 1);
	return i;
}

static int mf_merge_grow(struct mf_merge *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 4096, i;
	struct mf_slot *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].addr)
			ns[mf_slot_find(ns, ncap, m->slots[i].addr)] = m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

static int mf_merge_line(void *arg, const char *line, size_t off, size_t len,
			 const struct lease_rec *r, int ncols)
{
	struct mf_merge *m = arg;
	struct mf_slot *s;

	(void)line;
	if (r == NULL)
		return 0;
	if ((m->used + 1) * 2 > m->cap && mf_merge_grow(m))
		return -ENOMEM;
	s = &m->slots[mf_slot_find(m->slots, m->cap, r->addr)];
	if (s->addr == 0)
		m->used++;
	s->addr = r->addr;
	s->off = off;
	s->len = (uint32_t)len;
	s->file = m->file;
	s->ncols = (uint8_t)ncols;
	s->drop = r->valid_lft == 0 || r->state == 2;
	return 0;
}

static int mf_slot_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct mf_slot *)a)->addr, y = ((const struct mf_slot *)b)->addr;

	return x < y ? -1 : x > y;
}

/* Writes the kept lines (verbatim, so a user_context survives; short
 * rows from old schemas padded to 11 columns) sorted by address.  Runs on
 * the compaction thread, so it has its own buffer. */
static int mf_merge_write(struct mf_merge *m, const char *const data[2], int fd, size_t *kept_out)
{
	size_t kept = 0, used, i, done;
	char *out;
	int ret = 0;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].addr && !m->slots[i].drop)
			m->slots[kept++] = m->slots[i];
	qsort(m->slots, kept, sizeof(*m->slots), mf_slot_cmp);
	out = malloc(MF_BUF_SIZE);
	if (out == NULL)
		return -ENOMEM;
	used = sizeof(lease_csv_header) - 1;
	memcpy(out, lease_csv_header, used);
	out[used++] = '\n';
	for (i = 0; i < kept && ret == 0; i++) {
		const struct mf_slot *s = &m->slots[i];
		static const char pad[] = ",0,";

		if (used + s->len + sizeof(pad) > MF_BUF_SIZE) {
			ret = mf_write_all(fd, out, used, &done);
			used = 0;
		}
		if (s->len + sizeof(pad) > MF_BUF_SIZE) {
			ret = ret ? ret : -E2BIG;   /* a > 1 MiB line never parses */
			break;
		}
		memcpy(out + used, data[s->file] + s->off, s->len);
		used += s->len;
		if (s->ncols == 9) {
			memcpy(out + used, pad, 3);     /* state 0, empty context */
			used += 3;
		} else if (s->ncols == 10) {
			out[used++] = ',';
		}
		out[used++] = '\n';
	}
	if (ret == 0 && used)
		ret = mf_write_all(fd, out, used, &done);
	free(out);
	*kept_out = kept;
	return ret;
}

/* The background half: merge .2 + .1 into .output, then swap it in. */
static int mf_compact_run(struct lease_backend *be)
{
	const char *paths[2] = { be->p2, be->p1 };
	const char *data[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, kept = 0;
	struct mf_merge m = { .be = be };
	int fd = -1, ret = 0, i;

	for (i = 0; i < 2; i++) {
		ret = mf_map(paths[i], &data[i], &len[i]);
		if (ret == -ENOENT)
			ret = 0;
		if (ret)
			goto out;
		m.file = (uint8_t)i;
		ret = mf_walk(NULL, data[i], len[i], mf_merge_line, &m);
		if (ret)
			goto out;
	}
	fd = open(be->pout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = mf_merge_write(&m, data, fd, &kept);
	if (ret)
		goto out;
	if (fsync(fd) < 0) {
		ret = -errno;
		goto out;
	}
	close(fd);
	fd = -1;
	/* From here on every state is recoverable: .completed replaces
	 * both inputs (mf_recover). */
	if (rename(be->pout, be->pdone) < 0) {
		ret = -errno;
		goto out;
	}
	if ((ret = mf_fsync_dir(be->dir)) != 0 ||
	    (ret = mf_unlink(be->p1)) != 0 ||
	    (ret = mf_unlink(be->p2)) != 0)
		goto out;
	if (rename(be->pdone, be->p2) < 0) {
		ret = -errno;
		goto out;
	}
	ret = mf_fsync_dir(be->dir);
out:
	if (fd >= 0) {
		close(fd);
		unlink(be->pout);
	}
	for (i = 0; i < 2; i++)
		mf_unmap(data[i], len[i]);
	free(m.slots);
	if (ret == 0) {
		__atomic_store_n(&be->st.compact_kept, kept, __ATOMIC_RELAXED);
		MF_STAT_ADD(be, compactions, 1);
	} else {
		MF_STAT_ADD(be, compact_errors, 1);
	}
	return ret;
}

static void *mf_compact_thread(void *arg)
{
	struct lease_backend *be = arg;

	be->lfc_result = mf_compact_run(be);
	__atomic_store_n(&be->lfc_running, false, __ATOMIC_RELEASE);
	return NULL;
}

static int mf_compact_wait(struct lease_backend *be)
{
	if (be == NULL)
		return -EINVAL;
	if (!be->lfc_joinable)
		return 0;
	pthread_join(be->lfc, NULL);
	be->lfc_joinable = false;
	return be->lfc_result;
}

/* Moves the live file to .1 and opens a fresh one.  The old file is
 * synced first: the flusher may already have published records in it as
 * durable only after its next sync, which would then hit the new file. */
static int mf_rotate(struct lease_backend *be)
{
	int old = be->fd, ret;

	if (fdatasync(old) < 0)
		return -errno;
	if (rename(be->path, be->p1) < 0)
		return -errno;
	ret = mf_open_live(be);
	if (ret) {
		/* Put the old file back; appends go on there. */
		if (rename(be->p1, be->path) < 0)
			ret = -errno;
		be->fd = old;
		return ret;
	}
	close(old);
	return mf_fsync_dir(be->dir);
}

static int mf_compact(struct lease_backend *be)
{
	int ret;

	if (be == NULL)
		return -EINVAL;
	if (__atomic_load_n(&be->lfc_running, __ATOMIC_ACQUIRE))
		return -EBUSY;
	mf_compact_wait(be);
	/* A .1 left by an interrupted compaction is merged first; the live
	 * file is rotated by the next compaction. */
	if (!mf_exists(be->p1)) {
		ret = mf_rotate(be);
		if (ret)
			return ret;
	}
	__atomic_store_n(&be->lfc_running, true, __ATOMIC_RELAXED);
	ret = pthread_create(&be->lfc, NULL, mf_compact_thread, be);
	if (ret) {
		__atomic_store_n(&be->lfc_running, false, __ATOMIC_RELAXED);
		return -ret;
	}
	be->lfc_joinable = true;
	return 0;
}

static void mf_get_stats(struct lease_backend *be, struct lease_backend_stats *s)
{
	s->loaded = __atomic_load_n(&be->st.loaded, __ATOMIC_RELAXED);
	s->bad_lines = __atomic_load_n(&be->st.bad_lines, __ATOMIC_RELAXED);
	s->truncated = __atomic_load_n(&be->st.truncated, __ATOMIC_RELAXED);
	s->appended = __atomic_load_n(&be->st.appended, __ATOMIC_RELAXED);
	s->syncs = __atomic_load_n(&be->st.syncs, __ATOMIC_RELAXED);
	s->compactions = __atomic_load_n(&be->st.compactions, __ATOMIC_RELAXED);
	s->compact_errors = __atomic_load_n(&be->st.compact_errors, __ATOMIC_RELAXED);
	s->compact_kept = __atomic_load_n(&be->st.compact_kept, __ATOMIC_RELAXED);
}

static void mf_close(struct lease_backend *be)
{
	if (be == NULL)
		return;
	mf_compact_wait(be);
	if (be->fd >= 0) {
		fdatasync(be->fd);
		close(be->fd);
	}
	free(be->buf);
	free(be);
}

const struct lease_backend_ops lease_backend_memfile_ops = {
	.name = "memfile",
	.open = mf_open,
	.load = mf_load,
	.append = mf_append,
	.sync = mf_sync,
	.compact = mf_compact,
	.close = mf_close,
	.compact_wait = mf_compact_wait,
	.get_stats = mf_get_stats,
};
