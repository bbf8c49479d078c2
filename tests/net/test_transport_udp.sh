#!/usr/bin/env bash
# test_transport.sh with ESP in UDP (RFC 3948, port 4500) instead of IP protocol 50.
ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_transport.sh"
