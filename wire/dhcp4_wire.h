/* DHCPv4 wire format: zero-copy parser and in-place reply builder.
 *
 * Pure byte handling, no DPDK: runs on the lcores per packet and in the unit
 * tests and fuzz target alike.  The fixed header is kept in network byte
 * order exactly as on the wire; everything else in this header that holds
 * an IPv4 address says which order it uses.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP4_HDR_LEN      236          /* BOOTP fixed part, without the cookie */
#define DHCP4_MIN_LEN      240          /* fixed part + magic cookie */
#define DHCP4_MAGIC        0x63825363u
#define DHCP4_BOOTP_MIN    300          /* replies are padded to this size */
#define DHCP4_MAX_OPTS     96           /* distinct option codes kept per packet */
#define DHCP4_FLAG_BROADCAST 0x8000u
#define DHCP4_SERVER_PORT  67
#define DHCP4_CLIENT_PORT  68

enum dhcp4_op { DHCP4_BOOTREQUEST = 1, DHCP4_BOOTREPLY = 2 };

enum dhcp4_msg {
	DHCP4_DISCOVER = 1, DHCP4_OFFER, DHCP4_REQUEST, DHCP4_DECLINE, DHCP4_ACK,
	DHCP4_NAK, DHCP4_RELEASE, DHCP4_INFORM,
};

/* Option codes the server itself reads or writes. */
enum dhcp4_opt_code {
	DHCP4_OPT_PAD = 0, DHCP4_OPT_SUBNET_MASK = 1, DHCP4_OPT_ROUTERS = 3,
	DHCP4_OPT_HOSTNAME = 12, DHCP4_OPT_REQ_ADDR = 50, DHCP4_OPT_LEASE_TIME = 51,
	DHCP4_OPT_OVERLOAD = 52, DHCP4_OPT_MSG_TYPE = 53, DHCP4_OPT_SERVER_ID = 54,
	DHCP4_OPT_PRL = 55, DHCP4_OPT_MESSAGE = 56, DHCP4_OPT_MAX_MSG_SIZE = 57,
	DHCP4_OPT_T1 = 58, DHCP4_OPT_T2 = 59, DHCP4_OPT_VENDOR_CLASS = 60,
	DHCP4_OPT_CLIENT_ID = 61, DHCP4_OPT_RAPID_COMMIT = 80, DHCP4_OPT_RAI = 82,
	DHCP4_OPT_SUBNET_SELECT = 118, DHCP4_OPT_END = 255,
};

struct dhcp4_hdr {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;   /* network byte order */
	uint8_t chaddr[16];
	char sname[64];
	char file[128];
	uint32_t magic;                            /* network byte order */
} __attribute__((packed));

/* Every reason a packet can fail to parse; one counter each (X-macro so the
 * enum and the names never drift apart). */
#define DHCP4_PARSE_ERRORS(X)                                        \
	X(TRUNCATED,      "truncated")                               \
	X(BAD_OP,         "bad-op")                                  \
	X(BAD_HLEN,       "bad-hlen")                                \
	X(BAD_MAGIC,      "bad-magic")                               \
	X(OPT_OVERRUN,    "option-overrun")                          \
	X(NO_END,         "no-end-option")                           \
	X(TOO_MANY_OPTS,  "too-many-options")                        \
	X(NO_MSG_TYPE,    "no-message-type")                         \
	X(BAD_MSG_TYPE,   "bad-message-type")                        \
	X(BAD_OVERLOAD,   "bad-overload")

enum dhcp4_parse_err {
	DHCP4_OK = 0,
#define X(e, s) DHCP4_ERR_##e,
	DHCP4_PARSE_ERRORS(X)
#undef X
	DHCP4_ERR_MAX
};
const char *dhcp4_parse_err_name(int err);

struct dhcp4_opt_ref {
	uint8_t code;
	uint16_t len;
	const uint8_t *data;    /* into the packet, or into pkt->concat */
};

/* A parsed request.  Views point into the caller's buffer, which must stay
 * unchanged while the view is used.  Large on purpose (no allocation); only
 * `present` is cleared per parse, `idx` is valid where present says so. */
struct dhcp4_pkt {
	const struct dhcp4_hdr *hdr;
	size_t len;
	uint8_t msg_type;        /* enum dhcp4_msg; 0 for plain BOOTP (refused) */
	uint8_t overload;        /* option 52 value, 0 if absent */
	uint8_t n_opts;
	uint64_t present[4];     /* bit per option code */
	uint8_t idx[256];        /* code -> index into opts[] */
	struct dhcp4_opt_ref opts[DHCP4_MAX_OPTS];
	uint16_t concat_len;
	uint8_t concat[1024];    /* RFC 3396: repeated options are joined here */
};

/* Where a request came from, as the datapath saw it (host byte order):
 * what server logic and classification read besides the message. */
struct dhcp4_rx {
	unsigned iface;                /* index into conf->ifaces */
	uint32_t src_ip, dst_ip;
	uint16_t src_port;
	uint8_t src_mac[6];
	uint16_t ha_class;             /* HA: the HA_<server> class of the query's
					* scope; 0 (ALL, always set): none */
};

/* Parse a DHCP message (UDP payload).  Returns 0, or -(enum dhcp4_parse_err).
 * Requires op == BOOTREQUEST, hlen <= 16, the magic cookie, options that do
 * not run past the end, option 53 with a value 1..8.  Honours option
 * overload (52): options in file and/or sname are parsed too.
 * Tolerant where real clients are sloppy: options that end exactly at the
 * end of their area without END are accepted (as Kea and ISC dhcpd do), so
 * DHCP4_ERR_NO_END is never returned; bytes after END are ignored.  Option
 * 52 inside file/sname, or not 1..3, is BAD_OVERLOAD; joined values that do
 * not fit pkt->concat are OPT_OVERRUN. */
int dhcp4_parse(struct dhcp4_pkt *p, const uint8_t *buf, size_t len);

static inline bool dhcp4_has_opt(const struct dhcp4_pkt *p, uint8_t code)
{
	return (p->present[code >> 6] >> (code & 63)) & 1;
}

/* Value of option `code`, or NULL if absent; *len gets its length. */
const uint8_t *dhcp4_opt(const struct dhcp4_pkt *p, uint8_t code, uint16_t *len);

/* Reply builder: writes into a caller buffer (never the request buffer). */
struct dhcp4_build {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;           /* an option did not fit: reply must not be sent */
	uint64_t added[4];       /* bit per option code already added */
};

/* Start a reply to `req`: op=BOOTREPLY, htype/hlen/xid/flags/giaddr/chaddr
 * copied, hops/secs/ciaddr/yiaddr/siaddr/sname/file zeroed, cookie, and
 * option 53 = msg_type.  cap must be >= DHCP4_BOOTP_MIN. */
void dhcp4_build_init(struct dhcp4_build *b, uint8_t *buf, size_t cap,
		      const struct dhcp4_hdr *req, uint8_t msg_type);

/* Append an option; values over 255 bytes are split (RFC 3396).
 * Returns 0 or -ENOSPC (and sets overflow); -EINVAL for code 0 or 255.
 * One byte stays reserved for END, so finish never fails after this. */
int dhcp4_build_opt(struct dhcp4_build *b, uint8_t code, const void *data, size_t len);

static inline bool dhcp4_build_has(const struct dhcp4_build *b, uint8_t code)
{
	return (b->added[code >> 6] >> (code & 63)) & 1;
}

static inline struct dhcp4_hdr *dhcp4_build_hdr(struct dhcp4_build *b)
{
	return (struct dhcp4_hdr *)b->buf;
}

/* Append END and pad with zeros to DHCP4_BOOTP_MIN.  Returns the final
 * length, or 0 if the reply overflowed. */
size_t dhcp4_build_finish(struct dhcp4_build *b);
