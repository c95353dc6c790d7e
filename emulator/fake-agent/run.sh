#!/usr/bin/env bash
# Fake Azure Pipelines agent, run stage: opens a session, takes a job, runs the fake job and, with
# --once, exits after it. Used only by the local emulator.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
agent_js=$here/lib/agent.js
[[ -f $agent_js ]] || agent_js=$here/../../build/emulator/fake-agent/agent.js
node_bin=node
[[ -x $here/lib/node ]] && node_bin=$here/lib/node
exec "$node_bin" "$agent_js" run "$here" "$@"
