#!/usr/bin/env bash
# test_wireshark.sh with AES-CBC-128 + HMAC-SHA2-256-128 over ESP in UDP 4500 (RFC 3948).
ESPRIT_NET_ALG=cbc ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_wireshark.sh"
