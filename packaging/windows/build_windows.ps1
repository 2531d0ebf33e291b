# Builds EmbedStudio's Windows installer. Run on Windows 10/11 x64 in PowerShell from the repository root:
#     powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1
# Needs: Python 3.11+ (py launcher or python on PATH) and Inno Setup 6 (ISCC.exe). Not run on the project's
# Linux build machines, so it is untested there; see packaging/README.md.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$Root = Get-Location
$Build = Join-Path $Root "packaging\build\windows"
$Dist = Join-Path $Root "packaging\dist"
$Venv = Join-Path $Build "venv"
New-Item -ItemType Directory -Force -Path $Build, $Dist | Out-Null
$Start = Get-Date

if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
py -3.11 -m venv $Venv
$Py = Join-Path $Venv "Scripts\python.exe"
& $Py -m pip install -q --upgrade pip
& $Py -m pip install -q ".[package]"
& $Py -m pip check
$Version = & $Py -c "import embedstudio; print(embedstudio.__version__)"

$env:EMBEDSTUDIO_WINDOWED = "1"
$env:EMBEDSTUDIO_TRIM_REPORT = Join-Path $Build "trim-report.json"
& (Join-Path $Venv "Scripts\pyinstaller.exe") --noconfirm --log-level WARN `
    --distpath (Join-Path $Build "pyi-dist") --workpath (Join-Path $Build "pyi-work") packaging\embedstudio.spec
$Bundle = Join-Path $Build "embedstudio"
if (Test-Path $Bundle) { Remove-Item -Recurse -Force $Bundle }
Move-Item (Join-Path $Build "pyi-dist\embedstudio") $Bundle
& $Py packaging\collect_licenses.py $Bundle

$Iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc "/DAppVersion=$Version" "/DBundleDir=$Bundle" "/DOutputDir=$Dist" packaging\windows\embedstudio.iss

$Setup = Join-Path $Dist "EmbedStudio-$Version-windows-x64-setup.exe"
$Seconds = [int]((Get-Date) - $Start).TotalSeconds
$BundleMB = [int]((Get-ChildItem -Recurse $Bundle | Measure-Object -Sum Length).Sum / 1MB)
$SetupMB = [int]((Get-Item $Setup).Length / 1MB)
Write-Host "EmbedStudio $Version for Windows built in $Seconds s: bundle $BundleMB MB, installer $Setup ($SetupMB MB)"
# Smoke test of the frozen app, as on Linux (the console variant, so the exit code and output come back):
& (Join-Path $Bundle "embedstudio-cli.exe") --self-test
if ($LASTEXITCODE -ne 0) { throw "the frozen app's --self-test failed" }
