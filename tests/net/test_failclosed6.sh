#!/usr/bin/env bash
# test_failclosed.sh over IPv6.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_failclosed.sh"
