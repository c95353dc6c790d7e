# Entrypoint of the single-use Azure Pipelines agent container on Windows: the mirror of
# ../linux/start.sh, following the same contract (../entrypoint-contract.json: variables,
# defaults, messages, exit codes, agent arguments). The `# step:` markers must stay in the same
# order in both scripts.
#
# Where Windows gives a weaker guarantee than Linux (see ../README.md):
# - the job runs as the same user as this script (AZP_RUN_AS does not apply): ContainerUser, who
#   cannot change the agent's binaries and scripts (the Dockerfile's ACLs);
# - the secret is removed from this process's environment before config.cmd starts, but the
#   container's initial environment is not rewritten the way exec does on Linux;
# - an idle agent is stopped with taskkill /T (console processes usually ignore it) and then
#   taskkill /T /F after the grace period.
#
# Written for Windows PowerShell 5.1 (the one in Windows Server Core).
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$EXIT_USAGE = 2
$EXIT_IDLE_TIMEOUT = 75
$EXIT_CONFIG_FAILED = 78

$MAX_UPDATE_RESTARTS = 5
$LISTENER_WAIT_SECONDS = 15
$KILL_GRACE_SECONDS = 10
$JOB_STARTED_MARKER = 'Running job:'

# Every variable this entrypoint reads (AZP_RUN_AS and AZP_ENV_KEEP are for Linux only); all of
# them are hidden from the agent's capabilities.
$AZP_VARIABLES = @('AZP_URL', 'AZP_POOL', 'AZP_AGENT_NAME', 'AZP_TOKEN', 'AZP_TOKEN_FILE', 'AZP_AGENT_DIR', 'AZP_WORK',
    'AZP_RUN_AS', 'AZP_IDLE_TIMEOUT_SECONDS', 'AZP_UPDATE_WAIT_SECONDS', 'AZP_CONFIGURE_ONLY', 'AZP_ENV_KEEP')
# The proxy variables the agent keeps: hidden from the capabilities too, as a proxy URL may hold a
# user name and password.
$PROXY_VARIABLES = @('http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY')

function Stop-Entrypoint([int] $Code, [string] $Message) {
    [Console]::Error.WriteLine($Message)
    exit $Code
}

function Get-Setting([string] $Name, [string] $Default) {
    $value = [Environment]::GetEnvironmentVariable($Name, 'Process')
    if ([string]::IsNullOrEmpty($value)) { return $Default }
    return $value
}

function Assert-WholeNumber([string] $Name, [string] $Value) {
    if ($Value -notmatch '\A[0-9]{1,9}\z') {
        Stop-Entrypoint $EXIT_USAGE "invalid value for ${Name}: expected a whole number of seconds, got '$Value'"
    }
}

# Stops the process and every process it started; Force = taskkill /F.
function Stop-ProcessTree([int] $ProcessId, [bool] $Force) {
    $arguments = @('/PID', "$ProcessId", '/T')
    if ($Force) { $arguments += '/F' }
    # taskkill complains on stderr when the process is already gone; that must not stop the script.
    $ErrorActionPreference = 'Continue'
    & taskkill.exe @arguments > $null 2> $null
}

# Settings and state shared by the stages below.
$script:Settings = $null
$script:JobStarted = $false
$script:IdleTimedOut = $false
$script:IdleDeadline = [DateTime]::MaxValue
$script:AgentExitCode = 0

function Invoke-ConfigureStage {
    # step: read-settings
    foreach ($name in 'AZP_URL', 'AZP_POOL', 'AZP_AGENT_NAME') {
        if ([string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name, 'Process'))) {
            Stop-Entrypoint $EXIT_USAGE "missing required variable: $name"
        }
    }
    if ([string]::IsNullOrEmpty($env:AZP_TOKEN_FILE) -and [string]::IsNullOrEmpty($env:AZP_TOKEN)) {
        Stop-Entrypoint $EXIT_USAGE 'missing required variable: AZP_TOKEN or AZP_TOKEN_FILE'
    }
    $url = $env:AZP_URL
    $pool = $env:AZP_POOL
    $agentName = $env:AZP_AGENT_NAME
    $agentDir = Get-Setting 'AZP_AGENT_DIR' 'C:\azp\agent'
    $work = Get-Setting 'AZP_WORK' 'C:\azp\_work'
    $idle = Get-Setting 'AZP_IDLE_TIMEOUT_SECONDS' '900'
    $updateWait = Get-Setting 'AZP_UPDATE_WAIT_SECONDS' '5'
    $configureOnly = Get-Setting 'AZP_CONFIGURE_ONLY' '0'
    Assert-WholeNumber 'AZP_IDLE_TIMEOUT_SECONDS' $idle
    Assert-WholeNumber 'AZP_UPDATE_WAIT_SECONDS' $updateWait
    if ($configureOnly -ne '0' -and $configureOnly -ne '1') {
        Stop-Entrypoint $EXIT_USAGE "invalid value for AZP_CONFIGURE_ONLY: expected 0 or 1, got '$configureOnly'"
    }
    $configCmd = Join-Path $agentDir 'config.cmd'
    $runCmd = Join-Path $agentDir 'run.cmd'
    if (-not (Test-Path -LiteralPath $configCmd -PathType Leaf) -or -not (Test-Path -LiteralPath $runCmd -PathType Leaf)) {
        Stop-Entrypoint $EXIT_USAGE "agent not found: $agentDir must hold config.cmd and run.cmd (AZP_AGENT_DIR)"
    }

    # step: read-secret
    # The secret lives in a script variable from here on, never in an environment.
    $tokenFile = $env:AZP_TOKEN_FILE
    if (-not [string]::IsNullOrEmpty($tokenFile)) {
        # Deleting a link would leave the secret readable under its other name: refuse links.
        $tokenItem = Get-Item -LiteralPath $tokenFile -Force -ErrorAction SilentlyContinue
        if ($null -ne $tokenItem -and (($tokenItem.Attributes -band [IO.FileAttributes]::ReparsePoint) -or $tokenItem.LinkType)) {
            Stop-Entrypoint $EXIT_USAGE "token file is a link: $tokenFile; pass the file itself (AZP_TOKEN_FILE)"
        }
        try {
            $secret = [IO.File]::ReadAllText($tokenFile).TrimEnd("`r", "`n")
        } catch {
            Stop-Entrypoint $EXIT_USAGE "cannot read token file: $tokenFile (AZP_TOKEN_FILE)"
        }
    } else {
        $secret = $env:AZP_TOKEN
    }
    Remove-Item -Path 'Env:AZP_TOKEN', 'Env:AZP_TOKEN_FILE' -ErrorAction SilentlyContinue

    # step: delete-token-file
    if (-not [string]::IsNullOrEmpty($tokenFile)) {
        Remove-Item -LiteralPath $tokenFile -Force -ErrorAction SilentlyContinue
        if (Test-Path -LiteralPath $tokenFile) {
            Stop-Entrypoint $EXIT_USAGE "cannot delete token file: $tokenFile (AZP_TOKEN_FILE)"
        }
        if ([string]::IsNullOrEmpty($secret)) {
            Stop-Entrypoint $EXIT_USAGE "token file is empty: $tokenFile (AZP_TOKEN_FILE)"
        }
    }

    # step: hide-settings-from-capabilities
    # Every environment variable of the agent becomes a capability that pool readers can see.
    $ignore = New-Object System.Collections.Generic.List[string]
    if (-not [string]::IsNullOrEmpty($env:VSO_AGENT_IGNORE)) { $ignore.Add($env:VSO_AGENT_IGNORE) }
    $present = @(Get-ChildItem -Path Env: | Where-Object { $_.Name -like 'AZP_*' } | ForEach-Object { $_.Name })
    foreach ($name in @($AZP_VARIABLES + $present + $PROXY_VARIABLES)) {
        if (-not $ignore.Contains($name)) { $ignore.Add($name) }
    }
    $env:VSO_AGENT_IGNORE = $ignore -join ','

    # step: configure
    Set-Location -LiteralPath $agentDir
    [Environment]::CurrentDirectory = $agentDir
    # Windows PowerShell turns a native command's stderr into errors: they must not stop the script.
    $ErrorActionPreference = 'Continue'
    $configFinished = $false
    # Replacing (the flag below) takes over any registration of this name: the tasks check before each create that a
    # registration of the name, if any, is their own (a retried job or a reused slot).
    try {
        & (Join-Path $agentDir 'config.cmd') `
            --unattended `
            --url $url `
            --auth PAT `
            --token $secret `
            --pool $pool `
            --agent $agentName `
            --work $work `
            --replace `
            --acceptTeeEula
        $configExitCode = $LASTEXITCODE
        $configFinished = $true
    } finally {
        # Stopped while configuring (Ctrl+C, docker stop): stop config.cmd and what it started too,
        # so that no process holding the secret outlives this script.
        if (-not $configFinished) {
            foreach ($child in @(Get-CimInstance -ClassName Win32_Process -Filter "ParentProcessId = $PID")) {
                Stop-ProcessTree $child.ProcessId $true
            }
        }
    }
    $ErrorActionPreference = 'Stop'
    $secret = $null
    if ($configExitCode -ne 0) {
        Stop-Entrypoint $EXIT_CONFIG_FAILED "agent configuration failed: config.cmd exited with code $configExitCode"
    }

    # step: configure-only
    if ($configureOnly -eq '1') {
        [Console]::Out.WriteLine('agent configured; exiting because AZP_CONFIGURE_ONLY=1')
        exit 0
    }

    # step: scrub-environment
    # The agent and its jobs inherit this process's environment: make sure the secret is not in it.
    Remove-Item -Path 'Env:AZP_TOKEN', 'Env:AZP_TOKEN_FILE' -ErrorAction SilentlyContinue
    Remove-Variable -Name secret -ErrorAction SilentlyContinue
    $script:Settings = @{
        AgentDir = $agentDir
        RunCmd = $runCmd
        Idle = [long]$idle
        UpdateWait = [long]$updateWait
    }
}

# Runs run.cmd --once once, passing its output through; sets AgentExitCode and IdleTimedOut.
function Invoke-AgentOnce([string] $AgentDir, [string] $RunCmd, [long] $Idle) {
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $env:ComSpec
    $startInfo.Arguments = '/d /s /c ""{0}" --once 2>&1"' -f $RunCmd
    $startInfo.WorkingDirectory = $AgentDir
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.StandardOutputEncoding = New-Object System.Text.UTF8Encoding($false)
    $agent = [System.Diagnostics.Process]::Start($startInfo)

    $script:IdleTimedOut = $false
    $killAt = $null
    $pending = $null
    $quiet = 0
    while ($true) {
        $waitMs = 1000
        if ($Idle -gt 0 -and -not $script:JobStarted -and -not $script:IdleTimedOut) {
            $remainingMs = ($script:IdleDeadline - [DateTime]::UtcNow).TotalMilliseconds
            if ($remainingMs -le 0) {
                # step: idle-timeout
                $script:IdleTimedOut = $true
                Stop-ProcessTree $agent.Id $false
                $killAt = [DateTime]::UtcNow.AddSeconds($KILL_GRACE_SECONDS)
            } elseif ($remainingMs -lt 1000) {
                $waitMs = [int][Math]::Ceiling($remainingMs)
            }
        }
        if ($null -ne $killAt -and [DateTime]::UtcNow -ge $killAt) {
            Stop-ProcessTree $agent.Id $true
            $killAt = $null
        }

        if ($null -eq $pending) { $pending = $agent.StandardOutput.ReadLineAsync() }
        $completed = $false
        try {
            $completed = $pending.Wait($waitMs)
        } catch {
            break # the output stream failed: treat it as its end
        }
        if ($completed) {
            $line = $pending.Result
            $pending = $null
            $quiet = 0
            if ($null -eq $line) { break } # end of output
            [Console]::Out.WriteLine($line)
            if ($line.Contains($JOB_STARTED_MARKER)) { $script:JobStarted = $true }
            continue
        }
        # The agent has exited but something it started still holds the pipe: stop after a quiet second.
        if ($agent.HasExited) {
            $quiet++
            if ($quiet -ge 2) { break }
        }
    }
    # After an idle timeout nothing of the agent may survive: what ignored the interrupt is killed.
    if ($null -ne $killAt) {
        $remainingMs = [Math]::Max(0, ($killAt - [DateTime]::UtcNow).TotalMilliseconds)
        if (-not $agent.WaitForExit([int]$remainingMs)) { Stop-ProcessTree $agent.Id $true }
    }
    $agent.WaitForExit()
    $script:AgentExitCode = $agent.ExitCode
    $agent.Dispose()
}

function Wait-ForUpdate([string] $AgentDir, [long] $Seconds) {
    Start-Sleep -Seconds $Seconds
    # The update swaps bin\ underneath us; give it time to put the listener back.
    $bin = Join-Path $AgentDir 'bin'
    if (-not (Test-Path -LiteralPath $bin -PathType Container)) { return }
    $listener = Join-Path $bin 'Agent.Listener.exe'
    $deadline = [DateTime]::UtcNow.AddSeconds($LISTENER_WAIT_SECONDS)
    while (-not (Test-Path -LiteralPath $listener -PathType Leaf) -and [DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 500
    }
}

function Invoke-RunStage {
    $agentDir = $script:Settings.AgentDir
    $idle = $script:Settings.Idle

    # step: run-agent
    # The idle clock starts with the first run and keeps running across update restarts.
    $script:IdleDeadline = [DateTime]::UtcNow.AddSeconds($idle)
    $restarts = 0
    while ($true) {
        Invoke-AgentOnce $agentDir $script:Settings.RunCmd $idle
        if ($script:IdleTimedOut) {
            Stop-Entrypoint $EXIT_IDLE_TIMEOUT "idle timeout: no job within $idle s"
        }
        $code = $script:AgentExitCode

        # step: update-loop
        # Single use: once a job has started, nothing the job did (an exit code of 3 or 4 included)
        # makes the agent start again.
        if ($script:JobStarted -and ($code -eq 3 -or $code -eq 4)) {
            Stop-Entrypoint $code "a job has run: not starting the agent again (exit code $code)"
        }
        if ($code -eq 3 -or $code -eq 4) {
            if ($restarts -ge $MAX_UPDATE_RESTARTS) {
                Stop-Entrypoint $code "agent updated itself $MAX_UPDATE_RESTARTS times; giving up with exit code $code"
            }
            $restarts++
            [Console]::Out.WriteLine("agent updated itself (exit code $code); starting it again ($restarts of $MAX_UPDATE_RESTARTS)")
            Wait-ForUpdate $agentDir $script:Settings.UpdateWait
            continue
        }

        # step: exit
        exit $code
    }
}

Invoke-ConfigureStage
Invoke-RunStage
