/* Kea 2.2's HA peer messages in JSON (jansson), both ways: the commands an
 * HA server sends its partner and the answers it gets, and, for the
 * serving side, the lease carried by an incoming lease update or delete.
 *
 * Argument names, types and presence follow what Kea 2.2's libdhcp_ha
 * sends and libdhcp_lease_cmds answers (../shared/kea-ha-wire.md has a
 * captured exchange of each):
 *   - every command is {"command": .., "service": ["dhcp4"|"dhcp6"],
 *     "arguments": {..}}, "arguments" left out when there are none;
 *   - a lease is Kea's Lease4/Lease6 JSON with "expire" (cltt + valid-lft)
 *     in place of "cltt"; lease4-update and lease6-update add
 *     "force-create": true;
 *   - DHCPv6 updates go as lease6-bulk-apply ({"leases": [..],
 *     "deleted-leases": [..]}), as Kea 2.2 sends them; Kea 2.2 has no
 *     lease4-bulk-apply (one lease4-update per lease): Peregrine's own
 *     lease4-bulk-apply goes only to a Peregrine partner;
 *   - an answer is a JSON array of one {"result", "text", "arguments"}.
 *
 * Builders return a new json_t (NULL: out of memory); ha_msg_text turns
 * one into the body to send.  Parsers return 0 or -1 with err set, never
 * keep a reference into their input unless they say so. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "lease_rec.h"

/* Kea's control results. */
enum {
	HA_RESULT_SUCCESS = 0,
	HA_RESULT_ERROR = 1,
	HA_RESULT_UNSUPPORTED = 2,
	HA_RESULT_EMPTY = 3,
	HA_RESULT_CONFLICT = 4,
};

/* The body text of a message (compact JSON), NULL: out of memory; free(). */
char *ha_msg_text(const json_t *msg);

/* ---- requests (fam: 4 or 6, the "service") ------------------------------ */

json_t *ha_msg_heartbeat(int fam);
/* max_period: seconds, 0 leaves "max-period" out (disabled until enabled) */
json_t *ha_msg_dhcp_disable(int fam, uint32_t max_period);
json_t *ha_msg_dhcp_enable(int fam);
json_t *ha_msg_sync_complete_notify(int fam);
json_t *ha_msg_ha_reset(int fam);
json_t *ha_msg_maintenance_notify(int fam, bool cancel);
json_t *ha_msg_lease4_update(const struct lease_rec *r);   /* force-create */
json_t *ha_msg_lease4_del(const struct lease_rec *r);
/* from: NULL for the first page ("start"), else the last address of the
 * previous page; limit >= 1 (0: NULL, errno EINVAL). */
json_t *ha_msg_lease4_get_page(const uint32_t *from, uint32_t limit);
json_t *ha_msg_lease6_get_page(const struct lease_addr6 *from, uint32_t limit);
json_t *ha_msg_lease6_update(const struct lease6_rec *r);  /* force-create */
json_t *ha_msg_lease6_del(const struct lease6_rec *r);
json_t *ha_msg_lease6_bulk_apply(const struct lease6_rec *upd, size_t n_upd,
				 const struct lease6_rec *del, size_t n_del);
/* Peregrine's lease4-bulk-apply, the same shape as lease6-bulk-apply
 * ({"leases": [..], "deleted-leases": [..]}); only a partner whose
 * heartbeat answer carries HA_MSG_BULK_KEY gets it (Kea 2.2 has none). */
json_t *ha_msg_lease4_bulk_apply(const struct lease_rec *upd, size_t n_upd,
				 const struct lease_rec *del, size_t n_del);

/* A lease as Kea's toElement() writes it, with "expire" instead of "cltt"
 * when `expire` (the HA form), else with "cltt" (lease*-get answers). */
json_t *ha_msg_lease4_json(const struct lease_rec *r, bool expire);
json_t *ha_msg_lease6_json(const struct lease6_rec *r, bool expire);

/* ---- answers (the sending side) ----------------------------------------- */

struct ha_answer {
	int result;
	const char *text;            /* "" when absent; points into root */
	json_t *args;                /* NULL when absent; borrowed from root */
	json_t *root;                /* the whole parsed answer */
};

/* An answer body: Kea's array of one object, or a bare object.  0 with *a
 * (ha_answer_free), or -1 with err: not JSON, an empty array, no integer
 * "result", ... .  Kea treats a bare object as a failed exchange (that is
 * how its control agent reports its own errors); here its "result" counts,
 * and the caller decides. */
int ha_msg_parse_answer(const char *body, size_t len, struct ha_answer *a, char *err,
			size_t elen);
void ha_answer_free(struct ha_answer *a);

#define HA_MAX_SCOPES 8
#define HA_NAME_MAX   64

/* ha-heartbeat's answer arguments. */
struct ha_heartbeat {
	char state[32];              /* "waiting", "hot-standby", ... */
	int64_t date_time;           /* the partner's clock, epoch seconds */
	unsigned n_scopes;
	char scopes[HA_MAX_SCOPES][HA_NAME_MAX];
	bool has_unsent;             /* "unsent-update-count" present (Kea >= 2.0) */
	uint64_t unsent_update_count;
	bool bulk_apply;             /* HA_MSG_BULK_KEY: true (a Peregrine partner) */
};

/* The heartbeat answer's capability key: the server takes lease4- and
 * lease6-bulk-apply batches, pipelined.  Kea 2.2 reads only the keys it
 * knows from a heartbeat answer ("state", "date-time", "scopes",
 * "unsent-update-count"), so the key costs nothing toward Kea. */
#define HA_MSG_BULK_KEY "peregrine-bulk-apply"
/* Add it (true) to heartbeat answer arguments: 0, or -1 (out of memory). */
int ha_msg_heartbeat_bulk(json_t *args);

/* 0, or -1 (err): a failed result, "state" or "date-time" missing, not a
 * string, a date not in RFC 1123 form; "scopes" as Kea: wrong or missing
 * ones are ignored, but more than HA_MAX_SCOPES is an error. */
int ha_msg_heartbeat_answer(const struct ha_answer *a, struct ha_heartbeat *hb, char *err,
			    size_t elen);

/* A lease*-get-page answer's leases, sorted as they came: the count (0 for
 * result 3, "empty"), *out malloc'd (NULL when 0; caller frees), or -1
 * with err (failed result, a lease that does not parse). */
long ha_msg_lease4_page(const struct ha_answer *a, struct lease_rec **out, char *err,
			size_t elen);
long ha_msg_lease6_page(const struct ha_answer *a, struct lease6_rec **out, char *err,
			size_t elen);

/* lease6-bulk-apply's answer: how many leases the peer failed to apply
 * ("failed-leases" + "failed-deleted-leases"), -1 (err) on a failed
 * result. */
long ha_msg_bulk_apply_failed(const struct ha_answer *a, char *err, size_t elen);

/* Which leases a bulk apply (or a one-lease lease6-bulk-apply) failed:
 * the entries of "failed-leases" and "failed-deleted-leases" (each names
 * its "ip-address"), except deletes the peer reports as not found
 * (result 3: the lease is gone, which a delete asked for).  Returns how
 * many (up to max written to out), or -1 (err): a failed result, an
 * entry whose address does not parse (then the caller cannot tell which
 * lease failed). */
struct ha_failed_lease {
	bool deleted;                /* from "failed-deleted-leases" */
	int result;                  /* the entry's "result" (1 when absent) */
	uint32_t addr4;              /* fam 4, host order */
	struct lease_addr6 addr6;    /* fam 6 */
};
long ha_msg_bulk_apply_failures(const struct ha_answer *a, int fam, struct ha_failed_lease *out,
				size_t max, char *err, size_t elen);

/* RFC 1123 date ("Mon, 07 Dec 2026 03:15:26 GMT") <-> epoch seconds.
 * Parsing also takes RFC 850 and asctime forms, as HTTP/1.1 asks. */
int ha_msg_parse_http_date(const char *s, int64_t *epoch);
void ha_msg_format_http_date(int64_t epoch, char out[32]);

/* ---- incoming commands (the serving side) ------------------------------- */

struct ha_cmd {
	const char *command;         /* points into root */
	int fam;                     /* 4 or 6 from "service", 0 when absent */
	json_t *args;                /* NULL when absent; borrowed from root */
	json_t *root;
};

/* A command body: 0 with *c (ha_cmd_free), or -1 (err). */
int ha_msg_parse_command(const char *body, size_t len, struct ha_cmd *c, char *err,
			 size_t elen);
void ha_cmd_free(struct ha_cmd *c);

/* The lease of a lease4-update / lease4-del (or one entry of a page) into
 * *r.  "ip-address" is required; for an update (`update`) also
 * "hw-address" and "valid-lft".  The time: "expire", else "cltt" +
 * valid-lft, else now + valid-lft.  subnet-id 0 when absent (the caller
 * finds the subnet).  0, or -1 with err. */
int ha_msg_lease4_from_json(const json_t *l, bool update, uint32_t now, struct lease_rec *r,
			    char *err, size_t elen);
/* The same for DHCPv6: "ip-address", and for an update "duid", "iaid",
 * "valid-lft" (type IA_NA when absent; IA_PD needs "prefix-len"). */
int ha_msg_lease6_from_json(const json_t *l, bool update, uint32_t now, struct lease6_rec *r,
			    char *err, size_t elen);

/* An answer body: [{"result": .., "text": .., "arguments": ..}], args
 * stolen (may be NULL).  NULL: out of memory. */
json_t *ha_msg_answer(int result, const char *text, json_t *args);
/* The arguments of an ha-heartbeat answer, as Kea builds them. */
json_t *ha_msg_heartbeat_args(const char *state, const char *const *scopes, unsigned n_scopes,
			      int64_t now, uint64_t unsent_update_count);
