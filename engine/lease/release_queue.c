/* Release queue (see release_queue.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "release_queue.h"

int release_queue_init(struct release_queue *q, uint32_t want)
{
	memset(q, 0, sizeof(*q));
	if (want > (1u << 30))
		return -EINVAL;
	q->cap = 1;
	while (q->cap < want)
		q->cap <<= 1;
	q->e = calloc(q->cap, sizeof(*q->e));
	if (!q->e) {
		q->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

void release_queue_free(struct release_queue *q)
{
	free(q->e);
	memset(q, 0, sizeof(*q));
}
