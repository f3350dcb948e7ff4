/* peregrinectl: send one control command to a running peregrine and print
 * the answer.
 *
 *   peregrinectl [-s SOCKET | -u URL] [-t SECONDS] [-S SERVICE] COMMAND [JSON-ARGS]
 *   peregrinectl stats                   statistic-get-all as "name value"
 *   peregrinectl leases [--subnet N]     lease4-get-all as a table
 *   peregrinectl leases6 [--subnet N]    lease6-get-all as a table
 *   peregrinectl reload                  config-reload
 *
 * -S SERVICE sends "service": [SERVICE] as a Kea Control Agent client
 * does: "-S dhcp6 stats" lists the DHCPv6 server's statistics under
 * Kea's kea-dhcp6 names (those that DHCPv4 has too included).
 *
 * Exit status 0 when the answer's result is 0 (success), 3 when it is 3
 * (empty: nothing found, as lease4-get of an unknown address), 1 for any
 * other result and for transport errors, 2 for usage errors. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <curl/curl.h>
#include <jansson.h>

#define DEFAULT_SOCKET "/run/peregrine/control.sock"
#define MAX_ANSWER (512u << 20)   /* a full lease dump can be large */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > MAX_ANSWER)
		return -EFBIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: peregrinectl [-s SOCKET | -u URL] [-t SECONDS] [-S SERVICE] COMMAND [JSON-ARGS]\n"
		"       peregrinectl stats | leases [--subnet N] | leases6 [--subnet N] | reload\n"
		"  -s SOCKET   unix control socket (default $PEREGRINE_SOCKET or %s)\n"
		"  -u URL      HTTP listener instead, e.g. http://user:pass@127.0.0.1:8000/\n"
		"  -t SECONDS  give up after this long (default 30)\n"
		"  -S SERVICE  the server meant, as Kea's Control Agent: dhcp4 or dhcp6\n",
		DEFAULT_SOCKET);
}

/* Kea's framing: write the request, read the answer until the server
 * closes. */
static int send_unix(const char *path, const char *req, int timeout_ms, struct buf *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t off = 0, len = strlen(req);
	struct timespec t0, t;
	char chunk[65536];
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "peregrinectl: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		fprintf(stderr, "peregrinectl: cannot connect to %s: %s\n", path, strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = off < len ? POLLOUT : POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			fprintf(stderr, "peregrinectl: timed out waiting for %s\n", path);
			rc = -ETIMEDOUT;
			goto out;
		}
		if (off < len) {
			n = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* The server may have answered already (e.g. too large). */
				off = len;
				continue;
			}
			if (n > 0)
				off += (size_t)n;
			continue;
		}
		n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = -errno;
			fprintf(stderr, "peregrinectl: read from %s: %s\n", path, strerror(errno));
			goto out;
		}
		rc = buf_add(out, chunk, (size_t)n);
		if (rc < 0) {
			fprintf(stderr, "peregrinectl: answer too large\n");
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static size_t curl_write(char *data, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, data, size * n) == 0 ? size * n : 0;
}

static int send_http(const char *url, const char *req, int timeout_ms, struct buf *out)
{
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURLcode cc;
	CURL *h;
	int rc = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (h = curl_easy_init()) == NULL)
		return -ENOMEM;
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		fprintf(stderr, "peregrinectl: %s: %s\n", url, curl_easy_strerror(cc));
		rc = -EIO;
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			fprintf(stderr, "peregrinectl: %s: HTTP %ld%s%s\n", url, status,
				out->len ? ": " : "", out->len ? out->p : "");
			rc = -EIO;
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return rc;
}

static int sample_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Kea: {"name": [[value, "timestamp"], ...]} newest first. */
static void print_stats(const json_t *args)
{
	const char **names;
	const char *key;
	json_t *v;
	size_t n = 0, i = 0;

	if (!json_is_object(args))
		return;
	names = calloc(json_object_size(args) + 1, sizeof(*names));
	if (names == NULL)
		return;
	json_object_foreach((json_t *)args, key, v)
		names[n++] = key;
	qsort(names, n, sizeof(*names), sample_cmp);
	for (i = 0; i < n; i++) {
		json_t *val = json_object_get(args, names[i]);
		char *s;

		if (json_is_array(val) && json_is_array(json_array_get(val, 0)))
			val = json_array_get(json_array_get(val, 0), 0);
		s = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%s %s\n", names[i], s ? s : "?");
		free(s);
	}
	free(names);
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* The expiry Kea's lease JSON implies (cltt + valid-lft), "-" without. */
static void lease_expiry(const json_t *l, char *when, size_t len)
{
	json_int_t cltt = json_integer_value(json_object_get(l, "cltt"));
	json_int_t lft = json_integer_value(json_object_get(l, "valid-lft"));
	time_t exp = (time_t)(cltt + lft);
	struct tm tm;

	snprintf(when, len, "-");
	if (json_is_integer(json_object_get(l, "cltt")) && gmtime_r(&exp, &tm) != NULL)
		strftime(when, len, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void print_leases(const json_t *args)
{
	const json_t *leases = json_object_get(args, "leases");
	const json_t *l;
	size_t i;

	printf("%-15s  %-17s  %-24s  %-20s  %s\n", "address", "hwaddr", "client-id",
	       "expire", "subnet");
	json_array_foreach((json_t *)leases, i, l) {
		char when[32];

		lease_expiry(l, when, sizeof(when));
		printf("%-15s  %-17s  %-24s  %-20s  %lld\n", str_or(l, "ip-address", "-"),
		       str_or(l, "hw-address", "-"), str_or(l, "client-id", "-"), when,
		       (long long)json_integer_value(json_object_get(l, "subnet-id")));
	}
}

static void print_leases6(const json_t *args)
{
	const json_t *leases = json_object_get(args, "leases");
	const json_t *l;
	size_t i;

	printf("%-43s  %-5s  %-10s  %-30s  %-20s  %s\n", "address/prefix", "type", "iaid", "duid",
	       "expire", "subnet");
	json_array_foreach((json_t *)leases, i, l) {
		char when[32], addr[64];

		lease_expiry(l, when, sizeof(when));
		if (json_is_integer(json_object_get(l, "prefix-len")))
			snprintf(addr, sizeof(addr), "%s/%lld", str_or(l, "ip-address", "-"),
				 (long long)json_integer_value(json_object_get(l, "prefix-len")));
		else
			snprintf(addr, sizeof(addr), "%s", str_or(l, "ip-address", "-"));
		printf("%-43s  %-5s  %-10lld  %-30s  %-20s  %lld\n", addr,
		       strcmp(str_or(l, "type", ""), "IA_PD") ? "NA" : "PD",
		       (long long)json_integer_value(json_object_get(l, "iaid")),
		       str_or(l, "duid", "-"), when,
		       (long long)json_integer_value(json_object_get(l, "subnet-id")));
	}
}

enum mode { M_RAW, M_STATS, M_LEASES, M_LEASES6 };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "service", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("PEREGRINE_SOCKET"), *url = NULL, *cmd, *service = NULL;
	json_t *req, *args = NULL, *ans, *a;
	enum mode mode = M_RAW;
	struct buf out = { 0 };
	json_error_t err;
	int opt, timeout_ms = 30000, rc, result;
	char *text;

	if (sock == NULL || sock[0] == '\0')
		sock = DEFAULT_SOCKET;
	/* '+': stop at the command, so "leases --subnet 1" is left to us. */
	while ((opt = getopt_long(argc, argv, "+s:u:t:S:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'S': service = optarg; break;
		case 'u': url = optarg; break;
		case 't': timeout_ms = atoi(optarg) * 1000; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc || timeout_ms <= 0) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "stats") == 0 && optind == argc) {
		cmd = "statistic-get-all";
		mode = M_STATS;
	} else if (strcmp(cmd, "reload") == 0 && optind == argc) {
		cmd = "config-reload";
	} else if (strcmp(cmd, "leases") == 0 || strcmp(cmd, "leases6") == 0) {
		mode = strcmp(cmd, "leases") ? M_LEASES6 : M_LEASES;
		cmd = mode == M_LEASES ? "lease4-get-all" : "lease6-get-all";
		if (optind < argc) {
			char *end;
			long id;

			if (optind + 2 != argc || strcmp(argv[optind], "--subnet") != 0) {
				usage(stderr);
				return 2;
			}
			id = strtol(argv[optind + 1], &end, 10);
			if (*end != '\0' || id <= 0 || id > 0xffffffffL) {
				fprintf(stderr, "peregrinectl: bad subnet id '%s'\n", argv[optind + 1]);
				return 2;
			}
			args = json_pack("{s:[I]}", "subnets", (json_int_t)id);
			optind = argc;
		}
	} else if (optind < argc) {
		args = json_loads(argv[optind++], 0, &err);
		if (args == NULL || !json_is_object(args)) {
			fprintf(stderr, "peregrinectl: JSON-ARGS must be a JSON map%s%s\n",
				args ? "" : ": ", args ? "" : err.text);
			json_decref(args);
			return 2;
		}
	}
	if (optind != argc) {
		json_decref(args);
		usage(stderr);
		return 2;
	}
	req = json_pack("{s:s}", "command", cmd);
	if (args != NULL)
		json_object_set_new(req, "arguments", args);
	if (service != NULL)
		json_object_set_new(req, "service", json_pack("[s]", service));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return 1;
	rc = url ? send_http(url, text, timeout_ms, &out) : send_unix(sock, text, timeout_ms, &out);
	free(text);
	if (rc < 0) {
		free(out.p);
		return 1;
	}
	ans = json_loadb(out.p ? out.p : "", out.len, 0, &err);
	free(out.p);
	if (ans == NULL) {
		fprintf(stderr, "peregrinectl: unreadable answer: %s\n", err.text);
		return 1;
	}
	/* A Control Agent answers a list when it forwarded the command. */
	a = json_is_array(ans) ? json_array_get(ans, 0) : ans;
	if (!json_is_integer(json_object_get(a, "result"))) {
		fprintf(stderr, "peregrinectl: answer without a result\n");
		json_decref(ans);
		return 1;
	}
	result = (int)json_integer_value(json_object_get(a, "result"));
	if (result == 0 && mode == M_STATS) {
		print_stats(json_object_get(a, "arguments"));
	} else if (result == 0 && mode == M_LEASES) {
		print_leases(json_object_get(a, "arguments"));
	} else if (result == 0 && mode == M_LEASES6) {
		print_leases6(json_object_get(a, "arguments"));
	} else if (mode != M_RAW) {
		const char *t = json_string_value(json_object_get(a, "text"));

		fprintf(stderr, "%s: result %d%s%s\n", cmd, result, t ? ": " : "", t ? t : "");
	} else {
		json_dumpf(a, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
	}
	json_decref(ans);
	return result == 0 || result == 3 ? result : 1;
}
