#!/usr/bin/env bash
# test_pmtu.sh over IPv6: ICMPv6 "packet too big" (RFC 8201) on a 1400 link.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_pmtu.sh"
