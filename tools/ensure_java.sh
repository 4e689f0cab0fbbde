#!/bin/sh
# Spark (the `spark` extra, tests/test_spark.py) needs a Java 17+ runtime.
ENSURE_NAME=ensure_java.sh exec sh "$(dirname "$0")/ensure_deb.sh" "the Spark tests" openjdk-17-jre-headless java
