/*
 * rad_radcli: how many Access-Requests per second radcli's blocking API
 * gets answered, from T threads with one rc_handle each (issue 17's
 * "measure before you choose", docs/radius-plan.md "Library").  Each call
 * of rc_auth sends one request and blocks until its answer (or timeout),
 * so a thread has one request in flight; the rate with T threads is what
 * RADIUS threads built on radcli could do.
 *
 *   rad_radcli -s 127.0.0.1:PORT -k SECRET -n COUNT [-t THREADS] [-d DICTIONARY]
 *
 * COUNT requests in all, User-Name "radcli-<thread>-<n>" (every one
 * distinct, as new clients are), split over the threads.  radcli reads
 * its configuration from files: a radiusclient.conf and a servers file
 * (the secret) are written to a temp dir, read once per thread with
 * rc_read_config before the clock starts, and removed at the end.
 * Prints one line, "radcli threads T requests N accepted A rejected R
 * failed F seconds S rate X/s"; exits 1 when a request failed.
 * bench/radius_ceiling.sh runs it against FreeRADIUS.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <radcli/radcli.h>

#define RADCLI_MAX_THREADS 256

struct radcli_worker {
	pthread_t tid;
	rc_handle *rh;
	unsigned id;
	uint64_t count;
	uint64_t accepted, rejected, failed;
};

static pthread_barrier_t radcli_start;

static double
radcli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
radcli_run(void *arg)
{
	struct radcli_worker *w = arg;
	char name[64], msg[PW_MAX_MSG_SIZE];

	pthread_barrier_wait(&radcli_start);
	for (uint64_t i = 0; i < w->count; i++) {
		VALUE_PAIR *send = NULL, *received = NULL;
		int rc;

		snprintf(name, sizeof(name), "radcli-%u-%" PRIu64, w->id, i);
		if (rc_avpair_add(w->rh, &send, PW_USER_NAME, name, -1, 0) == NULL) {
			w->failed++;
			continue;
		}
		rc = rc_auth(w->rh, 0, send, &received, msg);
		if (rc == OK_RC)
			w->accepted++;
		else if (rc == REJECT_RC)
			w->rejected++;
		else
			w->failed++;
		rc_avpair_free(send);
		rc_avpair_free(received);
	}
	return NULL;
}

/* radcli_conf: DIR/radiusclient.conf and DIR/servers for SERVER. */
static int
radcli_conf(const char *dir, const char *server, const char *secret,
	    const char *dictionary, char *conf, size_t len)
{
	char servers[512], host[256];
	const char *colon = strrchr(server, ':');
	FILE *f;

	if (colon == NULL || (size_t)(colon - server) >= sizeof(host))
		return -EINVAL;
	memcpy(host, server, colon - server);
	host[colon - server] = '\0';
	snprintf(servers, sizeof(servers), "%s/servers", dir);
	snprintf(conf, len, "%s/radiusclient.conf", dir);
	f = fopen(servers, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "%s %s\n", host, secret);
	fclose(f);
	f = fopen(conf, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "authserver %s\nacctserver %s\nservers %s\ndictionary %s\n"
		"radius_timeout 1\nradius_retries 3\nradius_deadtime 0\nbindaddr *\n",
		server, server, servers, dictionary);
	fclose(f);
	return 0;
}

static void
radcli_usage(const char *prog)
{
	fprintf(stderr, "usage: %s -s HOST:PORT -k SECRET -n COUNT [-t THREADS] "
		"[-d DICTIONARY]\n", prog);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *server = NULL, *secret = NULL;
	const char *dictionary = "/etc/radcli/dictionary";
	struct radcli_worker *w;
	uint64_t count = 0, accepted = 0, rejected = 0, failed = 0;
	unsigned threads = 1;
	char dir[] = "/tmp/pgt-radcli.XXXXXX", conf[512] = "", path[512];
	double t0, secs;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "s:k:n:t:d:")) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'k': secret = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 't': threads = strtoul(optarg, NULL, 10); break;
		case 'd': dictionary = optarg; break;
		default: radcli_usage(argv[0]);
		}
	}
	if (server == NULL || secret == NULL || count == 0 || threads == 0 ||
	    threads > RADCLI_MAX_THREADS)
		radcli_usage(argv[0]);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	w = calloc(threads, sizeof(*w));
	if (w == NULL || radcli_conf(dir, server, secret, dictionary, conf, sizeof(conf)) < 0) {
		fprintf(stderr, "rad_radcli: cannot write the radcli configuration in %s\n", dir);
		rc = 1;
		goto out;
	}
	for (unsigned t = 0; t < threads; t++) {
		w[t].id = t;
		w[t].count = count / threads + (t < count % threads);
		w[t].rh = rc_read_config(conf);
		if (w[t].rh == NULL) {
			fprintf(stderr, "rad_radcli: rc_read_config %s failed\n", conf);
			rc = 1;
			goto out;
		}
	}
	pthread_barrier_init(&radcli_start, NULL, threads + 1);
	for (unsigned t = 0; t < threads; t++) {
		if (pthread_create(&w[t].tid, NULL, radcli_run, &w[t]) != 0) {
			/* the barrier would never open: nothing to unwind */
			fprintf(stderr, "rad_radcli: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&radcli_start);
	t0 = radcli_now();
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(w[t].tid, NULL);
		accepted += w[t].accepted;
		rejected += w[t].rejected;
		failed += w[t].failed;
	}
	secs = radcli_now() - t0;
	pthread_barrier_destroy(&radcli_start);
	printf("radcli threads %u requests %" PRIu64 " accepted %" PRIu64 " rejected %"
	       PRIu64 " failed %" PRIu64 " seconds %.3f rate %.0f/s\n",
	       threads, count, accepted, rejected, failed, secs, count / secs);
	rc = failed ? 1 : 0;
out:
	for (unsigned t = 0; w != NULL && t < threads; t++)
		if (w[t].rh != NULL)
			rc_destroy(w[t].rh);
	free(w);
	snprintf(path, sizeof(path), "%s/servers", dir);
	unlink(path);
	unlink(conf);
	rmdir(dir);
	return rc;
}
