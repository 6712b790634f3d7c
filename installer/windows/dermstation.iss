; Inno Setup script for the DermStation Windows installer (never run on this project's Linux machines;
; built by .github/workflows/windows.yml on a Windows runner).
;   iscc /DAppVersion=0.1.0 /DBundleDir=..\..\dist\dermstation installer\windows\dermstation.iss
; Per-machine install under Program Files, Start-menu entry, silent deployment:
;   dermstation-setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/DIR="D:\Apps\DermStation"]
; Clinic data is never in the program folder: each user's data lives in %LOCALAPPDATA%\DermStation
; (platformdirs), a shared clinic database on the clinic's PostgreSQL server; uninstalling keeps both.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\dermstation"
#endif

[Setup]
AppId={{6C1D7E4A-3F0B-4E8B-9C55-0D3A2E7B9F41}
AppName=DermStation
AppVersion={#AppVersion}
AppPublisher=DermStation developers
DefaultDirName={autopf}\DermStation
DefaultGroupName=DermStation
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=dermstation-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\dermstation.exe
LicenseFile=..\..\LICENSE
CloseApplications=yes
; an upgrade replaces the program files; the database is upgraded by the program on its next start,
; after it has made a backup (as on Linux)

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\DermStation"; Filename: "{app}\dermstation.exe"; Comment: "Dermoscopy decision support"
Name: "{group}\DermStation doctor"; Filename: "{cmd}"; Parameters: "/k ""{app}\dermstation.exe"" doctor"
Name: "{group}\Uninstall DermStation"; Filename: "{uninstallexe}"

[Registry]
; let deployment tools and support find the installed version
Root: HKLM; Subkey: "Software\DermStation"; ValueType: string; ValueName: "Version"; ValueData: "{#AppVersion}"; Flags: uninsdeletekey
Root: HKLM; Subkey: "Software\DermStation"; ValueType: string; ValueName: "InstallDir"; ValueData: "{app}"
