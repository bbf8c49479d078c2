#!/usr/bin/env bash
# test_transport.sh in tunnel mode over IPv6 with ESP in UDP (RFC 3948).
ESPRIT_NET_MODE=tunnel ESPRIT_NET_FAMILY=6 ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_transport.sh"
