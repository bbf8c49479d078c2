#!/usr/bin/env bash
# test_tamper.sh with ESP AES-GCM-128 (RFC 4106) over IPv4: the flipped bit is in the ciphertext.
ESPRIT_NET_ALG=gcm exec bash "$(dirname "$0")/test_tamper.sh"
