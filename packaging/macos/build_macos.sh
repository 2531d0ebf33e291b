#!/usr/bin/env bash
# Builds EmbedStudio.app and EmbedStudio-VERSION-macos-ARCH.dmg on macOS 12 or newer (arm64 or x86_64).
# Not runnable on the project's Linux build machines (it needs macOS's iconutil, hdiutil and codesign), so it
# is written and documented but untested there; see packaging/README.md.
#
#     packaging/macos/build_macos.sh            # PYTHON=python3.11 to choose the interpreter
#
# Steps: a clean venv with `pip install .[package]` (pyproject pins the full `tensorflow` wheel on macOS, as
# tensorflow-cpu has no macOS build); an .icns from the project's icon; PyInstaller's windowed .app from
# packaging/embedstudio.spec (Info.plist keys are in the spec's BUNDLE: bundle id, version, LSEnvironment with a
# UTF-8 locale, high-DPI); licence notices into Contents/Resources; an ad-hoc signature; the .dmg with
# create-dmg when it is installed (brew install create-dmg) or plain hdiutil; and the frozen app's --self-test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=$ROOT/packaging/build/macos
DIST=$ROOT/packaging/dist
PY=${PYTHON:-python3.11}
[ "$(uname -s)" = Darwin ] || { echo "build_macos: this recipe runs on macOS only" >&2; exit 1; }
START=$(date +%s)
mkdir -p "$BUILD" "$DIST"

rm -rf "$BUILD/venv"
"$PY" -m venv "$BUILD/venv"
"$BUILD/venv/bin/python" -m pip install -q --upgrade pip
"$BUILD/venv/bin/python" -m pip install -q ".[package]"
"$BUILD/venv/bin/python" -m pip check
VERSION=$("$BUILD/venv/bin/python" -c 'import embedstudio; print(embedstudio.__version__)')
ARCH=$(uname -m)

# The .icns: iconutil wants an .iconset folder with these names; 1024 px is rendered for 512@2x.
ICONSET=$BUILD/embedstudio.iconset
rm -rf "$ICONSET"; mkdir -p "$ICONSET"
QT_QPA_PLATFORM=offscreen "$BUILD/venv/bin/python" packaging/render_icons.py --out "$BUILD/icons" --sizes 1024 >/dev/null
icons=resources/icons
cp "$icons/embedstudio-16.png"  "$ICONSET/icon_16x16.png"
cp "$icons/embedstudio-32.png"  "$ICONSET/icon_16x16@2x.png"
cp "$icons/embedstudio-32.png"  "$ICONSET/icon_32x32.png"
cp "$icons/embedstudio-64.png"  "$ICONSET/icon_32x32@2x.png"
cp "$icons/embedstudio-128.png" "$ICONSET/icon_128x128.png"
cp "$icons/embedstudio-256.png" "$ICONSET/icon_128x128@2x.png"
cp "$icons/embedstudio-256.png" "$ICONSET/icon_256x256.png"
cp "$icons/embedstudio-512.png" "$ICONSET/icon_256x256@2x.png"
cp "$icons/embedstudio-512.png" "$ICONSET/icon_512x512.png"
cp "$BUILD/icons/embedstudio-1024.png" "$ICONSET/icon_512x512@2x.png"
iconutil -c icns "$ICONSET" -o "$BUILD/embedstudio.icns"

rm -rf "$BUILD/pyi-dist"
EMBEDSTUDIO_WINDOWED=1 EMBEDSTUDIO_ICNS="$BUILD/embedstudio.icns" EMBEDSTUDIO_TRIM_REPORT="$BUILD/trim-report.json" \
  "$BUILD/venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$BUILD/pyi-dist" --workpath "$BUILD/pyi-work" \
  packaging/embedstudio.spec
APP=$BUILD/pyi-dist/EmbedStudio.app
"$BUILD/venv/bin/python" packaging/collect_licenses.py "$APP/Contents/Resources"
# Adding files after PyInstaller invalidates its signature; re-sign ad hoc (a release signs with a Developer ID
# and notarizes instead: codesign --options runtime --sign "Developer ID Application: ..." then xcrun notarytool).
codesign --force --deep --sign - "$APP"

# The frozen app must pass its own self-test before it is packed.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/EmbedStudio" --self-test

DMG=$DIST/EmbedStudio-$VERSION-macos-$ARCH.dmg
rm -f "$DMG"
if command -v create-dmg >/dev/null; then
  create-dmg --volname "EmbedStudio $VERSION" --volicon "$BUILD/embedstudio.icns" --window-size 540 380 \
    --icon-size 112 --icon "EmbedStudio.app" 140 170 --app-drop-link 400 170 --hide-extension "EmbedStudio.app" \
    "$DMG" "$APP"
else
  STAGE=$BUILD/dmg-stage
  rm -rf "$STAGE"; mkdir -p "$STAGE"
  cp -R "$APP" "$STAGE/"
  ln -s /Applications "$STAGE/Applications"  # drag-to-install
  hdiutil create -volname "EmbedStudio $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
fi

echo "EmbedStudio $VERSION for macOS built in $(( $(date +%s) - START )) s"
echo "  app  $APP  $(du -sh "$APP" | cut -f1)"
echo "  dmg  $DMG  $(du -sh "$DMG" | cut -f1)"
