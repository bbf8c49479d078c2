#!/usr/bin/env bash
# test_mail.sh over IPv4 with AES-CBC-128 + HMAC-SHA2-256-128, ESP in UDP 4500 (RFC 3948).
ESPRIT_NET_ALG=cbc ESPRIT_NET_ENCAP=udp exec bash "$(dirname "$0")/test_mail.sh"
