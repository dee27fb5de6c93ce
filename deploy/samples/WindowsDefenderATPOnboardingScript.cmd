@echo off
REM STAND-IN for tests and the demo: NOT a real Microsoft Defender for Endpoint
REM onboarding package. It has the shape of the Group Policy onboarding script
REM (WindowsDefenderATPOnboardingScript.cmd) but the OnboardingInfo below is
REM fake JSON that no tenant will accept. A real one carries tenant data: treat
REM it as a secret and never commit it.

echo Starting Microsoft Defender for Endpoint onboarding process...

set errorCode=0
set lastError=0
set "troubleshootInfo=For more information, visit: https://go.microsoft.com/fwlink/p/?linkid=822807"
set "errorDescription="

echo Testing administrator privileges
net session >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    set "errorDescription=Script is running without administrator privileges. Please run the script as an administrator."
    set errorCode=5
    set lastError=%ERRORLEVEL%
    GOTO ERROR
)

echo Script is running with sufficient privileges
echo.
echo Performing onboarding operations
echo.

IF [%PROCESSOR_ARCHITEW6432%] EQU [] (
  set powershellPath=%windir%\System32\WindowsPowerShell\v1.0\powershell.exe
) ELSE (
  set powershellPath=%windir%\SysNative\WindowsPowerShell\v1.0\powershell.exe
)

sc query "SENSE" | find /i "RUNNING" >NUL 2>&1
if %ERRORLEVEL% EQU 0 (
    echo Microsoft Defender for Endpoint sensor is already running; refreshing onboarding info.
)

reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection" /v OnboardingInfo /t REG_SZ /f /d "{\"body\":\"{\\\"previousOrgIds\\\":[],\\\"orgId\\\":\\\"00000000-0000-0000-0000-000000000000\\\",\\\"geoLocationUrl\\\":\\\"https://example.invalid/mdefleet-stand-in/\\\",\\\"datacenter\\\":\\\"StandInDatacenter\\\",\\\"vortexGeoLocation\\\":\\\"XX\\\",\\\"version\\\":\\\"1.0\\\",\\\"deviceType\\\":\\\"Server\\\",\\\"packageGuid\\\":\\\"00000000-0000-0000-0000-000000000001\\\"}\",\"sig\":\"STAND-IN-NOT-A-SIGNATURE\",\"sha256sig\":\"STAND-IN-NOT-A-SIGNATURE\",\"cert\":\"STAND-IN-NOT-A-CERTIFICATE\",\"chain\":[]}" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    set "errorDescription=Unable to write onboarding information to the registry."
    set errorCode=10
    set lastError=%ERRORLEVEL%
    GOTO ERROR
)

echo Starting the service, if not already running
sc query "SENSE" | find /i "RUNNING" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    net start sense >NUL 2>&1
)

echo Waiting for the service to start
set /a counter=0
:SENSE_RUNNING_WAIT
sc query "SENSE" | find /i "RUNNING" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    if %counter% EQU 12 (
        set "errorDescription=Unable to start Microsoft Defender for Endpoint service."
        set errorCode=15
        set lastError=%ERRORLEVEL%
        GOTO ERROR
    )
    set /a counter=%counter%+1
    timeout /t 5 >NUL 2>&1
    GOTO SENSE_RUNNING_WAIT
)

echo Waiting for the onboarding state to be set
set /a counter=0
:SENSE_ONBOARDED_STATUS_WAIT
REG query "HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status" /v OnboardingState /reg:64 | find /i "0x1" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    if %counter% EQU 12 (
        set "errorDescription=The onboarding state was not set."
        set errorCode=40
        set lastError=%ERRORLEVEL%
        GOTO ERROR
    )
    set /a counter=%counter%+1
    timeout /t 5 >NUL 2>&1
    GOTO SENSE_ONBOARDED_STATUS_WAIT
)

set "successOutput=Successfully onboarded machine to Microsoft Defender for Endpoint"
echo %successOutput%
echo.
%windir%\System32\eventcreate.exe /l Application /so WDATPOnboarding /t Information /id 20 /d "%successOutput%" >NUL 2>&1
GOTO END

:ERROR
echo %errorDescription%
echo %troubleshootInfo%
echo.
%windir%\System32\eventcreate.exe /l Application /so WDATPOnboarding /t Error /id %errorCode% /d "%errorDescription%" >NUL 2>&1
exit /b %errorCode%

:END
exit /b 0
