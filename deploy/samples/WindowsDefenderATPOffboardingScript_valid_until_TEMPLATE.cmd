@echo off
REM STAND-IN for tests and the demo: NOT a real Microsoft Defender for Endpoint
REM offboarding package. It has the shape of the Group Policy offboarding script
REM but the offboarding blob below is fake. Real packages are named
REM WindowsDefenderATPOffboardingScript_valid_until_YYYY-MM-DD.cmd and expire on
REM that date; make-offboarding-script.sh DATE OUTDIR writes a copy with a date.

echo Starting Microsoft Defender for Endpoint offboarding process...

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
echo Performing offboarding operations
echo.

reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A /t REG_SZ /f /d "{\"body\":\"{\\\"orgIds\\\":[\\\"00000000-0000-0000-0000-000000000000\\\"],\\\"orgId\\\":\\\"00000000-0000-0000-0000-000000000000\\\",\\\"expirationTimestamp\\\":0,\\\"version\\\":\\\"1.0\\\"}\",\"sig\":\"STAND-IN-NOT-A-SIGNATURE\",\"sha256sig\":\"STAND-IN-NOT-A-SIGNATURE\",\"cert\":\"STAND-IN-NOT-A-CERTIFICATE\",\"chain\":[]}" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    set "errorDescription=Unable to write offboarding information to the registry."
    set errorCode=10
    set lastError=%ERRORLEVEL%
    GOTO ERROR
)

echo Waiting for the service to stop
set /a counter=0
:SENSE_STOPPED_WAIT
sc query "SENSE" | find /i "STOPPED" >NUL 2>&1
if %ERRORLEVEL% NEQ 0 (
    if %counter% EQU 12 (
        set "errorDescription=Microsoft Defender for Endpoint service did not stop."
        set errorCode=15
        set lastError=%ERRORLEVEL%
        GOTO ERROR
    )
    set /a counter=%counter%+1
    timeout /t 5 >NUL 2>&1
    GOTO SENSE_STOPPED_WAIT
)

set "successOutput=Successfully offboarded machine from Microsoft Defender for Endpoint"
echo %successOutput%
echo.
%windir%\System32\eventcreate.exe /l Application /so WDATPOffboarding /t Information /id 20 /d "%successOutput%" >NUL 2>&1
GOTO END

:ERROR
echo %errorDescription%
echo %troubleshootInfo%
echo.
%windir%\System32\eventcreate.exe /l Application /so WDATPOffboarding /t Error /id %errorCode% /d "%errorDescription%" >NUL 2>&1
exit /b %errorCode%

:END
exit /b 0
