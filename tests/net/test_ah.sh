#!/usr/bin/env bash
# test_transport.sh with AH (HMAC-SHA2-256-128, RFC 4302) over IPv4: the ICV covers the IP
# identification, so the packet goes out as signed (IP_HDRINCL).
ESPRIT_NET_PROTO=ah exec bash "$(dirname "$0")/test_transport.sh"
