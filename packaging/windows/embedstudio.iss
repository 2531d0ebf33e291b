; Inno Setup 6 script for EmbedStudio on Windows (x64). Not built on the project's Linux machines: it needs
; Windows, Inno Setup 6 and a Windows PyInstaller bundle. packaging/windows/build_windows.ps1 does all of it:
;   1. a clean venv with `pip install .[package]`, 2. pyinstaller packaging\embedstudio.spec (EMBEDSTUDIO_WINDOWED=1),
;   3. collect_licenses.py into the bundle, 4. ISCC.exe /DAppVersion=X.Y.Z /DBundleDir=... this script.
; The result is packaging\dist\EmbedStudio-<version>-windows-x64-setup.exe: a per-user install by default
; (no administrator rights needed), with a Start-menu entry, an optional desktop icon and an uninstaller.
; The bundle holds two programs: EmbedStudio.exe (the desktop app, no console window) and embedstudio-cli.exe
; (the same `embedstudio` command with a console, for train/evaluate/predict in a terminal).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\build\windows\embedstudio"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif

[Setup]
AppId={{6A1E5F3C-5B1D-4C8B-9E3A-2F7D0C4B8E51}
AppName=EmbedStudio
AppVersion={#AppVersion}
AppVerName=EmbedStudio {#AppVersion}
AppPublisher=EmbedStudio contributors
DefaultDirName={autopf}\EmbedStudio
DefaultGroupName=EmbedStudio
DisableProgramGroupPage=yes
; Per-user by default so analysts without admin rights can install; an admin may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=EmbedStudio-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\embedstudio.ico
UninstallDisplayIcon={app}\EmbedStudio.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\EmbedStudio"; Filename: "{app}\EmbedStudio.exe"; Comment: "Text classifiers on pre-trained word vectors"
Name: "{group}\Third-party notices"; Filename: "{app}\THIRD-PARTY-NOTICES.txt"
Name: "{group}\{cm:UninstallProgram,EmbedStudio}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\EmbedStudio"; Filename: "{app}\EmbedStudio.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\EmbedStudio.exe"; Description: "{cm:LaunchProgram,EmbedStudio}"; Flags: nowait postinstall skipifsilent
