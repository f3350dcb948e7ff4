/* The accounting queue (rad_acctq.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rad_acctq.h"

/* A position in the queue: segment number << 32 | offset in the file. */
#define POS(no, off)  ((uint64_t)(no) << 32 | (uint32_t)(off))
#define POS_SEG(p)    ((p) >> 32)
#define POS_OFF(p)    ((uint32_t)(p))

#define SEG_HDR       32               /* magic[8], segment number, head, reserved */
#define SEG_HEAD_OFF  16
#define REC_HDR       12               /* crc32, length, status, magic, event time */
#define REC_MAGIC     0xAC
#define WBUF_SIZE     (64u << 10)

static const char seg_magic[8] = { 'P', 'G', 'A', 'C', 'Q', 0, 0, 1 };

enum { SL_FREE, SL_OUT, SL_FAILED, SL_ANSWERED };

struct seg {
	uint64_t no;
	int fd;
	uint32_t size;                 /* bytes in the file (written) */
};

struct slot {
	uint64_t pos, end;
	uint8_t st;
};

struct rad_acctq {
	struct rad_acctq_params p;
	char path[PATH_MAX];
	struct seg *segs;              /* oldest first; the last one takes appends */
	unsigned n_segs, cap_segs;
	uint64_t head, head_no;        /* first record not answered, and its number */
	uint64_t send, send_no;        /* first record never taken */
	uint64_t tail;                 /* end of the last record (buffered ones included) */
	uint8_t *wbuf;                 /* appended, not written yet: at the newest segment's end */
	uint32_t wlen;
	struct slot slot[RAD_ACCTQ_WINDOW_MAX];   /* records head_no .. send_no - 1 */
	unsigned n_out;
	bool probing;                  /* a failure: one record out until an answer */
	bool head_dirty, data_dirty;
	uint64_t last_sync_ms;
	struct rad_acctq_stats st;
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static void set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* CRC-32 (IEEE, reflected), table built on first use. */
static uint32_t crc32_of(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t rec_crc(const uint8_t *hdr, const uint8_t *attrs, uint16_t len)
{
	return crc32_of(crc32_of(0, hdr + 4, REC_HDR - 4), attrs, len);
}

static int pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* n octets at off: 0, or -1 (short: the end of the file, or an error) */
static int pread_all(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = pread(fd, p, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static void seg_name(const struct rad_acctq *q, uint64_t no, char *out, size_t cap)
{
	snprintf(out, cap, "%s.%06llu", q->path, (unsigned long long)no);
}

static struct seg *seg_of(struct rad_acctq *q, uint64_t no)
{
	if (q->n_segs == 0 || no < q->segs[0].no || no - q->segs[0].no >= q->n_segs)
		return NULL;
	return &q->segs[no - q->segs[0].no];
}

static struct seg *seg_last(struct rad_acctq *q)
{
	return &q->segs[q->n_segs - 1];
}

static int seg_push(struct rad_acctq *q, uint64_t no, int fd, uint32_t size)
{
	if (q->n_segs == q->cap_segs) {
		unsigned cap = q->cap_segs ? 2 * q->cap_segs : 8;
		struct seg *s = realloc(q->segs, cap * sizeof(*s));

		if (s == NULL)
			return -ENOMEM;
		q->segs = s;
		q->cap_segs = cap;
	}
	q->segs[q->n_segs++] = (struct seg){ .no = no, .fd = fd, .size = size };
	set(&q->st.segments, q->n_segs);
	return 0;
}

/* The directory entry of the queue's files, synced (a new or removed
 * segment survives a crash). */
static void dir_sync(const struct rad_acctq *q)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", q->path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* A new, empty segment after the newest (or the first). */
static int seg_create(struct rad_acctq *q, uint64_t no)
{
	char name[PATH_MAX + 32];
	uint8_t hdr[SEG_HDR] = { 0 };
	int fd;

	seg_name(q, no, name, sizeof(name));
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	memcpy(hdr, seg_magic, sizeof(seg_magic));
	put64(hdr + 8, no);
	put64(hdr + SEG_HEAD_OFF, POS(no, SEG_HDR));
	if (pwrite_all(fd, hdr, sizeof(hdr), 0) || seg_push(q, no, fd, SEG_HDR) != 0) {
		close(fd);
		unlink(name);
		return -EIO;
	}
	dir_sync(q);
	return 0;
}

/* Write the buffered appends at the newest segment's end. */
static int wbuf_flush(struct rad_acctq *q)
{
	struct seg *s;

	if (q->wlen == 0)
		return 0;
	s = seg_last(q);
	if (pwrite_all(s->fd, q->wbuf, q->wlen, s->size) != 0) {
		count(&q->st.io_errors, 1);
		return -EIO;
	}
	s->size += q->wlen;
	q->wlen = 0;
	q->data_dirty = true;
	return 0;
}

/* The head into the oldest segment's header (not synced here). */
static int head_write(struct rad_acctq *q)
{
	uint8_t b[8];

	if (!q->head_dirty)
		return 0;
	put64(b, q->head);
	if (pwrite_all(q->segs[0].fd, b, sizeof(b), SEG_HEAD_OFF) != 0) {
		count(&q->st.io_errors, 1);
		return -EIO;
	}
	q->head_dirty = false;
	return 0;
}

/* A position at a segment's end moves to the next segment's start (one
 * in a segment already unlinked: to the oldest's start). */
static uint64_t normalize(struct rad_acctq *q, uint64_t pos)
{
	struct seg *s;

	if (POS_SEG(pos) < q->segs[0].no)
		pos = POS(q->segs[0].no, SEG_HDR);
	while ((s = seg_of(q, POS_SEG(pos))) != NULL && s != seg_last(q) &&
	       POS_OFF(pos) >= s->size)
		pos = POS(s->no + 1, SEG_HDR);
	return pos;
}

/* Unlink the segments the head has left. */
static void drop_answered_segments(struct rad_acctq *q)
{
	char name[PATH_MAX + 32];
	bool gone = false;

	q->head = normalize(q, q->head);
	while (q->n_segs > 1 && q->segs[0].no < POS_SEG(q->head)) {
		close(q->segs[0].fd);
		seg_name(q, q->segs[0].no, name, sizeof(name));
		unlink(name);
		memmove(q->segs, q->segs + 1, (q->n_segs - 1) * sizeof(*q->segs));
		q->n_segs--;
		gone = true;
	}
	if (gone) {
		set(&q->st.segments, q->n_segs);
		q->head_dirty = true;
		head_write(q);
		dir_sync(q);
	}
}

int rad_acctq_append(struct rad_acctq *q, uint8_t status, uint32_t event_time,
		     const uint8_t *attrs, uint16_t len)
{
	uint32_t need = REC_HDR + (uint32_t)len;
	uint8_t *h;

	if (len > RAD_ACCTQ_ATTRS_MAX)
		return -EINVAL;
	if (q->st.backlog >= q->p.max_records) {
		count(&q->st.dropped, 1);
		return -ENOSPC;
	}
	if (POS_OFF(q->tail) + need > q->p.segment_bytes && POS_OFF(q->tail) > SEG_HDR) {
		/* the newest segment is full: close it (synced) and start one */
		if (wbuf_flush(q) != 0)
			return -EIO;
		(void)fdatasync(seg_last(q)->fd);
		if (seg_create(q, seg_last(q)->no + 1) != 0) {
			count(&q->st.io_errors, 1);
			return -EIO;
		}
		q->tail = POS(seg_last(q)->no, SEG_HDR);
		q->send = normalize(q, q->send);
	}
	if (q->wlen + need > WBUF_SIZE && wbuf_flush(q) != 0)
		return -EIO;
	h = q->wbuf + q->wlen;
	put16(h + 4, len);
	h[6] = status;
	h[7] = REC_MAGIC;
	put32(h + 8, event_time);
	memcpy(h + REC_HDR, attrs, len);
	put32(h, rec_crc(h, attrs, len));
	q->wlen += need;
	q->tail += need;
	count(&q->st.backlog, 1);
	count(&q->st.appended, 1);
	return 0;
}

/* The record at pos into out; its length on disk, or -1 (unreadable). */
static int read_rec(struct rad_acctq *q, uint64_t pos, struct rad_acctq_rec *out)
{
	struct seg *s = seg_of(q, POS_SEG(pos));
	uint8_t h[REC_HDR];
	uint16_t len;

	if (s == NULL || pread_all(s->fd, h, REC_HDR, POS_OFF(pos)) != 0 || h[7] != REC_MAGIC)
		return -1;
	len = get16(h + 4);
	if (len > RAD_ACCTQ_ATTRS_MAX || POS_OFF(pos) + REC_HDR + len > s->size ||
	    pread_all(s->fd, out->attrs, len, POS_OFF(pos) + REC_HDR) != 0 ||
	    rec_crc(h, out->attrs, len) != get32(h))
		return -1;
	out->status = h[6];
	out->event_time = get32(h + 8);
	out->len = len;
	return REC_HDR + len;
}

int rad_acctq_take(struct rad_acctq *q, struct rad_acctq_rec *out)
{
	unsigned limit = q->probing ? 1 : q->p.window;
	struct slot *sl;
	uint64_t no;
	int n;

	if (q->n_out >= limit)
		return 0;
	/* a failed record first, the oldest */
	for (no = q->head_no; no < q->send_no; no++) {
		sl = &q->slot[no % RAD_ACCTQ_WINDOW_MAX];
		if (sl->st != SL_FAILED)
			continue;
		if (read_rec(q, sl->pos, out) < 0) {
			count(&q->st.io_errors, 1);
			return -EIO;
		}
		sl->st = SL_OUT;
		q->n_out++;
		out->ticket = no;
		count(&q->st.retried, 1);
		return 1;
	}
	if (q->send_no - q->head_no >= q->p.window)
		return 0;
	if (wbuf_flush(q) != 0)
		return -EIO;
	q->send = normalize(q, q->send);
	if (q->send >= q->tail)
		return 0;
	n = read_rec(q, q->send, out);
	if (n < 0) {
		/* damaged after it was written: skip the rest of that segment
		 * (what is behind it cannot be framed) */
		struct seg *s = seg_of(q, POS_SEG(q->send));

		count(&q->st.io_errors, 1);
		if (s && s != seg_last(q))
			q->send = POS(s->no + 1, SEG_HDR);
		return -EIO;
	}
	sl = &q->slot[q->send_no % RAD_ACCTQ_WINDOW_MAX];
	*sl = (struct slot){ .pos = q->send, .end = q->send + (uint64_t)n, .st = SL_OUT };
	out->ticket = q->send_no++;
	q->send = sl->end;
	q->n_out++;
	return 1;
}

static struct slot *out_slot(struct rad_acctq *q, uint64_t ticket)
{
	struct slot *sl;

	if (ticket < q->head_no || ticket >= q->send_no)
		return NULL;
	sl = &q->slot[ticket % RAD_ACCTQ_WINDOW_MAX];
	return sl->st == SL_OUT ? sl : NULL;
}

int rad_acctq_ack(struct rad_acctq *q, uint64_t ticket)
{
	struct slot *sl = out_slot(q, ticket);

	if (sl == NULL)
		return -ENOENT;
	sl->st = SL_ANSWERED;
	q->n_out--;
	q->probing = false;
	while (q->head_no < q->send_no) {
		sl = &q->slot[q->head_no % RAD_ACCTQ_WINDOW_MAX];
		if (sl->st != SL_ANSWERED)
			break;
		sl->st = SL_FREE;
		q->head = sl->end;
		q->head_no++;
		q->head_dirty = true;
		set(&q->st.backlog, q->st.backlog - 1);
		count(&q->st.answered, 1);
	}
	drop_answered_segments(q);
	return 0;
}

int rad_acctq_fail(struct rad_acctq *q, uint64_t ticket)
{
	struct slot *sl = out_slot(q, ticket);

	if (sl == NULL)
		return -ENOENT;
	sl->st = SL_FAILED;
	q->n_out--;
	q->probing = true;
	return 0;
}

int rad_acctq_sync(struct rad_acctq *q, uint64_t now_ms, bool force)
{
	int ret = wbuf_flush(q);

	if (head_write(q) != 0)
		ret = -EIO;
	if (q->data_dirty && (force || now_ms - q->last_sync_ms >= q->p.sync_ms)) {
		if (fdatasync(seg_last(q)->fd) != 0) {
			count(&q->st.io_errors, 1);
			ret = -EIO;
		}
		q->data_dirty = false;
		q->last_sync_ms = now_ms;
	}
	return ret;
}

uint64_t rad_acctq_backlog(const struct rad_acctq *q)
{
	return q->st.backlog;
}

unsigned rad_acctq_out(const struct rad_acctq *q)
{
	return q->n_out;
}

void rad_acctq_stats(const struct rad_acctq *q, struct rad_acctq_stats *out)
{
	const uint64_t *src = (const uint64_t *)&q->st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* ---- open ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The numbers of the segments <path>.<n> there are, sorted: their count
 * (in *out, malloc'ed), or -errno. */
static int list_segments(const struct rad_acctq *q, uint64_t **out)
{
	char dir[PATH_MAX];
	const char *base, *slash = strrchr(q->path, '/');
	size_t blen, n = 0, cap = 0;
	uint64_t *v = NULL;
	struct dirent *e;
	DIR *d;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", slash == q->path ? 1 : (int)(slash - q->path),
			 q->path);
		base = slash + 1;
	} else {
		snprintf(dir, sizeof(dir), ".");
		base = q->path;
	}
	blen = strlen(base);
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		const char *num = e->d_name + blen + 1;
		char *end;
		unsigned long long no;

		if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.' ||
		    *num < '0' || *num > '9')
			continue;
		no = strtoull(num, &end, 10);
		if (*end || no == 0 || no > UINT32_MAX)
			continue;
		if (n == cap) {
			uint64_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (nv == NULL) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = no;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	return (int)n;
}

/* Segment s's records from its start: counted when at or past the head;
 * the file cut after the last whole one. */
static int scan_segment(struct rad_acctq *q, struct seg *s, uint64_t head)
{
	static uint8_t attrs[RAD_ACCTQ_ATTRS_MAX];
	off_t end = lseek(s->fd, 0, SEEK_END);
	uint32_t off = SEG_HDR;
	uint8_t h[REC_HDR];

	if (end < 0)
		return -errno;
	if (end > UINT32_MAX)
		end = UINT32_MAX;
	for (;;) {
		uint16_t len;

		if (off + REC_HDR > (uint64_t)end || pread_all(s->fd, h, REC_HDR, off) != 0 ||
		    h[7] != REC_MAGIC)
			break;
		len = get16(h + 4);
		if (len > RAD_ACCTQ_ATTRS_MAX || off + REC_HDR + len > (uint64_t)end ||
		    pread_all(s->fd, attrs, len, off + REC_HDR) != 0 ||
		    rec_crc(h, attrs, len) != get32(h))
			break;
		if (POS(s->no, off) >= head) {
			q->st.backlog++;
			q->st.reloaded++;
		}
		off += REC_HDR + len;
	}
	if ((uint64_t)end > off) {
		q->st.torn += (uint64_t)end - off;
		if (ftruncate(s->fd, off) != 0)
			return -errno;
	}
	s->size = off;
	return 0;
}

/* Open segment `no`: its header checked.  0, 1 (not a segment of ours:
 * an empty or torn new one is removed), or -errno. */
static int seg_open(struct rad_acctq *q, uint64_t no, uint64_t *head)
{
	char name[PATH_MAX + 32];
	uint8_t hdr[SEG_HDR];
	int fd;

	seg_name(q, no, name, sizeof(name));
	fd = open(name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread_all(fd, hdr, sizeof(hdr), 0) != 0 ||
	    memcmp(hdr, seg_magic, sizeof(seg_magic)) != 0 || get64(hdr + 8) != no) {
		/* a segment whose creation a crash cut short holds nothing */
		close(fd);
		unlink(name);
		return 1;
	}
	if (seg_push(q, no, fd, SEG_HDR) != 0) {
		close(fd);
		return -ENOMEM;
	}
	if (q->n_segs == 1)
		*head = get64(hdr + SEG_HEAD_OFF);
	return 0;
}

static int load(struct rad_acctq *q)
{
	uint64_t *nos = NULL, head = 0;
	int n = list_segments(q, &nos), ret = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && ret >= 0; i++) {
		/* numbers must follow each other: a gap ends the queue */
		if (q->n_segs && nos[i] != seg_last(q)->no + 1)
			break;
		ret = seg_open(q, nos[i], &head);
	}
	free(nos);
	if (ret < 0)
		return ret;
	if (q->n_segs == 0) {
		q->head = POS(1, SEG_HDR);
		return seg_create(q, 1);
	}
	if (POS_SEG(head) != q->segs[0].no || POS_OFF(head) < SEG_HDR)
		head = POS(q->segs[0].no, SEG_HDR);
	for (unsigned i = 0; i < q->n_segs; i++)
		if ((ret = scan_segment(q, &q->segs[i], head)) != 0)
			return ret;
	/* a head past the records (cut off) is at their end */
	if (POS_OFF(head) > q->segs[0].size)
		head = POS(q->segs[0].no, q->segs[0].size);
	q->head = head;
	return 0;
}

struct rad_acctq *rad_acctq_open(const struct rad_acctq_params *p)
{
	struct rad_acctq *q;
	int ret;

	if (p == NULL || p->path == NULL || !p->path[0] || p->max_records == 0 || p->window == 0 ||
	    p->window > RAD_ACCTQ_WINDOW_MAX || (p->segment_bytes && p->segment_bytes < 4096) ||
	    strlen(p->path) >= PATH_MAX - 16) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->p = *p;
	if (!q->p.segment_bytes)
		q->p.segment_bytes = RAD_ACCTQ_SEGMENT_DEFAULT;
	if (!q->p.sync_ms)
		q->p.sync_ms = 1000;
	snprintf(q->path, sizeof(q->path), "%s", p->path);
	q->p.path = q->path;
	q->wbuf = malloc(WBUF_SIZE);
	ret = q->wbuf ? load(q) : -ENOMEM;
	if (ret != 0) {
		rad_acctq_close(q);
		errno = -ret;
		return NULL;
	}
	q->head = normalize(q, q->head);
	q->send = q->head;
	q->tail = POS(seg_last(q)->no, seg_last(q)->size);
	drop_answered_segments(q);
	return q;
}

void rad_acctq_close(struct rad_acctq *q)
{
	if (q == NULL)
		return;
	if (q->n_segs)
		rad_acctq_sync(q, 0, true);
	for (unsigned i = 0; i < q->n_segs; i++)
		close(q->segs[i].fd);
	free(q->segs);
	free(q->wbuf);
	free(q);
}
