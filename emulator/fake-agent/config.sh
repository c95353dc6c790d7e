#!/usr/bin/env bash
# Fake Azure Pipelines agent, configure stage: registers the agent through the emulated REST routes
# (same flags as the real config.sh). Used only by the local emulator.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# In a container copy the compiled agent and a Node binary sit in lib/; in the source tree, in build/.
agent_js=$here/lib/agent.js
[[ -f $agent_js ]] || agent_js=$here/../../build/emulator/fake-agent/agent.js
node_bin=node
[[ -x $here/lib/node ]] && node_bin=$here/lib/node
exec "$node_bin" "$agent_js" configure "$here" "$@"
