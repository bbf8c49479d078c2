#!/usr/bin/env bash
# test_tamper.sh with AH HMAC-SHA2-256-128 (RFC 4302) over IPv6.
ESPRIT_NET_FAMILY=6 exec bash "$(dirname "$0")/test_tamper.sh"
