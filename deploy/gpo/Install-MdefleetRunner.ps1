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
    -Msi: installs or upgrades with mdefleet-runner.msi from the share
    instead (checked the same way: SHA-256 from -ExpectedSha256 or
    mdefleet-runner.msi.sha256, Authenticode signature). Does nothing when
    the package with that hash is installed and the service is running.
    Otherwise runs "msiexec /i ... /qn" (a newer package upgrades in place; an
    older one is refused by the package) and checks that the service stays
    running. A runner installed earlier by this script without -Msi is
    removed first (the state directory stays). The configuration still comes
    from Group Policy; -CaCertificateFile is passed to the package as
    CA_CERT_FILE, which copies it to C:\ProgramData\mdefleet\ca.pem.
    msiexec's log: C:\ProgramData\mdefleet\install-msi.log.
    -Uninstall: stops and removes the service and the program files (with
    "msiexec /x" when the runner was installed from the MSI). The state
    directory (the runner's identity and journal) is kept.

    The script never reads or writes the enrollment secret: that comes from
    the Group Policy registry settings (mdefleet.admx).

    Log: C:\ProgramData\mdefleet\install.log and the Application event log
    (source mdefleet-install). Exit code 0 on success, 1 on failure (the
    message says why).

.PARAMETER SourceShare
    Folder (UNC path) holding mdefleet-runner.exe and
    mdefleet-runner.exe.sha256 (with -Msi: mdefleet-runner.msi and
    mdefleet-runner.msi.sha256), readable by Domain Computers.

.PARAMETER ExpectedSha256
    The executable's (with -Msi: the package's) SHA-256 (64 hex digits).
    Default: read from the .sha256 file beside it on the share.

.PARAMETER RequireSignature
    Refuse an executable (with -Msi: a package) without an Authenticode
    signature.

.PARAMETER Msi
    Install mdefleet-runner.msi instead of copying mdefleet-runner.exe.

.PARAMETER CaCertificateFile
    With -Msi: the server's CA certificate (PEM), e.g. on the share; the
    package copies it to C:\ProgramData\mdefleet\ca.pem (the path to give
    the "CA certificate file" policy).

.PARAMETER Uninstall
    Remove the service and the program files instead of installing.

.EXAMPLE
    Install-MdefleetRunner.ps1 -SourceShare \\corp.contoso.com\NETLOGON\mdefleet

.EXAMPLE
    Install-MdefleetRunner.ps1 -Msi -SourceShare \\fs01\deploy$\mdefleet -CaCertificateFile \\fs01\deploy$\mdefleet\ca.pem

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
    [switch] $Msi,

    [Parameter(ParameterSetName = 'Install')]
    [string] $CaCertificateFile,

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
$MsiName = 'mdefleet-runner.msi'
# ProductName in deploy/windows/mdefleet-runner.wxs (the Programs and
# Features entry).
$MsiProductName = 'mdefleet runner'
$DataDirectory = Join-Path $env:ProgramData 'mdefleet'
# The SHA-256 of the package last installed with -Msi.
$InstalledMsiHashFile = Join-Path $DataDirectory 'installed-msi.sha256'
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
    param([string] $Path, [string] $Name = $ExeName)
    $signature = Get-AuthenticodeSignature -LiteralPath $Path
    if ($signature.Status -eq 'NotSigned') {
        if ($RequireSignature) { throw "$Name is not signed and -RequireSignature was given" }
        Write-Log "$Name is not Authenticode-signed (SHA-256 verified)"
        return
    }
    if ($signature.Status -ne 'Valid') {
        throw "$Name has an Authenticode signature that is not valid: $($signature.Status) ($($signature.StatusMessage))"
    }
    Write-Log "$Name signed by $($signature.SignerCertificate.Subject)"
}

# ---- The MSI package -----------------------------------------------------------

# The ProductCode of the installed mdefleet runner package, or $null.
function Get-MsiProductCode {
    $uninstallKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall'
    foreach ($item in @(Get-ChildItem -LiteralPath $uninstallKey -ErrorAction SilentlyContinue)) {
        $entry = Get-ItemProperty -LiteralPath $item.PSPath -ErrorAction SilentlyContinue
        if ($null -eq $entry) { continue }
        $names = $entry.PSObject.Properties
        if ($names['DisplayName'] -and $entry.DisplayName -eq $MsiProductName -and
            $names['WindowsInstaller'] -and $entry.WindowsInstaller -eq 1) {
            return $item.PSChildName
        }
    }
    return $null
}

# Runs msiexec.exe quietly with a verbose log in $DataDirectory; throws on
# failure. 3010 and 1641 (a restart is needed or was started) count as success.
function Invoke-Msiexec {
    param([string[]] $Arguments, [string] $LogName)
    $log = Join-Path $DataDirectory $LogName
    $line = (@($Arguments) + @('/qn', '/norestart', '/l*v', "`"$log`"")) -join ' '
    Write-Log "msiexec.exe $line"
    $msiexec = Join-Path $env:SystemRoot 'System32\msiexec.exe'
    $process = Start-Process -FilePath $msiexec -ArgumentList $line -Wait -PassThru
    $code = $process.ExitCode
    if ($code -eq 3010 -or $code -eq 1641) {
        Write-Log "msiexec.exe succeeded; Windows asks for a restart (exit code $code)" 'Warning'
        return
    }
    if ($code -ne 0) { throw "msiexec.exe exited with code $code (see $log)" }
}

function Invoke-InstallMsi {
    $shareMsi = Join-Path $SourceShare $MsiName
    if (-not (Test-Path -LiteralPath $shareMsi)) { throw "$shareMsi not found (is the share readable by Domain Computers?)" }
    $expected = Get-ExpectedHash $shareMsi
    $productCode = Get-MsiProductCode

    if ($null -ne $productCode -and (Test-Path -LiteralPath $InstalledMsiHashFile) -and
        ([string](Get-Content -LiteralPath $InstalledMsiHashFile -TotalCount 1)).Trim().ToUpperInvariant() -eq $expected) {
        $service = Get-RunnerService
        if ($null -ne $service -and $service.Status -eq 'Running') {
            Write-Log "$MsiName $expected is installed and $ServiceName is running; nothing to do"
            return
        }
        Write-Log "$MsiName $expected is installed but $ServiceName is not running; starting it"
        $why = Start-RunnerService
        if ($null -ne $why) { throw $why }
        Write-Log "$ServiceName is running"
        return
    }

    # Copy to the data directory (SYSTEM and Administrators only) and check
    # that copy, not the share.
    $local = Join-Path $DataDirectory ("$MsiName.new-" + [Guid]::NewGuid().ToString('N'))
    try {
        Copy-Item -LiteralPath $shareMsi -Destination $local -Force
        $actual = Get-Sha256 $local
        if ($actual -ne $expected) {
            throw "SHA-256 mismatch for $shareMsi : expected $expected, got $actual (refusing to install)"
        }
        Test-Signature $local $MsiName

        if ($null -eq $productCode -and
            ((Test-Path -LiteralPath (Join-Path $InstallDirectory $ExeName)) -or $null -ne (Get-RunnerService))) {
            Write-Log "removing the runner installed without the MSI first (the state directory stays)"
            Invoke-Uninstall $InstallDirectory
        }
        $arguments = @('/i', "`"$local`"")
        if ($CaCertificateFile) { $arguments += "CA_CERT_FILE=`"$CaCertificateFile`"" }
        Write-Log ("installing $MsiName (SHA-256 $expected)" + $(if ($null -ne $productCode) { " over $productCode" } else { '' }))
        Invoke-Msiexec $arguments 'install-msi.log'
    } finally {
        if (Test-Path -LiteralPath $local) { Remove-Item -LiteralPath $local -Force }
    }
    Set-Content -LiteralPath $InstalledMsiHashFile -Value $expected -Encoding ASCII
    $why = Start-RunnerService
    if ($null -ne $why) { throw "$MsiName is installed, but $why" }
    Write-Log "$ServiceName is running ($MsiName $expected)"
}

# ---- Uninstall --------------------------------------------------------------

function Invoke-Uninstall {
    param([string] $Directory = $UninstallDirectory)
    $productCode = Get-MsiProductCode
    if ($null -ne $productCode) {
        # The package's own uninstall stops and removes the service and keeps
        # C:\ProgramData\mdefleet.
        Invoke-Msiexec @('/x', $productCode) 'uninstall-msi.log'
        if (Test-Path -LiteralPath $InstalledMsiHashFile) { Remove-Item -LiteralPath $InstalledMsiHashFile -Force }
        Write-Log "removed the $MsiName product $productCode"
        Write-Log ("kept $DataDirectory (configuration, identity and journal); delete it to make this server " +
                   "enroll as a new device next time")
        return
    }
    $exe = Join-Path $Directory $ExeName
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
    if (Test-Path -LiteralPath $Directory) {
        Remove-Item -LiteralPath $Directory -Recurse -Force
        Write-Log "removed $Directory"
    }
    Write-Log ("kept $DataDirectory\state (identity and journal); delete it to make this server enroll " +
               "as a new device next time")
}

# ---- Install / upgrade ----------------------------------------------------------

function Invoke-Install {
    $productCode = Get-MsiProductCode
    if ($null -ne $productCode) {
        throw "the runner is installed from $MsiName (product $productCode): use -Msi, or remove it with -Uninstall first"
    }
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
    } elseif ($Msi) {
        Write-Log "Install-MdefleetRunner -Msi from $SourceShare on $env:COMPUTERNAME"
        Invoke-InstallMsi
    } else {
        if ($CaCertificateFile) { throw '-CaCertificateFile needs -Msi' }
        Write-Log "Install-MdefleetRunner from $SourceShare on $env:COMPUTERNAME"
        Invoke-Install
    }
    exit 0
} catch {
    Fail "Install-MdefleetRunner failed: $($_.Exception.Message)"
}
