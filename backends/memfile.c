/* memfile: Kea's lease files (CSV), read and written as Kea 2.2 does, so
 * a Kea user's lease files load as they are and ours load in Kea.  Two
 * files, as Kea's two servers keep them: the DHCPv4 one
 * (conf_lease_db.name) and the DHCPv6 one (name6); either may be "" (no
 * store of that family), not both.
 *
 * The rows are lease_csv.c's; one file's load, append, sync and crash-
 * safe compaction are memfile_file.c's, the same code for both files.
 * This file is the backend behind the lease_backend_ops table: sync
 * covers both files (one fdatasync per file written since the last
 * sync), and one background thread compacts both, one after the other. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfile_int.h"

enum { MF_V4, MF_V6, MF_NFILES };

struct lease_backend {
	struct mf_file f[MF_NFILES];
	bool has[MF_NFILES];        /* the family has a file */
	pthread_t lfc;
	bool lfc_joinable;          /* owner thread only */
	bool lfc_running;           /* atomic: set by compact(), cleared by the thread */
	int lfc_result;             /* written by the thread before clearing lfc_running */
	uint64_t syncs;             /* relaxed atomic */
};

static void mf_close(struct lease_backend *be);

static struct lease_backend *mf_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	const struct mf_format *fmt[MF_NFILES] = { &mf_format4, &mf_format6 };
	const char *name[MF_NFILES];
	struct lease_backend *be;
	int ret = EINVAL, i;

	if (db == NULL || db->type != CONF_DB_MEMFILE || (db->name[0] == '\0' && db->name6[0] == '\0')) {
		snprintf(err, errlen, "memfile: not a memfile database, or no lease file name");
		goto err;
	}
	name[MF_V4] = db->name;
	name[MF_V6] = db->name6;
	if (strncmp(db->name, db->name6, sizeof(db->name)) == 0) {
		snprintf(err, errlen, "memfile: %s: the DHCPv4 and DHCPv6 leases need a file each", db->name);
		goto err;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		snprintf(err, errlen, "memfile: out of memory");
		ret = ENOMEM;
		goto err;
	}
	for (i = 0; i < MF_NFILES; i++) {
		be->f[i].fd = -1;
		if (name[i][0] == '\0')
			continue;
		ret = -mf_file_open(&be->f[i], fmt[i], name[i], err, errlen);
		if (ret) {
			mf_close(be);
			goto err;
		}
		be->has[i] = true;
	}
	return be;
err:
	errno = ret;
	return NULL;
}

/* Each family's callback, behind mf_file_load's untyped one. */
struct mf_load_cb {
	int (*cb4)(const struct lease_rec *r, void *arg);
	int (*cb6)(const struct lease6_rec *r, void *arg);
	void *arg;
};

static int mf_load4_one(const void *rec, void *arg)
{
	const struct mf_load_cb *l = arg;

	return l->cb4(rec, l->arg);
}

static int mf_load6_one(const void *rec, void *arg)
{
	const struct mf_load_cb *l = arg;

	return l->cb6(rec, l->arg);
}

static int mf_load(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg)
{
	struct mf_load_cb l = { .cb4 = cb, .arg = arg };

	if (be == NULL || cb == NULL)
		return -EINVAL;
	return be->has[MF_V4] ? mf_file_load(&be->f[MF_V4], mf_load4_one, &l) : 0;
}

static int mf_load6(struct lease_backend *be, int (*cb)(const struct lease6_rec *r, void *arg), void *arg)
{
	struct mf_load_cb l = { .cb6 = cb, .arg = arg };

	if (be == NULL || cb == NULL)
		return -EINVAL;
	return be->has[MF_V6] ? mf_file_load(&be->f[MF_V6], mf_load6_one, &l) : 0;
}

static int mf_append_to(struct lease_backend *be, int fam, const void *recs, unsigned n)
{
	if (be == NULL || (recs == NULL && n))
		return -EINVAL;
	if (!be->has[fam])
		return n ? -ENODEV : 0;
	return mf_file_append(&be->f[fam], recs, n);
}

static int mf_append(struct lease_backend *be, const struct lease_rec *recs, unsigned n)
{
	return mf_append_to(be, MF_V4, recs, n);
}

static int mf_append6(struct lease_backend *be, const struct lease6_rec *recs, unsigned n)
{
	return mf_append_to(be, MF_V6, recs, n);
}

/* Both files, even when the first fails (the second's appends are then
 * durable sooner); 0 only when both are. */
static int mf_sync(struct lease_backend *be)
{
	int ret = 0, r, i;

	if (be == NULL)
		return -EINVAL;
	for (i = 0; i < MF_NFILES; i++)
		if (be->has[i] && (r = mf_file_sync(&be->f[i])) != 0 && ret == 0)
			ret = r;
	if (ret == 0)
		__atomic_fetch_add(&be->syncs, 1, __ATOMIC_RELAXED);
	return ret;
}

/* ---- compaction --------------------------------------------------------- */

static void *mf_compact_thread(void *arg)
{
	struct lease_backend *be = arg;
	int ret = 0, r, i;

	for (i = 0; i < MF_NFILES; i++)
		if (be->has[i] && (r = mf_file_compact(&be->f[i])) != 0 && ret == 0)
			ret = r;
	be->lfc_result = ret;
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

/* Rotates both files, then merges both on the thread.  A file whose
 * rotation fails is still compacted (its .1 from an earlier rotation, if
 * any) and its live file rotated by the next compaction. */
static int mf_compact(struct lease_backend *be)
{
	int ret = 0, r, i;

	if (be == NULL)
		return -EINVAL;
	if (__atomic_load_n(&be->lfc_running, __ATOMIC_ACQUIRE))
		return -EBUSY;
	mf_compact_wait(be);
	for (i = 0; i < MF_NFILES; i++)
		if (be->has[i] && (r = mf_file_rotate(&be->f[i])) != 0 && ret == 0)
			ret = r;
	__atomic_store_n(&be->lfc_running, true, __ATOMIC_RELAXED);
	r = pthread_create(&be->lfc, NULL, mf_compact_thread, be);
	if (r) {
		__atomic_store_n(&be->lfc_running, false, __ATOMIC_RELAXED);
		return -r;
	}
	be->lfc_joinable = true;
	return ret;
}

static void mf_get_stats(struct lease_backend *be, struct lease_backend_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < MF_NFILES; i++) {
		const struct lease_backend_stats *f = &be->f[i].st;

		s->loaded += __atomic_load_n(&f->loaded, __ATOMIC_RELAXED);
		s->bad_lines += __atomic_load_n(&f->bad_lines, __ATOMIC_RELAXED);
		s->truncated += __atomic_load_n(&f->truncated, __ATOMIC_RELAXED);
		s->appended += __atomic_load_n(&f->appended, __ATOMIC_RELAXED);
		s->compactions += __atomic_load_n(&f->compactions, __ATOMIC_RELAXED);
		s->compact_errors += __atomic_load_n(&f->compact_errors, __ATOMIC_RELAXED);
		s->compact_kept += __atomic_load_n(&f->compact_kept, __ATOMIC_RELAXED);
	}
	s->syncs = __atomic_load_n(&be->syncs, __ATOMIC_RELAXED);
}

static void mf_close(struct lease_backend *be)
{
	if (be == NULL)
		return;
	mf_compact_wait(be);
	for (int i = 0; i < MF_NFILES; i++)
		mf_file_close(&be->f[i]);
	free(be);
}

const struct lease_backend_ops lease_backend_memfile_ops = {
	.name = "memfile",
	.open = mf_open,
	.load = mf_load,
	.append = mf_append,
	.load6 = mf_load6,
	.append6 = mf_append6,
	.sync = mf_sync,
	.compact = mf_compact,
	.close = mf_close,
	.compact_wait = mf_compact_wait,
	.get_stats = mf_get_stats,
};
