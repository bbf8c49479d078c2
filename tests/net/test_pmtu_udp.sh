#!/usr/bin/env bash
# test_pmtu.sh with ESP in UDP (RFC 3948, port 4500): 8 more octets of overhead.
ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_pmtu.sh"
