#!/bin/sh
# EmbedStudio launcher: the `embedstudio` command at the top of the bundle (and /usr/bin/embedstudio in the .deb).
# Python, Qt and the C library all read the locale. Started from an unset or C/POSIX locale (env -i, cron,
# a minimal container), file names and text would not be UTF-8; use C.UTF-8 then, and keep a UTF-8 locale
# the user already has.
here=$(dirname "$(readlink -f "$0")")
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
  *.UTF-8|*.utf8|*.UTF8|*.utf-8) ;;
  *) LC_ALL=C.UTF-8; LANG=C.UTF-8; export LC_ALL LANG ;;
esac
PYTHONUTF8=1
export PYTHONUTF8
exec "$here/embedstudio-bin" "$@"
