@echo off
REM STAND-IN for the Wine end-to-end test (wine_runner_e2e_test.cc): NOT a
REM real offboarding package. It stores the offboarding blob as the real
REM script does, then does with reg.exe and sc.exe what the Sense service
REM does on reading it: set OnboardingState = 0 and stop.
echo Starting Microsoft Defender for Endpoint offboarding process (stand-in)...
reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A /t REG_SZ /f /d "{\"body\":\"stand-in\"}" >NUL
if errorlevel 1 exit /b 10
reg add "HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status" /v OnboardingState /t REG_DWORD /d 0 /f >NUL
if errorlevel 1 exit /b 40
sc stop Sense >NUL
echo Successfully offboarded machine from Microsoft Defender for Endpoint (stand-in)
exit /b 0
