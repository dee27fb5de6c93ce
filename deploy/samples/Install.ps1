# STAND-IN for tests and the demo: NOT Microsoft's installer. The real
# Install.ps1 comes from Microsoft's mdefordownlevelserver package (Defender
# portal > Settings > Endpoints > Onboarding, Windows Server 2012 R2 and 2016;
# also https://github.com/microsoft/mdefordownlevelserver). It installs
# md4ws.msi, which must sit beside it unrenamed. This stand-in only checks its
# inputs and reports what the real script would do, with the real script's
# documented exit codes for those checks.
[CmdletBinding(DefaultParameterSetName = 'install')]
param(
    # Path to the onboarding .cmd (Group Policy variant); onboards after installing.
    [Parameter(ParameterSetName = 'install')]
    [string]$OnboardingScript,
    # Log Analytics workspace GUID to remove from the Microsoft Monitoring Agent.
    [Parameter(ParameterSetName = 'install')]
    [ValidatePattern('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')]
    [string]$RemoveMMA,
    # Install Defender Antivirus in passive mode (a third-party antivirus is present).
    [Parameter(ParameterSetName = 'install')]
    [switch]$Passive,
    # Uninstall the unified agent (offboard first with -OffboardingScript).
    [Parameter(ParameterSetName = 'uninstall', Mandatory = $true)]
    [switch]$Uninstall,
    # Path to the offboarding .cmd, run before uninstalling.
    [Parameter(ParameterSetName = 'uninstall')]
    [string]$OffboardingScript,
    # Do not write an MSI log.
    [switch]$NoMSILog,
    # Do not collect an ETL trace.
    [switch]$NoEtl
)

$ErrorActionPreference = 'Stop'
$msi = Join-Path $PSScriptRoot 'md4ws.msi'

if ($PSCmdlet.ParameterSetName -eq 'uninstall') {
    if ($OffboardingScript -and -not (Test-Path -LiteralPath $OffboardingScript)) {
        Write-Error "offboarding script not found: $OffboardingScript"
        exit 32
    }
    Write-Output "stand-in: would run $OffboardingScript, then uninstall md4ws.msi"
    exit 0
}

if (-not (Test-Path -LiteralPath $msi)) {
    Write-Error "md4ws.msi not found beside Install.ps1 ($msi)"
    exit 16
}
if ($OnboardingScript -and -not (Test-Path -LiteralPath $OnboardingScript)) {
    Write-Error "onboarding script not found: $OnboardingScript"
    exit 30
}
if ($RemoveMMA) {
    Write-Output "stand-in: would remove MMA workspace $RemoveMMA"
}
Write-Output ("stand-in: would install md4ws.msi" + $(if ($Passive) { ' in passive mode' } else { '' }))
if ($OnboardingScript) {
    Write-Output "stand-in: would onboard with $OnboardingScript"
}
exit 0
