#!/bin/sh
# The Redis tests (tests/_redis_server.py starts a private redis-server on a free loopback port).
ENSURE_NAME=ensure_redis.sh exec sh "$(dirname "$0")/ensure_deb.sh" "the Redis tests" redis-server redis-server
