#!/bin/bash
# Runs redis_test (the "redis" lease backend's tests) against a private
# redis-server that scripts/redistest.sh starts once and stops by pid on
# exit, pass or fail.  Usage: redis_test.sh PATH/TO/redis_test
set -u
NT_NAME=redis_backend
. "$(dirname "$0")/../scripts/redistest.sh"
exe=${1:?usage: redis_test.sh PATH/TO/redis_test}
shift

redis_start
RDT_SOCK=$REDIS_SOCK RDT_PORT=$REDIS_PORT "$exe" "$@"
rc=$?
redis_log "redis_test exited $rc"
exit $rc
