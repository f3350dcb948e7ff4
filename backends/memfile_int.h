/* memfile's inner parts (not a public header), shared by its files:
 *   lease_csv.c      Kea's lease-file rows, DHCPv4 and DHCPv6: one
 *                    format table per family (struct mf_format)
 *   memfile_file.c   one lease file of either family: load, append,
 *                    sync, and its crash-safe compaction (Kea's LFC)
 *   memfile.c        the backend: a v4 file and an optional v6 file
 * Only the memfile backend and its tests include this. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease_backend.h"

#define MF_SUFFIX_MAX 16
#define MF_NCOLS_MAX 17                /* the widest schema: Kea 2.2's v6 file */

/* A lease's identity in its file (Kea keys both files by address): the
 * v4 address in lo, or the v6 address.  0/0 never parses (0.0.0.0, ::),
 * so it marks an empty slot. */
struct mf_key {
	uint64_t hi, lo;
};

/* One family's rows.  Records are handled through void pointers of
 * rec_size bytes (struct lease_rec or struct lease6_rec). */
struct mf_format {
	const char *what;              /* "DHCPv4", "DHCPv6": for messages */
	const char *header;            /* Kea 2.2's header line, without newline */
	size_t header_len;
	const char *const *cols;       /* column names of the current schema */
	int ncols;                     /* ... and their count */
	/* pad[n] completes a row of n columns (an older schema) to the
	 * current one; NULL: no Kea version wrote n columns. */
	const char *const *pad;
	size_t rec_size;
	/* 0 or -EINVAL; *ncols gets the row's column count */
	int (*parse)(const char *line, size_t len, void *rec, int *truncated, int *ncols);
	/* length with the newline, or -ENOSPC */
	int (*format)(const void *rec, char *buf, size_t len);
	/* the record's lease, and whether the record removes it from the
	 * lease set (deleted: valid 0, or expired-reclaimed) */
	void (*key)(const void *rec, struct mf_key *k, bool *drop);
};

extern const struct mf_format mf_format4, mf_format6;

/* 0: not a header; n > 0: a header of this format with n columns (a
 * schema Kea wrote); -EINVAL: starts like a header but is not one of
 * this format (the other family's file?). */
int mf_header(const struct mf_format *fmt, const char *line, size_t len);

/* One lease file.  Files, as Kea's lease file cleanup names them:
 *   path            the live file; appends go here
 *   path.1          the previous live file, rotated out by a compaction
 *   path.2          the result of the last compaction
 *   path.output     a compaction being written (garbage after a crash)
 *   path.completed  a finished compaction not yet renamed to path.2 */
struct mf_file {
	const struct mf_format *fmt;
	char path[PATH_MAX];
	char p1[PATH_MAX + MF_SUFFIX_MAX];
	char p2[PATH_MAX + MF_SUFFIX_MAX];
	char pout[PATH_MAX + MF_SUFFIX_MAX];
	char pdone[PATH_MAX + MF_SUFFIX_MAX];
	char dir[PATH_MAX];
	int fd;                        /* live file, O_APPEND; -1 when not open */
	bool need_nl;                  /* a failed write stopped mid-line */
	bool dirty;                    /* written since the last successful sync */
	char *buf;                     /* append buffer: one write() per batch */
	/* loaded, bad_lines, truncated, appended, compactions,
	 * compact_errors, compact_kept (relaxed atomics); syncs unused */
	struct lease_backend_stats st;
};

/* Finishes an interrupted compaction and opens (creating it, and its
 * directory, if needed) the live file.  0, or -errno with err set. */
int mf_file_open(struct mf_file *f, const struct mf_format *fmt, const char *path,
		 char *err, size_t errlen);
void mf_file_close(struct mf_file *f);
/* Replays .2, .1 (or a .completed standing for both), then the live
 * file; cb gets each good record, in order.  0 or -errno. */
int mf_file_load(struct mf_file *f, int (*cb)(const void *rec, void *arg), void *arg);
/* n records of fmt->rec_size bytes each. */
int mf_file_append(struct mf_file *f, const void *recs, unsigned n);
/* fdatasync if anything was written since the last sync. */
int mf_file_sync(struct mf_file *f);
/* The quick half of a compaction (the caller's thread): moves the live
 * file to .1 and opens a fresh one, unless a .1 left by an interrupted
 * compaction is still waiting to be merged. */
int mf_file_rotate(struct mf_file *f);
/* The background half: merges .2 + .1 into .2.  Only one at a time per
 * file, while appends go on to the live file. */
int mf_file_compact(struct mf_file *f);
