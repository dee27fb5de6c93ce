@echo off
REM STAND-IN for the Wine end-to-end test (wine_runner_e2e_test.cc): NOT a
REM real Microsoft Defender for Endpoint onboarding package. It does with
REM reg.exe and sc.exe what the real script and the Sense service do between
REM them: store OnboardingInfo, start Sense, set OnboardingState = 1.
REM Wine 8: findstr is a stub and "a || b" always runs b, so neither is used.
echo Starting Microsoft Defender for Endpoint onboarding process (stand-in)...
reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection" /v OnboardingInfo /t REG_SZ /f /d "{\"body\":\"stand-in\"}" >NUL
if errorlevel 1 exit /b 10
reg add "HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status" /v OnboardingState /t REG_DWORD /d 1 /f >NUL
if errorlevel 1 exit /b 40
sc start Sense >NUL
echo Successfully onboarded machine to Microsoft Defender for Endpoint (stand-in)
exit /b 0
