/* RADIUS packets: RFC 2865 (access), RFC 2866 (accounting), RFC 3162 and
 * RFC 6911 (IPv6 attributes), RFC 4818 (Delegated-IPv6-Prefix), RFC 3579
 * (Message-Authenticator), RFC 2865 5.2 (User-Password hiding).
 *
 * Building a request, signing it, checking an answer against the request
 * it answers, reading attributes.  The same calls build and check the
 * other direction (a test's RADIUS server: rad_pkt_check_request,
 * rad_pkt_finish_answer).  No I/O, no allocation, no global state; MD5
 * and HMAC-MD5 are nettle's.  Every function is safe on any thread. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAD_PKT_MAX      4096          /* RFC 2865: 20..4096 octets */
#define RAD_HDR_LEN      20
#define RAD_AUTH_LEN     16
#define RAD_ATTR_MAX     253           /* value octets in one attribute */

enum rad_code {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCOUNTING_REQUEST = 4,
	RAD_ACCOUNTING_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
};

/* Attribute numbers this server uses by number (others come by name from
 * the dictionary, rad_dict.h). */
enum rad_attr_type {
	RAD_A_USER_NAME = 1,
	RAD_A_USER_PASSWORD = 2,
	RAD_A_NAS_IP_ADDRESS = 4,
	RAD_A_NAS_PORT = 5,
	RAD_A_SERVICE_TYPE = 6,
	RAD_A_FRAMED_IP_ADDRESS = 8,
	RAD_A_REPLY_MESSAGE = 18,
	RAD_A_CLASS = 25,
	RAD_A_VENDOR_SPECIFIC = 26,
	RAD_A_SESSION_TIMEOUT = 27,
	RAD_A_CALLED_STATION_ID = 30,
	RAD_A_CALLING_STATION_ID = 31,
	RAD_A_NAS_IDENTIFIER = 32,
	RAD_A_ACCT_STATUS_TYPE = 40,
	RAD_A_ACCT_DELAY_TIME = 41,
	RAD_A_ACCT_SESSION_ID = 44,
	RAD_A_ACCT_SESSION_TIME = 46,
	RAD_A_ACCT_TERMINATE_CAUSE = 49,
	RAD_A_EVENT_TIMESTAMP = 55,
	RAD_A_NAS_PORT_TYPE = 61,
	RAD_A_MESSAGE_AUTHENTICATOR = 80,
	RAD_A_NAS_PORT_ID = 87,
	RAD_A_FRAMED_POOL = 88,
	RAD_A_NAS_IPV6_ADDRESS = 95,
	RAD_A_FRAMED_IPV6_PREFIX = 97,
	RAD_A_FRAMED_IPV6_POOL = 100,
	RAD_A_DELEGATED_IPV6_PREFIX = 123,
	RAD_A_FRAMED_IPV6_ADDRESS = 168,
};

/* Acct-Status-Type values (RFC 2866 5.1) */
enum { RAD_ACCT_START = 1, RAD_ACCT_STOP = 2, RAD_ACCT_INTERIM_UPDATE = 3 };
/* Acct-Terminate-Cause values used here (RFC 2866 5.10) */
enum { RAD_TERM_USER_REQUEST = 1, RAD_TERM_LOST_SERVICE = 3, RAD_TERM_IDLE_TIMEOUT = 4,
       RAD_TERM_SESSION_TIMEOUT = 5, RAD_TERM_ADMIN_RESET = 6 };

/* A packet being built.  Adds that do not fit set `overflow` and return
 * -1; the packet then cannot be finished (rad_pkt_finish refuses it). */
struct rad_pkt {
	uint8_t buf[RAD_PKT_MAX];
	uint16_t len;                  /* octets so far, header included */
	bool overflow;
	int16_t msg_auth;              /* offset of the Message-Authenticator's value, -1: none */
};

/* Start a packet: code, identifier, length 20, authenticator zero. */
void rad_pkt_init(struct rad_pkt *p, uint8_t code, uint8_t id);
/* Append an attribute (len <= RAD_ATTR_MAX).  0, or -1 (too long, full). */
int rad_pkt_add(struct rad_pkt *p, uint8_t type, const void *val, size_t len);
int rad_pkt_add_str(struct rad_pkt *p, uint8_t type, const char *s);
int rad_pkt_add_u32(struct rad_pkt *p, uint8_t type, uint32_t v);       /* big endian on the wire */
int rad_pkt_add_ip4(struct rad_pkt *p, uint8_t type, uint32_t addr);    /* host order in */
int rad_pkt_add_ip6(struct rad_pkt *p, uint8_t type, const uint8_t a[16]);
/* RFC 3162 2.3 layout: reserved 0, prefix length, then the prefix's
 * significant octets (ceil(plen / 8)), the rest of them zero. */
int rad_pkt_add_ip6_prefix(struct rad_pkt *p, uint8_t type, const uint8_t a[16], uint8_t plen);
/* A Vendor-Specific attribute (26) holding one vendor attribute
 * (RFC 2865 5.26's recommended format: vendor-type, vendor-length). */
int rad_pkt_add_vsa(struct rad_pkt *p, uint32_t vendor, uint8_t vtype, const void *val,
		    size_t len);
/* Append already encoded attributes (type, length, value ...), e.g. the
 * ones a worker built into its ask.  They are checked for well-formed
 * lengths; -1 if not well formed or they do not fit. */
int rad_pkt_append_attrs(struct rad_pkt *p, const uint8_t *attrs, size_t len);
/* Add a Message-Authenticator (RFC 3579 3.2) whose value rad_pkt_finish
 * and rad_pkt_finish_answer compute.  At most one per packet. */
int rad_pkt_add_msg_auth(struct rad_pkt *p);
/* User-Password hidden with the secret and the request authenticator
 * (RFC 2865 5.2): the Access-Request's authenticator must be set first,
 * so this is done by rad_pkt_finish when `password` is given there. */

/* Finish a request: write the length; for an Access-Request put `auth`
 * (16 random octets from the caller) into the authenticator, hide
 * `password` (NULL: none) as User-Password and fill the
 * Message-Authenticator if one was added; for an Accounting-Request
 * compute the authenticator as RFC 2866 3 says (auth ignored).
 * 0, or -1 (overflow, a password longer than 128 octets). */
int rad_pkt_finish(struct rad_pkt *p, const uint8_t auth[RAD_AUTH_LEN], const char *secret,
		   const char *password);

/* Finish an answer (Access-Accept / -Reject / -Challenge, Accounting-
 * Response) to the request `req` (its identifier is copied): the
 * Message-Authenticator if added, then the Response Authenticator. */
int rad_pkt_finish_answer(struct rad_pkt *p, const uint8_t *req, const char *secret);

/* Is `ans` (len octets as received) a valid answer to the finished request
 * `req`?  Checks: length field within 20..len (octets past it are padding
 * and ignored, RFC 2865 3), attributes well formed, the code answers the
 * request's code (Access-Accept/-Reject/-Challenge for an Access-Request,
 * Accounting-Response for an Accounting-Request), same identifier, the
 * Response Authenticator, and the Message-Authenticator when present
 * (required in an answer to a request that carried one, RFC 3579 3.2).
 * 0, or -1 with errno: EBADMSG (malformed), EPROTO (code or identifier),
 * EACCES (an authenticator does not verify). */
int rad_pkt_check_answer(const uint8_t *ans, size_t len, const uint8_t *req, const char *secret);
/* The same, with the Message-Authenticator required only if need_ma (a
 * present one is always checked).  Servers that predate Blast-RADIUS
 * (FreeRADIUS 3.2.1 as Debian 12 ships it) answer without one unless
 * told to add it: conf radius require-message-authenticator. */
int rad_pkt_check_answer_ma(const uint8_t *ans, size_t len, const uint8_t *req,
			    const char *secret, bool need_ma);

/* The server side's check of a received request: well formed, and for an
 * Accounting-Request its authenticator; the Message-Authenticator when
 * present.  0, or -1 with errno as above. */
int rad_pkt_check_request(const uint8_t *req, size_t len, const char *secret);
/* The clear text of a request's User-Password into out (cap >= 129):
 * its length, or -1.  For a test server. */
int rad_pkt_password(const uint8_t *req, const char *secret, char *out, size_t cap);

/* Reading attributes of a checked packet.  `vendor` and `vtype` are set
 * for a Vendor-Specific attribute in the recommended format (vendor 0
 * otherwise; then val/len is the whole attribute value). */
struct rad_attr {
	uint8_t type;
	uint8_t len;                   /* value octets */
	const uint8_t *val;
	uint32_t vendor;
	uint8_t vtype;
};
/* Start with *off = RAD_HDR_LEN.  1: *a filled and *off advanced; 0: no
 * more; -1: malformed (a length below 2 or past the packet's length). */
int rad_attr_next(const uint8_t *pkt, size_t *off, struct rad_attr *a);
/* The first attribute of `type` (vendor 0), or NULL. */
const uint8_t *rad_attr_find(const uint8_t *pkt, uint8_t type, uint8_t *len);
/* Values as this server uses them; 0, or -1 when the value's length is
 * wrong for the type.  ip6_prefix: RFC 3162 2.3 (plen <= 128, the octets
 * present cover it; bits past plen are cleared). */
int rad_val_u32(const struct rad_attr *a, uint32_t *v);
int rad_val_ip4(const struct rad_attr *a, uint32_t *addr);      /* host order out */
int rad_val_ip6(const struct rad_attr *a, uint8_t out[16]);
int rad_val_ip6_prefix(const struct rad_attr *a, uint8_t out[16], uint8_t *plen);

static inline uint16_t rad_pkt_len(const uint8_t *pkt)
{
	return (uint16_t)(pkt[2] << 8 | pkt[3]);
}
