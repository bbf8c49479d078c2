#!/usr/bin/env bash
# test_wireshark.sh over IPv6 with AES-GCM-128 in UDP 4500 (RFC 3948).
ESPRIT_NET_FAMILY=6 ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_wireshark.sh"
