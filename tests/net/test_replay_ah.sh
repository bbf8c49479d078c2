#!/usr/bin/env bash
# test_replay.sh with AH HMAC-SHA2-256-128 (RFC 4302) over IPv4.
ESPRIT_NET_ALG=ah exec bash "$(dirname "$0")/test_replay.sh"
