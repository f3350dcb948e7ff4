/* One memfile lease file, of either family (its struct mf_format): load,
 * append, sync, and lease file compaction that survives a crash at any
 * point.  Replay order is .2, .1, then the live file: later records win.
 *
 * Compaction (Kea's LFC idea): mf_file_rotate() moves the live file to .1
 * and opens a fresh one (quick, on the caller's thread, between batches);
 * mf_file_compact(), on a background thread, merges .2 + .1 keeping the
 * last record per address, drops deleted and expired-reclaimed leases,
 * writes .output, fsyncs it, renames it to .completed, removes .1 and .2
 * and renames .completed to .2.  Every state a crash can leave is
 * recovered by mf_recover() when the file is opened again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memfile_int.h"
#include "util_fs.h"

#define MF_BUF_SIZE (1u << 20)      /* append buffer: one write() per batch */

#define MF_STAT_ADD(f, m, v) __atomic_fetch_add(&(f)->st.m, (v), __ATOMIC_RELAXED)

/* Either family's record, for the parser to fill. */
union mf_rec {
	struct lease_rec v4;
	struct lease6_rec v6;
};

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

/* Walks every complete line of a mapped file.  `each` gets the line
 * (without "\r\n"), its offset, its parsed record (or NULL when the line
 * is bad) and its column count.  A last line without its newline is a
 * torn write and counts as bad.  Returns -EINVAL if the first line is a
 * header of another format, or what `each` returned if not 0.  `stats`
 * (NULL when compacting) counts bad and truncated lines. */
typedef int (*mf_line_fn)(void *arg, const char *line, size_t off, size_t len,
			  const void *rec, int ncols);

static int mf_walk(const struct mf_format *fmt, struct mf_file *stats, const char *data, size_t len,
		   mf_line_fn each, void *arg)
{
	size_t off = 0;
	int want = 0;                   /* columns announced by the header */
	bool first = true;

	while (off < len) {
		const char *line = data + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		size_t next = off + ll + 1;
		union mf_rec r;
		int trunc = 0, ncols = 0, h, ret;

		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			off = next;
			continue;
		}
		h = nl ? mf_header(fmt, line, ll) : 0;
		if (h > 0) {
			want = h;
			first = false;
			off = next;
			continue;
		}
		if (h < 0 && first)
			return -EINVAL;
		first = false;
		if (h < 0 || nl == NULL || fmt->parse(line, ll, &r, &trunc, &ncols) ||
		    (want && ncols != want)) {
			if (stats)
				MF_STAT_ADD(stats, bad_lines, 1);
			ret = each(arg, line, off, ll, NULL, 0);
		} else {
			if (trunc && stats)
				MF_STAT_ADD(stats, truncated, 1);
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
static int mf_recover(struct mf_file *f)
{
	int ret;

	if (mf_exists(f->pdone)) {
		if ((ret = mf_unlink(f->p1)) != 0)
			return ret;
		if (rename(f->pdone, f->p2) < 0)
			return -errno;
	}
	if ((ret = mf_unlink(f->pout)) != 0)
		return ret;
	return mf_fsync_dir(f->dir);
}

struct mf_load_ctx {
	struct mf_file *f;
	int (*cb)(const void *rec, void *arg);
	void *arg;
};

static int mf_load_line(void *arg, const char *line, size_t off, size_t len,
			const void *rec, int ncols)
{
	struct mf_load_ctx *lc = arg;

	(void)line, (void)off, (void)len, (void)ncols;
	if (rec == NULL)
		return 0;
	MF_STAT_ADD(lc->f, loaded, 1);
	return lc->cb(rec, lc->arg);
}

int mf_file_load(struct mf_file *f, int (*cb)(const void *rec, void *arg), void *arg)
{
	struct mf_load_ctx lc = { f, cb, arg };
	const char *files[3];
	unsigned nfiles = 0, i;
	int ret;

	/* open already ran mf_recover(); still never trust .2/.1 when a
	 * .completed stands for both. */
	if (mf_exists(f->pdone)) {
		files[nfiles++] = f->pdone;
	} else {
		files[nfiles++] = f->p2;
		files[nfiles++] = f->p1;
	}
	files[nfiles++] = f->path;
	for (i = 0; i < nfiles; i++) {
		const char *data;
		size_t len;

		ret = mf_map(files[i], &data, &len);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		ret = mf_walk(f->fmt, f, data, len, mf_load_line, &lc);
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
static int mf_open_live(struct mf_file *f)
{
	const struct mf_format *fmt = f->fmt;
	struct stat sb;
	size_t done;
	char last;
	int fd, ret;

	fd = open(f->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0)
		goto err_errno;
	if (sb.st_size == 0) {
		/* f->buf is free between appends */
		memcpy(f->buf, fmt->header, fmt->header_len);
		f->buf[fmt->header_len] = '\n';
		ret = mf_write_all(fd, f->buf, fmt->header_len + 1, &done);
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
	if (sb.st_size == 0 && (ret = mf_fsync_dir(f->dir)) != 0)
		goto err;
	f->fd = fd;
	f->need_nl = false;
	f->dirty = false;
	return 0;
err_errno:
	ret = -errno;
err:
	close(fd);
	return ret;
}

int mf_file_open(struct mf_file *f, const struct mf_format *fmt, const char *path,
		 char *err, size_t errlen)
{
	const char *slash;
	size_t n;
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->fmt = fmt;
	n = strnlen(path, PATH_MAX);
	if (n + MF_SUFFIX_MAX >= PATH_MAX) {
		snprintf(err, errlen, "memfile: lease file name too long");
		return -ENAMETOOLONG;
	}
	f->buf = malloc(MF_BUF_SIZE);
	if (f->buf == NULL) {
		snprintf(err, errlen, "memfile: out of memory");
		return -ENOMEM;
	}
	memcpy(f->path, path, n);
	snprintf(f->p1, sizeof(f->p1), "%s.1", f->path);
	snprintf(f->p2, sizeof(f->p2), "%s.2", f->path);
	snprintf(f->pout, sizeof(f->pout), "%s.output", f->path);
	snprintf(f->pdone, sizeof(f->pdone), "%s.completed", f->path);
	slash = strrchr(f->path, '/');
	if (slash == NULL)
		strcpy(f->dir, ".");
	else if (slash == f->path)
		strcpy(f->dir, "/");
	else
		memcpy(f->dir, f->path, (size_t)(slash - f->path));

	/* The lease file's directory (often under /tmp or /run) may not
	 * exist yet on a fresh machine: make it rather than refuse to start. */
	ret = util_mkdir_parent(f->path, 0750);
	if (ret) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", f->path, strerror(-ret));
		goto err;
	}
	ret = mf_recover(f);
	if (ret) {
		snprintf(err, errlen, "%s: finishing an interrupted compaction: %s", f->path, strerror(-ret));
		goto err;
	}
	ret = mf_open_live(f);
	if (ret) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(-ret));
		goto err;
	}
	return 0;
err:
	free(f->buf);
	f->buf = NULL;
	return ret;
}

void mf_file_close(struct mf_file *f)
{
	if (f->fd >= 0) {
		fdatasync(f->fd);
		close(f->fd);
		f->fd = -1;
	}
	free(f->buf);
	f->buf = NULL;
}

int mf_file_append(struct mf_file *f, const void *recs, unsigned n)
{
	const struct mf_format *fmt = f->fmt;
	size_t used = 0, done;
	unsigned i;
	int ret;

	if (f->need_nl)
		f->buf[used++] = '\n';
	for (i = 0; i <= n; i++) {
		/* Flush when full (only a batch bigger than the buffer takes a
		 * second write) and once at the end. */
		if (i == n || used + LEASE_CSV_LINE_MAX > MF_BUF_SIZE) {
			if (used == 0)
				break;
			f->dirty = true;
			ret = mf_write_all(f->fd, f->buf, used, &done);
			if (ret) {
				if (done)
					f->need_nl = f->buf[done - 1] != '\n';
				return ret;
			}
			f->need_nl = false;
			used = 0;
		}
		if (i < n)
			used += (size_t)fmt->format((const char *)recs + (size_t)i * fmt->rec_size,
						    f->buf + used, MF_BUF_SIZE - used);
	}
	MF_STAT_ADD(f, appended, n);
	return 0;
}

int mf_file_sync(struct mf_file *f)
{
	if (!f->dirty)
		return 0;
	if (fdatasync(f->fd) < 0)
		return -errno;
	f->dirty = false;
	return 0;
}

/* ---- compaction --------------------------------------------------------- */

struct mf_slot {
	struct mf_key key;              /* 0/0 = empty */
	uint64_t off;
	uint32_t len;
	uint8_t file;
	uint8_t ncols;
	uint8_t drop;                   /* deleted or expired-reclaimed */
};

struct mf_merge {
	const struct mf_format *fmt;
	struct mf_slot *slots;
	size_t cap, used;
	uint8_t file;
};

static bool mf_key_empty(struct mf_key k)
{
	return (k.hi | k.lo) == 0;
}

static size_t mf_slot_find(const struct mf_slot *slots, size_t cap, struct mf_key k)
{
	uint64_t h = (k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	size_t i = (size_t)(h ^ h >> 32) & (cap - 1);

	while (!mf_key_empty(slots[i].key) && (slots[i].key.hi != k.hi || slots[i].key.lo != k.lo))
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
		if (!mf_key_empty(m->slots[i].key))
			ns[mf_slot_find(ns, ncap, m->slots[i].key)] = m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

static int mf_merge_line(void *arg, const char *line, size_t off, size_t len,
			 const void *rec, int ncols)
{
	struct mf_merge *m = arg;
	struct mf_slot *s;
	struct mf_key k;
	bool drop;

	(void)line;
	if (rec == NULL)
		return 0;
	if ((m->used + 1) * 2 > m->cap && mf_merge_grow(m))
		return -ENOMEM;
	m->fmt->key(rec, &k, &drop);
	s = &m->slots[mf_slot_find(m->slots, m->cap, k)];
	if (mf_key_empty(s->key))
		m->used++;
	s->key = k;
	s->off = off;
	s->len = (uint32_t)len;
	s->file = m->file;
	s->ncols = (uint8_t)ncols;
	s->drop = drop;
	return 0;
}

static int mf_slot_cmp(const void *a, const void *b)
{
	const struct mf_key *x = &((const struct mf_slot *)a)->key;
	const struct mf_key *y = &((const struct mf_slot *)b)->key;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Writes the kept lines (verbatim, so a user_context survives; short
 * rows from old schemas padded to the current one) sorted by address, as
 * kea-lfc does.  Runs on the compaction thread, so it has its own buffer. */
static int mf_merge_write(struct mf_merge *m, const char *const data[2], int fd, size_t *kept_out)
{
	const struct mf_format *fmt = m->fmt;
	size_t kept = 0, used, i, done;
	char *out;
	int ret = 0;

	for (i = 0; i < m->cap; i++)
		if (!mf_key_empty(m->slots[i].key) && !m->slots[i].drop)
			m->slots[kept++] = m->slots[i];
	qsort(m->slots, kept, sizeof(*m->slots), mf_slot_cmp);
	out = malloc(MF_BUF_SIZE);
	if (out == NULL)
		return -ENOMEM;
	used = fmt->header_len;
	memcpy(out, fmt->header, used);
	out[used++] = '\n';
	for (i = 0; i < kept && ret == 0; i++) {
		const struct mf_slot *s = &m->slots[i];
		const char *pad = fmt->pad[s->ncols];
		size_t padlen = strlen(pad);

		if (used + s->len + padlen + 1 > MF_BUF_SIZE) {
			ret = mf_write_all(fd, out, used, &done);
			used = 0;
		}
		if (s->len + padlen + 1 > MF_BUF_SIZE) {
			ret = ret ? ret : -E2BIG;   /* a > 1 MiB line never parses */
			break;
		}
		memcpy(out + used, data[s->file] + s->off, s->len);
		used += s->len;
		memcpy(out + used, pad, padlen);
		used += padlen;
		out[used++] = '\n';
	}
	if (ret == 0 && used)
		ret = mf_write_all(fd, out, used, &done);
	free(out);
	*kept_out = kept;
	return ret;
}

int mf_file_compact(struct mf_file *f)
{
	const char *paths[2] = { f->p2, f->p1 };
	const char *data[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, kept = 0;
	struct mf_merge m = { .fmt = f->fmt };
	int fd = -1, ret = 0, i;

	for (i = 0; i < 2; i++) {
		ret = mf_map(paths[i], &data[i], &len[i]);
		if (ret == -ENOENT)
			ret = 0;
		if (ret)
			goto out;
		m.file = (uint8_t)i;
		ret = mf_walk(f->fmt, NULL, data[i], len[i], mf_merge_line, &m);
		if (ret)
			goto out;
	}
	fd = open(f->pout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
	if (rename(f->pout, f->pdone) < 0) {
		ret = -errno;
		goto out;
	}
	if ((ret = mf_fsync_dir(f->dir)) != 0 ||
	    (ret = mf_unlink(f->p1)) != 0 ||
	    (ret = mf_unlink(f->p2)) != 0)
		goto out;
	if (rename(f->pdone, f->p2) < 0) {
		ret = -errno;
		goto out;
	}
	ret = mf_fsync_dir(f->dir);
out:
	if (fd >= 0) {
		close(fd);
		unlink(f->pout);
	}
	for (i = 0; i < 2; i++)
		mf_unmap(data[i], len[i]);
	free(m.slots);
	if (ret == 0) {
		__atomic_store_n(&f->st.compact_kept, kept, __ATOMIC_RELAXED);
		MF_STAT_ADD(f, compactions, 1);
	} else {
		MF_STAT_ADD(f, compact_errors, 1);
	}
	return ret;
}

/* Moves the live file to .1 and opens a fresh one.  The old file is
 * synced first: the flusher may already have published records in it as
 * durable only after its next sync, which would then hit the new file. */
int mf_file_rotate(struct mf_file *f)
{
	int old = f->fd, ret;

	/* A .1 left by an interrupted compaction is merged first; the live
	 * file is rotated by the next compaction. */
	if (mf_exists(f->p1))
		return 0;
	if (fdatasync(old) < 0)
		return -errno;
	f->dirty = false;
	if (rename(f->path, f->p1) < 0)
		return -errno;
	ret = mf_open_live(f);
	if (ret) {
		/* Put the old file back; appends go on there. */
		if (rename(f->p1, f->path) < 0)
			ret = -errno;
		f->fd = old;
		return ret;
	}
	close(old);
	return mf_fsync_dir(f->dir);
}
