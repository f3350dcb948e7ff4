/* memfile: Kea's lease file (CSV), read and written as Kea 2.2 does, so
 * a Kea user's lease file loads as it is and ours loads in Kea.
 *
 * The rows are lease_csv.c's, one file's load, append, sync and crash-
 * safe compaction are memfile_file.c's; this file is the backend behind
 * the lease_backend_ops table, and runs the compactions on a background
 * thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memfile_int.h"

struct lease_backend {
	struct mf_file f4;
	pthread_t lfc;
	bool lfc_joinable;          /* owner thread only */
	bool lfc_running;           /* atomic: set by compact(), cleared by the thread */
	int lfc_result;             /* written by the thread before clearing lfc_running */
	uint64_t syncs;             /* relaxed atomic */
};

static struct lease_backend *mf_open(const struct conf_lease_db *db, char *err, size_t errlen)
{
	struct lease_backend *be;
	int ret;

	if (db == NULL || db->type != CONF_DB_MEMFILE || db->name[0] == '\0') {
		snprintf(err, errlen, "memfile: not a memfile database, or no lease file name");
		errno = EINVAL;
		return NULL;
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL) {
		snprintf(err, errlen, "memfile: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ret = mf_file_open(&be->f4, &mf_format4, db->name, err, errlen);
	if (ret) {
		free(be);
		errno = -ret;
		return NULL;
	}
	return be;
}

struct mf_load4 {
	int (*cb)(const struct lease_rec *r, void *arg);
	void *arg;
};

static int mf_load4_one(const void *rec, void *arg)
{
	struct mf_load4 *l = arg;

	return l->cb(rec, l->arg);
}

static int mf_load(struct lease_backend *be, int (*cb)(const struct lease_rec *r, void *arg), void *arg)
{
	struct mf_load4 l = { cb, arg };

	if (be == NULL || cb == NULL)
		return -EINVAL;
	return mf_file_load(&be->f4, mf_load4_one, &l);
}

static int mf_append(struct lease_backend *be, const struct lease_rec *recs, unsigned n)
{
	if (be == NULL || (recs == NULL && n))
		return -EINVAL;
	return mf_file_append(&be->f4, recs, n);
}

static int mf_sync(struct lease_backend *be)
{
	int ret;

	if (be == NULL)
		return -EINVAL;
	ret = mf_file_sync(&be->f4);
	if (ret == 0)
		__atomic_fetch_add(&be->syncs, 1, __ATOMIC_RELAXED);
	return ret;
}

/* ---- compaction --------------------------------------------------------- */

static void *mf_compact_thread(void *arg)
{
	struct lease_backend *be = arg;

	be->lfc_result = mf_file_compact(&be->f4);
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

static int mf_compact(struct lease_backend *be)
{
	int ret;

	if (be == NULL)
		return -EINVAL;
	if (__atomic_load_n(&be->lfc_running, __ATOMIC_ACQUIRE))
		return -EBUSY;
	mf_compact_wait(be);
	ret = mf_file_rotate(&be->f4);
	if (ret)
		return ret;
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
	const struct lease_backend_stats *f = &be->f4.st;

	s->loaded = __atomic_load_n(&f->loaded, __ATOMIC_RELAXED);
	s->bad_lines = __atomic_load_n(&f->bad_lines, __ATOMIC_RELAXED);
	s->truncated = __atomic_load_n(&f->truncated, __ATOMIC_RELAXED);
	s->appended = __atomic_load_n(&f->appended, __ATOMIC_RELAXED);
	s->syncs = __atomic_load_n(&be->syncs, __ATOMIC_RELAXED);
	s->compactions = __atomic_load_n(&f->compactions, __ATOMIC_RELAXED);
	s->compact_errors = __atomic_load_n(&f->compact_errors, __ATOMIC_RELAXED);
	s->compact_kept = __atomic_load_n(&f->compact_kept, __ATOMIC_RELAXED);
}

static void mf_close(struct lease_backend *be)
{
	if (be == NULL)
		return;
	mf_compact_wait(be);
	mf_file_close(&be->f4);
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
