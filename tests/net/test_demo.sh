#!/usr/bin/env bash
# The README's first command, tested: scripts/demo --brief against the build under test (five
# namespaces, nginx, dovecot, espritd on three hosts; transport ESP, two tunnels through an
# inspecting firewall, AH with a tampered packet). Every check of the demo must pass; the demo
# removes its namespaces, processes and files itself. Needs root (exit 77 otherwise).
: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
exec bash "$(dirname "$0")/../../scripts/demo" --brief --build "$ESPRIT_BUILD"
