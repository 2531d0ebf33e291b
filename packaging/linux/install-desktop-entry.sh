#!/bin/sh
# Adds EmbedStudio from this unpacked folder to your desktop's application menu (for you only; no root needed).
# Run it again after moving the folder. To remove the entry: ./install-desktop-entry.sh --remove
set -e
here=$(dirname "$(readlink -f "$0")")
data=${XDG_DATA_HOME:-$HOME/.local/share}
desktop=$data/applications/embedstudio.desktop
if [ "${1:-}" = "--remove" ]; then
  rm -f "$desktop"
  for size in 16 24 32 48 64 128 256 512; do rm -f "$data/icons/hicolor/${size}x${size}/apps/embedstudio.png"; done
  rm -f "$data/icons/hicolor/scalable/apps/embedstudio.svg"
  echo "EmbedStudio's menu entry removed."
  exit 0
fi
icons=$here/_internal/resources/icons
for size in 16 24 32 48 64 128 256 512; do
  mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
  cp "$icons/embedstudio-$size.png" "$data/icons/hicolor/${size}x${size}/apps/embedstudio.png"
done
mkdir -p "$data/icons/hicolor/scalable/apps" "$data/applications"
cp "$icons/embedstudio.svg" "$data/icons/hicolor/scalable/apps/embedstudio.svg"
# The menu entry runs this folder's launcher by absolute path: the folder need not be on the PATH.
sed -e "s|^Exec=embedstudio |Exec=\"$here/embedstudio\" |" -e "s|^TryExec=.*|TryExec=$here/embedstudio|" \
  "$here/_internal/resources/embedstudio.desktop" > "$desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
echo "EmbedStudio added to the application menu ($desktop)."
