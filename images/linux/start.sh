#!/usr/bin/env bash
# Entrypoint of the single-use Azure Pipelines agent container.
#
# Stage 1 (configure) registers the agent with the registration secret passed to config.sh as an
# argument only, then exec's stage 2 (run) with a scrubbed environment, so that no process of the
# container holds the secret any more (/proc/1/environ included) when the job starts.
# Stage 2 runs `run.sh --once` as the run-as user in its own process group, restarts it after an
# agent self-update (exit codes 3 and 4) but never once a job has started, and stops it when no job
# starts within the idle timeout.
#
# The agent's files belong to root and the run-as user cannot write them (a job could otherwise
# change what runs next), so config.sh runs as the entrypoint's user (root) and the files it
# writes are then handed to the run-as user; only the work and diagnostic folders are theirs.
#
# Variables, defaults, messages and exit codes are a contract shared with ../windows/start.ps1:
# ../entrypoint-contract.json. The `# step:` markers must stay in the same order in both scripts.
#
# The script must also work outside a container (the local emulator runs it as a plain child
# process, unprivileged or as root, with AZP_RUN_AS=""), so it never assumes it is PID 1 or that
# /azp exists.
set -euo pipefail

readonly EXIT_USAGE=2
readonly EXIT_IDLE_TIMEOUT=75
readonly EXIT_CONFIG_FAILED=78

readonly MAX_UPDATE_RESTARTS=5
readonly LISTENER_WAIT_SECONDS=15
readonly KILL_GRACE_SECONDS=10
readonly JOB_STARTED_MARKER='Running job:'

# Every variable this entrypoint reads; all of them are hidden from the agent's capabilities.
readonly AZP_VARIABLES=(AZP_URL AZP_POOL AZP_AGENT_NAME AZP_TOKEN AZP_TOKEN_FILE AZP_AGENT_DIR AZP_WORK
  AZP_RUN_AS AZP_IDLE_TIMEOUT_SECONDS AZP_UPDATE_WAIT_SECONDS AZP_CONFIGURE_ONLY AZP_ENV_KEEP)
# The proxy variables the run stage keeps: hidden from the capabilities too, as a proxy URL may
# hold a user name and password.
readonly PROXY_VARIABLES=(http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY)

fail() { # exit code, one-line message
  printf '%s\n' "$2" >&2
  exit "$1"
}

require_whole_number() { # variable name, value
  [[ $2 =~ ^[0-9]{1,9}$ ]] || fail "$EXIT_USAGE" "invalid value for $1: expected a whole number of seconds, got '$2'"
}

now_ms() { # milliseconds since the epoch, without forking (EPOCHREALTIME may use a comma)
  local t=${EPOCHREALTIME/[.,]/}
  printf -v "$1" '%d' "$((10#$t / 1000))"
}

# Names of the variables that reach the run stage (agent and job), besides AZP_ENV_KEEP's:
# what a Node- or .NET-based agent needs to run (PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE,
# LC_*, TZ, TMPDIR, TERM), to trust a private CA (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, SSL_CERT_DIR),
# to reach the server through a proxy (http_proxy, https_proxy, no_proxy in both cases), the agent's
# own settings and knobs (AGENT_*, VSTS_AGENT_*, VSTSAGENT_*, VSO_AGENT_IGNORE) and the capabilities
# that bind jobs to this agent (EPHEMERAL_*). Never AZP_*: those configure this script only.
kept_in_run_stage() { # variable name, AZP_ENV_KEEP entries...
  local name=$1 entry
  shift
  case $name in
    AZP_*) return 1 ;;
    PATH | HOME | USER | LOGNAME | SHELL | LANG | LANGUAGE | LC_* | TZ | TMPDIR | TERM) return 0 ;;
    NODE_EXTRA_CA_CERTS | SSL_CERT_FILE | SSL_CERT_DIR) return 0 ;;
    http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY) return 0 ;;
    AGENT_* | VSTS_AGENT_* | VSTSAGENT_* | VSO_AGENT_IGNORE | EPHEMERAL_*) return 0 ;;
  esac
  for entry in "$@"; do
    # shellcheck disable=SC2053 # an entry such as DOTNET_* is a pattern on purpose
    [[ -n $entry && $name == $entry ]] && return 0
  done
  return 1
}

configure_stage() {
  # step: read-settings
  local name
  for name in AZP_URL AZP_POOL AZP_AGENT_NAME; do
    [[ -n ${!name-} ]] || fail "$EXIT_USAGE" "missing required variable: $name"
  done
  if [[ -z ${AZP_TOKEN_FILE-} && -z ${AZP_TOKEN-} ]]; then
    fail "$EXIT_USAGE" "missing required variable: AZP_TOKEN or AZP_TOKEN_FILE"
  fi
  local url=$AZP_URL pool=$AZP_POOL agent_name=$AZP_AGENT_NAME
  local agent_dir=${AZP_AGENT_DIR:-/azp/agent}
  local work=${AZP_WORK:-/azp/_work}
  local run_as=${AZP_RUN_AS-agent} # set but empty: stay the current user
  local idle=${AZP_IDLE_TIMEOUT_SECONDS:-900}
  local update_wait=${AZP_UPDATE_WAIT_SECONDS:-5}
  local configure_only=${AZP_CONFIGURE_ONLY:-0}
  local env_keep=${AZP_ENV_KEEP-}
  require_whole_number AZP_IDLE_TIMEOUT_SECONDS "$idle"
  require_whole_number AZP_UPDATE_WAIT_SECONDS "$update_wait"
  idle=$((10#$idle)) update_wait=$((10#$update_wait)) # 0900 is 900, not octal
  [[ $configure_only == 0 || $configure_only == 1 ]] ||
    fail "$EXIT_USAGE" "invalid value for AZP_CONFIGURE_ONLY: expected 0 or 1, got '$configure_only'"
  [[ -x $agent_dir/config.sh && -x $agent_dir/run.sh ]] ||
    fail "$EXIT_USAGE" "agent not found: $agent_dir must hold config.sh and run.sh (AZP_AGENT_DIR)"
  agent_dir=$(cd -- "$agent_dir" && pwd)

  # Who runs the agent: config.sh and run.sh share credential files, so both run as this user.
  local uid gid home=${HOME-} user_name
  uid=$(id -u)
  gid=$(id -g)
  user_name=$(id -un 2>/dev/null || printf '%s' "$uid")
  local switch_user=0
  if [[ -n $run_as ]]; then
    local target_uid
    target_uid=$(id -u -- "$run_as" 2>/dev/null) || fail "$EXIT_USAGE" "no such user: $run_as (AZP_RUN_AS)"
    if [[ $target_uid != "$uid" ]]; then
      [[ $uid == 0 ]] || fail "$EXIT_USAGE" "AZP_RUN_AS=$run_as needs the entrypoint to run as root"
      switch_user=1
      uid=$target_uid
      gid=$(id -g -- "$run_as")
      user_name=$(id -un -- "$run_as")
      home=$(getent passwd "$uid" | cut -d: -f6)
    fi
  fi
  local as_user=() path
  if ((switch_user)); then
    as_user=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups --)
    # The job runs as this user: if it could write the agent's files, it could change what runs.
    for path in "$agent_dir" "$agent_dir/config.sh" "$agent_dir/run.sh" "$agent_dir/bin"; do
      if [[ -e $path ]] && "${as_user[@]}" test -w "$path"; then
        fail "$EXIT_USAGE" "agent files writable by $user_name: $path must belong to root (AZP_RUN_AS)"
      fi
    done
  fi
  # The agent refuses to run as root unless told so; never tell it so for anyone else. When the
  # user switches, config.sh alone runs as root.
  local config_env=()
  if [[ $uid == 0 ]]; then
    export AGENT_ALLOW_RUNASROOT=1
  else
    unset AGENT_ALLOW_RUNASROOT
    ((switch_user)) && config_env=(AGENT_ALLOW_RUNASROOT=1)
  fi

  # step: read-secret
  # The secret lives in an unexported shell variable from here on, never in an environment.
  local secret token_file=${AZP_TOKEN_FILE-}
  if [[ -n $token_file ]]; then
    # Deleting a link would leave the secret readable under its other name: refuse links.
    if [[ -L $token_file ]] || { [[ -f $token_file ]] && (($(stat -c %h -- "$token_file") > 1)); }; then
      fail "$EXIT_USAGE" "token file is a link: $token_file; pass the file itself (AZP_TOKEN_FILE)"
    fi
    [[ -f $token_file && -r $token_file ]] || fail "$EXIT_USAGE" "cannot read token file: $token_file (AZP_TOKEN_FILE)"
    secret=$(<"$token_file")
  else
    secret=$AZP_TOKEN
  fi
  unset AZP_TOKEN AZP_TOKEN_FILE

  # step: delete-token-file
  if [[ -n $token_file ]]; then
    rm -f -- "$token_file" 2>/dev/null || true
    [[ ! -e $token_file && ! -L $token_file ]] ||
      fail "$EXIT_USAGE" "cannot delete token file: $token_file (AZP_TOKEN_FILE)"
    [[ -n $secret ]] || fail "$EXIT_USAGE" "token file is empty: $token_file (AZP_TOKEN_FILE)"
  fi

  # step: hide-settings-from-capabilities
  # Every environment variable of the agent becomes a capability that pool readers can see.
  local ignore=() seen=","
  [[ -n ${VSO_AGENT_IGNORE-} ]] && ignore+=("$VSO_AGENT_IGNORE")
  local present=()
  mapfile -t present < <(compgen -e -X '!AZP_*')
  for name in "${AZP_VARIABLES[@]}" "${present[@]}" "${PROXY_VARIABLES[@]}"; do
    [[ $seen == *",$name,"* ]] && continue
    seen+="$name,"
    ignore+=("$name")
  done
  VSO_AGENT_IGNORE=$(IFS=,; printf '%s' "${ignore[*]}")
  export VSO_AGENT_IGNORE

  # step: configure
  local identity=(USER="$user_name" LOGNAME="$user_name")
  [[ -n $home ]] && identity+=(HOME="$home")
  declare -A existed=()
  if ((switch_user)); then
    for path in "$agent_dir"/* "$agent_dir"/.*; do existed[$path]=1; done
    # The agent's diagnostic and work folders are the run-as user's.
    [[ -e $agent_dir/_diag ]] || install -d -o "$uid" -g "$gid" -- "$agent_dir/_diag"
    (cd -- "$agent_dir" && { [[ -e $work ]] || install -d -o "$uid" -g "$gid" -- "$work"; })
  fi
  # config.sh runs in the background, in its own process group, so that a stop signal is handled
  # at once and stops config.sh too: no process holding the secret outlives the entrypoint.
  # Replacing (the flag below) takes over any registration of this name: the tasks check before each create that a
  # registration of the name, if any, is their own (a retried job or a reused slot).
  local config_pid config_rc=0 stop_signal=""
  (
    trap - INT TERM
    cd -- "$agent_dir"
    exec setsid env "${identity[@]}" "${config_env[@]}" ./config.sh \
      --unattended \
      --url "$url" \
      --auth PAT \
      --token "$secret" \
      --pool "$pool" \
      --agent "$agent_name" \
      --work "$work" \
      --replace \
      --acceptTeeEula
  ) &
  config_pid=$!
  trap 'stop_signal=TERM; stop_group "$config_pid" TERM' TERM
  trap 'stop_signal=INT; stop_group "$config_pid" INT' INT
  wait "$config_pid" || config_rc=$?
  while kill -0 "$config_pid" 2>/dev/null; do # a signal interrupted the wait
    config_rc=0
    wait "$config_pid" || config_rc=$?
  done
  trap - INT TERM
  secret=
  [[ -z $stop_signal ]] || fail "$((128 + $(kill -l "$stop_signal")))" "stopped by SIG$stop_signal while configuring"
  ((config_rc == 0)) || fail "$EXIT_CONFIG_FAILED" "agent configuration failed: config.sh exited with code $config_rc"
  if ((switch_user)); then
    # What config.sh wrote (settings, credentials, key) must be readable by the run-as user.
    for path in "$agent_dir"/* "$agent_dir"/.*; do
      [[ -z ${existed[$path]-} && -f $path && ! -L $path ]] && chown -- "$uid:$gid" "$path"
    done
  fi

  # step: configure-only
  if [[ $configure_only == 1 ]]; then
    echo "agent configured; exiting because AZP_CONFIGURE_ONLY=1"
    exit 0
  fi

  # step: scrub-environment
  # exec replaces this process, so even its initial environment (/proc/self/environ) is gone.
  local keep=() keep_patterns=()
  IFS=, read -r -a keep_patterns <<<"$env_keep"
  export "${identity[@]}"
  mapfile -t present < <(compgen -e)
  for name in "${present[@]}"; do
    if kept_in_run_stage "$name" "${keep_patterns[@]}"; then
      keep+=("$name=${!name}")
    fi
  done
  local self
  self=$(readlink -f -- "${BASH_SOURCE[0]}")
  local switch_uid="" switch_gid=""
  if ((switch_user)); then
    switch_uid=$uid
    switch_gid=$gid
  fi
  exec env -i "${keep[@]}" "$BASH" "$self" --run-stage "$agent_dir" "$idle" "$update_wait" "$switch_uid" "$switch_gid"
}

# State of the run stage, shared with the signal handler.
agent_pid=""
stopping=0
job_started=0
idle_deadline_ms=0

stop_group() { # leader pid, signal name: signals the process group, or the process before it has one
  kill "-$2" -- "-$1" 2>/dev/null || kill "-$2" "$1" 2>/dev/null || true
}

forward_signal() { # signal name
  stopping=1
  [[ -n $agent_pid ]] && kill "-$1" -- "-$agent_pid" 2>/dev/null
  return 0
}

# Runs run.sh --once once, passing its output through; sets agent_rc and idle_timed_out.
run_agent_once() { # agent dir, idle timeout in seconds, launcher...
  local agent_dir=$1 idle=$2
  shift 2
  local launcher=("$@")
  # setsid gives the agent its own process group (and session), so that a signal reaches it and
  # every process it started, and nothing else.
  local out
  exec {out}< <(
    trap - INT QUIT TERM
    exec setsid "${launcher[@]}" "$agent_dir/run.sh" --once 2>&1
  )
  agent_pid=$!

  local chunk line partial="" rc now poll quiet=0 kill_at_ms=0
  idle_timed_out=0
  while :; do
    poll=1
    if ((idle > 0 && !job_started && !idle_timed_out)); then
      now_ms now
      if ((now >= idle_deadline_ms)); then
        # step: idle-timeout
        idle_timed_out=1
        kill -INT -- "-$agent_pid" 2>/dev/null || true
        kill_at_ms=$((now + KILL_GRACE_SECONDS * 1000))
      elif ((idle_deadline_ms - now < 1000)); then
        printf -v poll '0.%03d' "$((idle_deadline_ms - now))"
      fi
    fi
    if ((kill_at_ms > 0)); then
      now_ms now
      if ((now >= kill_at_ms)); then
        kill -KILL -- "-$agent_pid" 2>/dev/null || true
        kill_at_ms=0
      fi
    fi

    if IFS= read -r -t "$poll" chunk <&"$out"; then
      line=$partial$chunk
      partial=""
      quiet=0
      printf '%s\n' "$line"
      [[ $line == *"$JOB_STARTED_MARKER"* ]] && job_started=1
      continue
    else
      rc=$?
    fi
    partial+=$chunk
    if ((rc <= 128)); then
      break # end of output
    fi
    # The agent has exited but something it started still holds the pipe: stop after a quiet second.
    if ! kill -0 "$agent_pid" 2>/dev/null; then
      quiet=$((quiet + 1))
      ((quiet < 2)) || break
    fi
  done
  if [[ -n $partial ]]; then
    printf '%s\n' "$partial"
    [[ $partial == *"$JOB_STARTED_MARKER"* ]] && job_started=1
  fi
  exec {out}<&-
  # After an idle timeout nothing of the agent may survive: what ignored the interrupt is killed.
  while ((kill_at_ms > 0)) && kill -0 -- "-$agent_pid" 2>/dev/null; do
    now_ms now
    if ((now >= kill_at_ms)); then
      kill -KILL -- "-$agent_pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  agent_rc=0
  wait "$agent_pid" || agent_rc=$?
  agent_pid=""
}

wait_for_update() { # agent dir, seconds to wait first
  sleep "$2"
  # The update swaps bin/ underneath us; give it time to put an executable listener back.
  [[ -d $1/bin ]] || return 0
  local waited_ms=0
  until [[ -x $1/bin/Agent.Listener ]] || ((waited_ms >= LISTENER_WAIT_SECONDS * 1000)); do
    sleep 0.5
    waited_ms=$((waited_ms + 500))
  done
}

run_stage() { # agent dir, idle timeout, update wait, uid and gid to switch to (empty: stay)
  local agent_dir=$1 idle=$2 update_wait=$3 uid=$4 gid=$5
  local launcher=()
  if [[ -n $uid ]]; then
    launcher=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups --)
  fi
  cd -- "$agent_dir"
  trap 'forward_signal INT' INT
  trap 'forward_signal TERM' TERM

  # step: run-agent
  # The idle clock starts with the first run and keeps running across update restarts.
  now_ms idle_deadline_ms
  idle_deadline_ms=$((idle_deadline_ms + idle * 1000))
  local restarts=0
  while :; do
    run_agent_once "$agent_dir" "$idle" "${launcher[@]}"
    if ((idle_timed_out)); then
      fail "$EXIT_IDLE_TIMEOUT" "idle timeout: no job within $idle s"
    fi

    # step: update-loop
    # Single use: once a job has started, nothing the job did (an exit code of 3 or 4 included)
    # makes the agent start again.
    if ((job_started)) && [[ $agent_rc == 3 || $agent_rc == 4 ]]; then
      fail "$agent_rc" "a job has run: not starting the agent again (exit code $agent_rc)"
    fi
    if [[ $agent_rc == 3 || $agent_rc == 4 ]] && ((!stopping)); then
      if ((restarts >= MAX_UPDATE_RESTARTS)); then
        fail "$agent_rc" "agent updated itself $MAX_UPDATE_RESTARTS times; giving up with exit code $agent_rc"
      fi
      restarts=$((restarts + 1))
      echo "agent updated itself (exit code $agent_rc); starting it again ($restarts of $MAX_UPDATE_RESTARTS)"
      wait_for_update "$agent_dir" "$update_wait"
      continue
    fi

    # step: exit
    exit "$agent_rc"
  done
}

if [[ ${1-} == --run-stage ]]; then
  shift
  run_stage "$@"
else
  configure_stage
fi
