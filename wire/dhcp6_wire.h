/* DHCPv6 wire format (RFC 8415): zero-copy parser and reply builder.
 *
 * Pure byte handling, no DPDK: runs on the lcores per packet and in the
 * unit tests and fuzz target alike.  A received UDP payload is either a
 * client message or a RELAY-FORW chain around one; the parser walks the
 * chain (outermost relay first) down to the client message and indexes
 * what the server reads.  Integers in the parsed views are host order;
 * addresses stay 16 network-order bytes (views into the buffer).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP6_SERVER_PORT   547
#define DHCP6_CLIENT_PORT   546
#define DHCP6_HDR_LEN       4            /* msg-type + transaction-id */
#define DHCP6_RELAY_HDR_LEN 34           /* msg-type, hop-count, link, peer */
#define DHCP6_MAX_OPTS      64           /* top-level options of the client message */
#define DHCP6_MAX_IAS       16           /* IA_NA + IA_TA + IA_PD per message */
#define DHCP6_MAX_IA_ADDRS  8            /* IAADDR / IAPREFIX per IA */
#define DHCP6_MAX_RELAYS    32           /* Kea's limit; RFC 8415 HOP_COUNT_LIMIT is 8 */
#define DHCP6_DUID_MAX      130          /* 2-byte type + up to 128 */
#define DHCP6_BUILD_MAX     65527        /* the longest UDP payload, 65535 - 8 */

enum dhcp6_msg {
	DHCP6_SOLICIT = 1, DHCP6_ADVERTISE = 2, DHCP6_REQUEST = 3, DHCP6_CONFIRM = 4,
	DHCP6_RENEW = 5, DHCP6_REBIND = 6, DHCP6_REPLY = 7, DHCP6_RELEASE = 8,
	DHCP6_DECLINE = 9, DHCP6_RECONFIGURE = 10, DHCP6_INFORMATION_REQUEST = 11,
	DHCP6_RELAY_FORW = 12, DHCP6_RELAY_REPL = 13,
};

/* Option codes the server itself reads or writes (RFC 8415 21, and the
 * ones Kea's engine handles beside them). */
enum dhcp6_opt_code {
	DHCP6_OPT_CLIENTID = 1, DHCP6_OPT_SERVERID = 2, DHCP6_OPT_IA_NA = 3,
	DHCP6_OPT_IA_TA = 4, DHCP6_OPT_IAADDR = 5, DHCP6_OPT_ORO = 6,
	DHCP6_OPT_PREFERENCE = 7, DHCP6_OPT_ELAPSED_TIME = 8, DHCP6_OPT_RELAY_MSG = 9,
	DHCP6_OPT_AUTH = 11, DHCP6_OPT_UNICAST = 12, DHCP6_OPT_STATUS_CODE = 13,
	DHCP6_OPT_RAPID_COMMIT = 14, DHCP6_OPT_USER_CLASS = 15,
	DHCP6_OPT_VENDOR_CLASS = 16, DHCP6_OPT_VENDOR_OPTS = 17,
	DHCP6_OPT_INTERFACE_ID = 18, DHCP6_OPT_RECONF_MSG = 19,
	DHCP6_OPT_RECONF_ACCEPT = 20, DHCP6_OPT_DNS_SERVERS = 23,
	DHCP6_OPT_DOMAIN_SEARCH = 24, DHCP6_OPT_IA_PD = 25, DHCP6_OPT_IAPREFIX = 26,
	DHCP6_OPT_INFO_REFRESH_TIME = 32, DHCP6_OPT_REMOTE_ID = 37,
	DHCP6_OPT_SUBSCRIBER_ID = 38, DHCP6_OPT_CLIENT_FQDN = 39,
	DHCP6_OPT_PD_EXCLUDE = 67, DHCP6_OPT_CLIENT_LINKLAYER_ADDR = 79,
	DHCP6_OPT_SOL_MAX_RT = 82, DHCP6_OPT_INF_MAX_RT = 83,
};

enum dhcp6_status {
	DHCP6_ST_SUCCESS = 0, DHCP6_ST_UNSPEC_FAIL = 1, DHCP6_ST_NO_ADDRS_AVAIL = 2,
	DHCP6_ST_NO_BINDING = 3, DHCP6_ST_NOT_ON_LINK = 4, DHCP6_ST_USE_MULTICAST = 5,
	DHCP6_ST_NO_PREFIX_AVAIL = 6,
};

/* Every reason a message can fail to parse; one counter each. */
#define DHCP6_PARSE_ERRORS(X)                                        \
	X(TRUNCATED,      "truncated")                               \
	X(BAD_MSG_TYPE,   "bad-message-type")                        \
	X(OPT_OVERRUN,    "option-overrun")                          \
	X(TOO_MANY_OPTS,  "too-many-options")                        \
	X(TOO_MANY_IAS,   "too-many-ias")                            \
	X(BAD_IA,         "bad-ia")                                  \
	X(BAD_DUID,       "bad-duid")                                \
	X(DUP_OPTION,     "duplicate-option")                        \
	X(RELAY_TOO_DEEP, "relay-too-deep")                          \
	X(NO_RELAY_MSG,   "no-relay-message")                        \
	X(BAD_OPT_LEN,    "bad-option-length")

enum dhcp6_parse_err {
	DHCP6_OK = 0,
#define X(e, s) DHCP6_ERR_##e,
	DHCP6_PARSE_ERRORS(X)
#undef X
	DHCP6_ERR_MAX
};
const char *dhcp6_parse_err_name(int err);

struct dhcp6_opt_ref {
	uint16_t code;
	uint16_t len;
	const uint8_t *data;          /* into the buffer; NULL when absent */
};

/* One IAADDR (plen 128) or IAPREFIX inside an IA, as the client sent it. */
struct dhcp6_iaaddr {
	const uint8_t *addr;          /* 16 bytes: the address, or the prefix */
	uint8_t plen;                 /* 128 for IAADDR */
	uint32_t pref, valid;         /* host order */
	const uint8_t *opts;          /* its own options (raw), may be NULL */
	uint16_t opts_len;
};

/* One IA_NA, IA_TA or IA_PD.  Addresses beyond DHCP6_MAX_IA_ADDRS are
 * not kept (n_dropped counts them); the IA itself stays valid. */
struct dhcp6_ia {
	uint16_t type;                /* DHCP6_OPT_IA_NA, _IA_TA or _IA_PD */
	uint32_t iaid, t1, t2;        /* host order; t1 = t2 = 0 for IA_TA */
	const uint8_t *opts;          /* the IA's options (raw, IAADDRs included) */
	uint16_t opts_len;
	uint8_t n_addrs, n_dropped;
	struct dhcp6_iaaddr addrs[DHCP6_MAX_IA_ADDRS];
};

/* One relay hop (a RELAY-FORW header and its options but the relay
 * message).  relays[0] is the outermost one, the relay that sent the
 * packet to the server (Kea's relay6[0]). */
struct dhcp6_relay {
	uint8_t hop_count;
	const uint8_t *link_addr;     /* 16 bytes */
	const uint8_t *peer_addr;     /* 16 bytes */
	const uint8_t *opts;          /* all of this hop's options, raw */
	uint16_t opts_len;
	struct dhcp6_opt_ref interface_id;   /* echoed in the RELAY-REPL */
	struct dhcp6_opt_ref remote_id;      /* echoed too (RFC 4649) */
};

/* A parsed message.  Views point into the caller's buffer, which must stay
 * unchanged while the view is used.  Sized for no allocation. */
struct dhcp6_pkt {
	const uint8_t *buf;           /* the UDP payload */
	size_t len;
	uint8_t n_relays;
	struct dhcp6_relay relays[DHCP6_MAX_RELAYS];
	/* the client message (innermost) */
	const uint8_t *msg;
	size_t msg_len;
	uint8_t msg_type;             /* enum dhcp6_msg, 1..11 (never a relay type) */
	uint32_t transid;             /* 24 bits */
	uint8_t n_opts;
	struct dhcp6_opt_ref opts[DHCP6_MAX_OPTS];   /* top level, wire order */
	/* what the server reads, found while parsing (data NULL: absent) */
	struct dhcp6_opt_ref client_id, server_id, oro, elapsed;
	bool rapid_commit, reconf_accept;
	uint8_t n_ias;
	struct dhcp6_ia ias[DHCP6_MAX_IAS];
};

/* Parse a UDP payload.  Returns 0, or -(enum dhcp6_parse_err).  Requires
 * a message type 1..13 (RELAY-REPL and the server-to-client types are
 * parsed too, the server decides what it serves), options that do not run
 * past their container, a RELAY-FORW chain of at most DHCP6_MAX_RELAYS
 * hops each with exactly one RELAY_MSG, client and server ids of 1..130
 * bytes and not repeated, IAs (IA_NA >= 12 bytes, IA_TA >= 4, IA_PD >= 12)
 * whose IAADDR (>= 24) / IAPREFIX (>= 25, prefix length <= 128) options fit
 * in them.  Unknown options are kept, not refused.  Beyond that:
 * a second RELAY_MSG, INTERFACE_ID or REMOTE_ID in one hop is DUP_OPTION
 * (which one would be echoed?), and options of a fixed shape must have it
 * (BAD_OPT_LEN): ELAPSED_TIME 2 bytes, RAPID_COMMIT and RECONF_ACCEPT
 * empty, ORO an even length, STATUS_CODE >= 2, REMOTE_ID >= 4 (the
 * enterprise number).  On error the view is partly filled: not to be used. */
int dhcp6_parse(struct dhcp6_pkt *p, const uint8_t *buf, size_t len);

/* Value of the first top-level option `code` of the client message, or
 * NULL; *len gets its length. */
const uint8_t *dhcp6_opt(const struct dhcp6_pkt *p, uint16_t code, uint16_t *len);

/* Value of the first option `code` in a raw option area (a relay's, an
 * IA's), or NULL.  Safe on any bytes: stops at the first option that runs
 * past the end. */
const uint8_t *dhcp6_opt_in(const uint8_t *opts, size_t opts_len, uint16_t code,
			    uint16_t *len);

/* Whether the client asked for option `code` in its ORO. */
bool dhcp6_oro_has(const struct dhcp6_pkt *p, uint16_t code);

/* Reply builder.  Writes the RELAY-REPL chain that mirrors the request's
 * RELAY-FORW chain (hop-count, link and peer addresses, interface-id and
 * remote-id echoed), then the reply message; finish fills in the relay
 * message lengths. */
struct dhcp6_build {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;                /* something did not fit: not to be sent */
	uint8_t n_relays;
	uint16_t relay_len_off[DHCP6_MAX_RELAYS];   /* where each RELAY_MSG length sits */
};

/* Start a reply of msg_type to req (transaction id copied).  The buffer
 * is the caller's, never the request's.  A cap above DHCP6_BUILD_MAX
 * counts as DHCP6_BUILD_MAX: a UDP payload cannot be longer, and so every
 * offset and option length stays within 16 bits. */
void dhcp6_build_init(struct dhcp6_build *b, uint8_t *buf, size_t cap,
		      const struct dhcp6_pkt *req, uint8_t msg_type);

/* Append an option to the innermost open container (the message, or the
 * option dhcp6_build_open opened last).  0 or -ENOSPC (overflow set). */
int dhcp6_build_opt(struct dhcp6_build *b, uint16_t code, const void *data, size_t len);

/* Open an option that holds others (IA_NA, IA_PD, IAADDR, IAPREFIX...):
 * writes code and a length to fill in and `fixed` bytes of its own fields,
 * returns a handle for dhcp6_build_close (which fills the length in).
 * Returns -1 (overflow set) when it does not fit. */
int dhcp6_build_open(struct dhcp6_build *b, uint16_t code, const void *fixed, size_t fixed_len);
void dhcp6_build_close(struct dhcp6_build *b, int handle);

/* Append a STATUS_CODE option (code, UTF-8 message). */
int dhcp6_build_status(struct dhcp6_build *b, uint16_t status, const char *msg);

/* Close the relay chain.  Returns the payload length, or 0 on overflow. */
size_t dhcp6_build_finish(struct dhcp6_build *b);
