#!/usr/bin/env bash
# test_gateway.sh over IPv6: fd00:21:1::/64 behind G1, fd00:21:2::/64 behind G2.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_gateway.sh"
