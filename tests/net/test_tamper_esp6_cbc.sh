#!/usr/bin/env bash
# test_tamper.sh with ESP AES-CBC-128 + HMAC-SHA2-256-128 over IPv6: the HMAC catches the flip.
ESPRIT_NET_FAMILY=6 ESPRIT_NET_ALG=cbc exec bash "$(dirname "$0")/test_tamper.sh"
