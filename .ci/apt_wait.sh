# Sourced by .ci/setup: wait, saying so, while another apt or dpkg holds its locks (an
# unattended upgrade, a second setup), instead of failing at once on "Could not get lock".
#   wait_for_apt [LOCK_FILE...]   default: dpkg's and apt's lock files

APT_LOCK_FILES=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock
  /var/cache/apt/archives/lock)
APT_WAIT_LIMIT_S=${APT_WAIT_LIMIT_S:-1800}

# The pid holding a lock on one of the files (from /proc/locks: no fuser or lsof needed).
apt_lock_holder() {
  local file inode
  for file in "$@"; do
    [[ -e "$file" ]] || continue
    inode=$(stat -c %i "$file")
    # "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; a waiter's line has "->" first.
    awk -v ino="$inode" '$2 != "->" && $6 ~ (":" ino "$") { print $5; found = 1; exit }
      END { exit !found }' /proc/locks && return 0
  done
  return 1
}

wait_for_apt() {
  local files=("$@") pid waited=0
  ((${#files[@]})) || files=("${APT_LOCK_FILES[@]}")
  while pid=$(apt_lock_holder "${files[@]}"); do
    if ((waited == 0)); then
      echo "setup: apt is busy (process $pid, $(cat "/proc/$pid/comm" 2>/dev/null || echo "another apt or dpkg")); waiting for it to finish..." >&2
    elif ((waited % 30 == 0)); then
      echo "setup: still waiting for apt (process $pid), ${waited} s so far" >&2
    fi
    if ((waited >= APT_WAIT_LIMIT_S)); then
      echo "setup: apt is still busy after ${waited} s; run this again when it is done" >&2
      return 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
  ((waited == 0)) || echo "setup: apt is free; going on" >&2
}
