<#
.SYNOPSIS
    Installs, upgrades or removes mdefleet-runner on this server. Meant to be
    a Group Policy computer startup script (it runs as SYSTEM at boot).

.DESCRIPTION
    Install / upgrade (the default):
      1. Reads the expected SHA-256 (-ExpectedSha256, or the first word of
         mdefleet-runner.exe.sha256 beside the executable on the share).
      2. Copies \\share\...\mdefleet-runner.exe to a temporary file in the
         install directory and checks that copy: its SHA-256 must match, and
         its Authenticode signature must be Valid when it is signed (with
         -RequireSignature it must be signed).
      3. Does nothing when the installed executable has the same hash and the
         service is running. Otherwise: stops the service, keeps the old
         executable as mdefleet-runner.exe.previous, puts the new one in
         place, runs "mdefleet-runner.exe install" (creates or updates the
         service: LocalSystem, automatic delayed start, restart on failure)
         and starts it. When the new executable does not stay running, the
         previous one is put back and started, and the script fails.
    -Uninstall: stops and removes the service and the program files. The
    state directory (the runner's identity and journal) is kept.

    The script never reads or writes the enrollment secret: that comes from
    the Group Policy registry settings (mdefleet.admx).

    Log: C:\ProgramData\mdefleet\install.log and the Application event log
    (source mdefleet-install). Exit code 0 on success, 1 on failure (the
    message says why).

.PARAMETER SourceShare
    Folder (UNC path) holding mdefleet-runner.exe and
    mdefleet-runner.exe.sha256, readable by Domain Computers.

.PARAMETER ExpectedSha256
    The executable's SHA-256 (64 hex digits). Default: read from
    mdefleet-runner.exe.sha256 on the share.

.PARAMETER RequireSignature
    Refuse an executable without an Authenticode signature.

.PARAMETER Uninstall
    Remove the service and the program files instead of installing.

.EXAMPLE
    Install-MdefleetRunner.ps1 -SourceShare \\corp.contoso.com\NETLOGON\mdefleet

.EXAMPLE
    Install-MdefleetRunner.ps1 -Uninstall
#>
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
    [Parameter(ParameterSetName = 'Install', Mandatory = $true)]
    [string] $SourceShare,

    [Parameter(ParameterSetName = 'Install')]
    [ValidatePattern('^[0-9A-Fa-f]{64}$')]
    [string] $ExpectedSha256,

    [Parameter(ParameterSetName = 'Install')]
    [switch] $RequireSignature,

    [Parameter(ParameterSetName = 'Install')]
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'mdefleet'),

    [Parameter(ParameterSetName = 'Install')]
    [ValidateRange(5, 600)]
    [int] $StartTimeoutSeconds = 60,

    [Parameter(ParameterSetName = 'Uninstall', Mandatory = $true)]
    [switch] $Uninstall,

    [Parameter(ParameterSetName = 'Uninstall')]
    [string] $UninstallDirectory = (Join-Path $env:ProgramFiles 'mdefleet')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ServiceName = 'mdefleet-runner'
$ExeName = 'mdefleet-runner.exe'
$DataDirectory = Join-Path $env:ProgramData 'mdefleet'
$LogFile = Join-Path $DataDirectory 'install.log'
$EventSource = 'mdefleet-install'
# Time a stopping runner gets to finish the step it is running.
$StopTimeoutSeconds = 300
# A runner that stops within this long after starting (a bad configuration,
# a broken executable) counts as failing to start.
$SettleSeconds = 10

# ---- Logging ---------------------------------------------------------------

function Write-Log {
    param([string] $Message, [ValidateSet('Information', 'Warning', 'Error')] [string] $Level = 'Information')
    $line = '{0} [{1}] {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $Level, $Message
    Write-Host $line
    try { Add-Content -LiteralPath $LogFile -Value $line -Encoding UTF8 } catch { Write-Host "cannot write $LogFile : $_" }
    try {
        $id = @{ Information = 1000; Warning = 1001; Error = 1002 }[$Level]
        Write-EventLog -LogName Application -Source $EventSource -EntryType $Level -EventId $id -Message $Message
    } catch {
        # The event log is a convenience; install.log is the record.
    }
}

function Fail {
    param([string] $Message)
    Write-Log $Message 'Error'
    exit 1
}

# C:\ProgramData\mdefleet holds runner.conf (which may hold the enrollment
# secret), install.log and the state directory: SYSTEM and Administrators
# only, by SID so it works in every language.
function Initialize-DataDirectory {
    if (-not (Test-Path -LiteralPath $DataDirectory)) {
        New-Item -ItemType Directory -Path $DataDirectory -Force | Out-Null
    }
    & icacls.exe $DataDirectory /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls $DataDirectory failed with exit code $LASTEXITCODE" }
    try {
        if (-not [System.Diagnostics.EventLog]::SourceExists($EventSource)) {
            New-EventLog -LogName Application -Source $EventSource
        }
    } catch {
        Write-Host "event log source $EventSource not registered: $_"
    }
}

# ---- Helpers ----------------------------------------------------------------

function Get-Sha256 {
    param([string] $Path)
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToUpperInvariant()
}

function Get-RunnerService {
    Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
}

# Runs mdefleet-runner.exe with one command; throws with its output on failure.
function Invoke-Runner {
    param([string] $Exe, [string] $Command)
    # The runner prints to stderr; with 'Stop', Windows PowerShell would turn
    # the first stderr line into a terminating error.
    $ErrorActionPreference = 'Continue'
    $output = & $Exe $Command 2>&1 | Out-String
    $code = $LASTEXITCODE
    $ErrorActionPreference = 'Stop'
    foreach ($line in ($output -split "`r?`n")) { if ($line.Trim()) { Write-Log "  $line" } }
    if ($code -ne 0) { throw "`"$Exe`" $Command failed with exit code $code" }
}

function Stop-RunnerService {
    $service = Get-RunnerService
    if ($null -eq $service -or $service.Status -eq 'Stopped') { return }
    Write-Log "stopping $ServiceName (it finishes its current step first; up to $StopTimeoutSeconds s)"
    $service.Stop()
    $service.WaitForStatus('Stopped', [TimeSpan]::FromSeconds($StopTimeoutSeconds))
}

# Starts the service and checks that it is still running $SettleSeconds
# later. Returns $null on success, else why not.
function Start-RunnerService {
    $service = Get-RunnerService
    if ($null -eq $service) { return "service $ServiceName does not exist" }
    try {
        if ($service.Status -ne 'Running') { $service.Start() }
        $service.WaitForStatus('Running', [TimeSpan]::FromSeconds($StartTimeoutSeconds))
    } catch {
        return "service $ServiceName did not start: $($_.Exception.Message)"
    }
    Start-Sleep -Seconds $SettleSeconds
    $service.Refresh()
    if ($service.Status -eq 'Running') { return $null }
    $wmi = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'"
    $format = "service $ServiceName stopped right after starting (exit code {0}, service-specific code {1}; " +
              "3 = invalid configuration, 5 = no configuration; see the Application event log, source mdefleet-runner)"
    return ($format -f $wmi.ExitCode, $wmi.ServiceSpecificExitCode)
}

function Get-ExpectedHash {
    param([string] $ShareExe)
    if ($ExpectedSha256) { return $ExpectedSha256.ToUpperInvariant() }
    $hashFile = "$ShareExe.sha256"
    if (-not (Test-Path -LiteralPath $hashFile)) {
        throw "no -ExpectedSha256 and no $hashFile"
    }
    $first = ((Get-Content -LiteralPath $hashFile -TotalCount 1) -split '\s+')[0]
    if ($first -notmatch '^[0-9A-Fa-f]{64}$') {
        throw "$hashFile does not start with a SHA-256 (64 hex digits)"
    }
    return $first.ToUpperInvariant()
}

# Checks the Authenticode signature of $Path: Valid when signed; signed at
# all with -RequireSignature.
function Test-Signature {
    param([string] $Path)
    $signature = Get-AuthenticodeSignature -LiteralPath $Path
    if ($signature.Status -eq 'NotSigned') {
        if ($RequireSignature) { throw "$ExeName is not signed and -RequireSignature was given" }
        Write-Log "$ExeName is not Authenticode-signed (SHA-256 verified)"
        return
    }
    if ($signature.Status -ne 'Valid') {
        throw "$ExeName has an Authenticode signature that is not valid: $($signature.Status) ($($signature.StatusMessage))"
    }
    Write-Log "$ExeName signed by $($signature.SignerCertificate.Subject)"
}

# ---- Uninstall --------------------------------------------------------------

function Invoke-Uninstall {
    $exe = Join-Path $UninstallDirectory $ExeName
    if (Test-Path -LiteralPath $exe) {
        Stop-RunnerService
        Invoke-Runner $exe 'uninstall'
    } elseif ($null -ne (Get-RunnerService)) {
        Stop-RunnerService
        & sc.exe delete $ServiceName | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "sc.exe delete $ServiceName failed with exit code $LASTEXITCODE" }
        Write-Log "service $ServiceName removed with sc.exe ($exe was missing)"
    } else {
        Write-Log "service $ServiceName is not installed; nothing to remove"
    }
    if (Test-Path -LiteralPath $UninstallDirectory) {
        Remove-Item -LiteralPath $UninstallDirectory -Recurse -Force
        Write-Log "removed $UninstallDirectory"
    }
    Write-Log ("kept $DataDirectory\state (identity and journal); delete it to make this server enroll " +
               "as a new device next time")
}

# ---- Install / upgrade ----------------------------------------------------------

function Invoke-Install {
    $shareExe = Join-Path $SourceShare $ExeName
    if (-not (Test-Path -LiteralPath $shareExe)) { throw "$shareExe not found (is the share readable by Domain Computers?)" }
    $expected = Get-ExpectedHash $shareExe
    $installedExe = Join-Path $InstallDirectory $ExeName
    $previousExe = "$installedExe.previous"
    $service = Get-RunnerService

    if ((Test-Path -LiteralPath $installedExe) -and (Get-Sha256 $installedExe) -eq $expected -and
        $null -ne $service) {
        if ($service.Status -eq 'Running') {
            Write-Log "$ExeName $expected is installed and running; nothing to do"
            return
        }
        Write-Log "$ExeName $expected is installed but $ServiceName is $($service.Status); starting it"
        Invoke-Runner $installedExe 'install'
        $why = Start-RunnerService
        if ($null -ne $why) { throw $why }
        Write-Log "$ServiceName is running"
        return
    }

    if (-not (Test-Path -LiteralPath $InstallDirectory)) {
        New-Item -ItemType Directory -Path $InstallDirectory -Force | Out-Null
    }
    # Copy to a temporary name in the install directory, then check the copy
    # (not the share, which could change in between).
    $temp = Join-Path $InstallDirectory ("$ExeName.new-" + [Guid]::NewGuid().ToString('N'))
    try {
        Copy-Item -LiteralPath $shareExe -Destination $temp -Force
        $actual = Get-Sha256 $temp
        if ($actual -ne $expected) {
            throw "SHA-256 mismatch for $shareExe : expected $expected, got $actual (refusing to install)"
        }
        Test-Signature $temp

        $upgrade = Test-Path -LiteralPath $installedExe
        if ($upgrade) {
            Write-Log ("upgrading $installedExe (SHA-256 {0}) to {1}" -f (Get-Sha256 $installedExe), $expected)
            Stop-RunnerService
            Copy-Item -LiteralPath $installedExe -Destination $previousExe -Force
        } else {
            Write-Log "installing $installedExe (SHA-256 $expected)"
        }
        Move-Item -LiteralPath $temp -Destination $installedExe -Force
    } finally {
        if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Force }
    }

    Invoke-Runner $installedExe 'version'
    Invoke-Runner $installedExe 'install'
    $why = Start-RunnerService
    if ($null -eq $why) {
        Write-Log "$ServiceName is running ($expected)"
        return
    }
    Write-Log $why 'Error'
    if (-not $upgrade -or -not (Test-Path -LiteralPath $previousExe)) {
        throw "the new $ExeName does not run; nothing to roll back to"
    }
    Write-Log "rolling back to the previous $ExeName" 'Warning'
    Stop-RunnerService
    Copy-Item -LiteralPath $previousExe -Destination $installedExe -Force
    Invoke-Runner $installedExe 'install'
    $rollbackWhy = Start-RunnerService
    if ($null -ne $rollbackWhy) {
        throw "the new $ExeName does not run, and after rolling back neither does the previous one: $rollbackWhy"
    }
    throw "the new $ExeName does not run; rolled back to the previous one, which is running"
}

# ---- Main -------------------------------------------------------------------------

try {
    Initialize-DataDirectory
    if ($Uninstall) {
        Write-Log "Install-MdefleetRunner -Uninstall on $env:COMPUTERNAME"
        Invoke-Uninstall
    } else {
        Write-Log "Install-MdefleetRunner from $SourceShare on $env:COMPUTERNAME"
        Invoke-Install
    }
    exit 0
} catch {
    Fail "Install-MdefleetRunner failed: $($_.Exception.Message)"
}
