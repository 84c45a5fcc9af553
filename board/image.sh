#!/usr/bin/env bash
# board/image.sh BOARD [OUT_DIR]: the flashable image of a board that declares one
# (board/BOARD/image/image.conf), from the release binary and Debian's packages
# (downloaded and unpacked, never installed). `make image BOARD=arm64-ref` runs it.
#
# Writes into OUT_DIR (default target/images/BOARD):
#   webcti-BOARD.img      the disk: GPT with rootA, rootB (squashfs) and data (empty)
#   webcti-BOARD.upgrade  the root file system as `webcti upgrade FILE` takes it
#   vmlinuz, initrd.img   what the board's boot loader starts (QEMU: -kernel, -initrd)
#   inputs.txt            every input with its version and SHA-256
#   SHA256SUMS
# The same inputs give the same bytes: every time stamp is SOURCE_DATE_EPOCH (the
# last commit's time unless set), owners are root, UUIDs come from the board's name.
# IMAGE_RELEASE names the release (default: git describe).
set -euo pipefail

BOARD="${1:?usage: board/image.sh BOARD [OUT_DIR]}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONF="$ROOT/board/$BOARD/image/image.conf"
[ -f "$CONF" ] || { echo "image.sh: board/$BOARD declares no image (no image/image.conf)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$CONF"
IMG="$ROOT/board/$BOARD/image"
OUT="${2:-$ROOT/target/images/$BOARD}"
CACHE="$ROOT/target/images/debs"
BIN="$ROOT/target/$IMAGE_TARGET/release/webcti"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}"
RELEASE="${IMAGE_RELEASE:-$(git -C "$ROOT" describe --always --tags)}"
export LC_ALL=C TZ=UTC
umask 022

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

# What the build itself runs on this machine.
need=()
for p in squashfs-tools fdisk cpio gzip "binutils-$IMAGE_GNU" qemu-user-static; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "image.sh: installing ${need[*]}"
  sudo_ apt-get update -qq || echo "image.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$BIN" ] || { echo "image.sh: $BIN is missing: cargo build --release --target $IMAGE_TARGET" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$CACHE"

# --- Debian's packages: the kernel's versioned package, then the rest ----------
dpkg --print-foreign-architectures | grep -qx "$IMAGE_DEB_ARCH" || {
  sudo_ dpkg --add-architecture "$IMAGE_DEB_ARCH"
  sudo_ apt-get update -qq || true
}
kernel_pkg="$(apt-cache depends "$IMAGE_KERNEL:$IMAGE_DEB_ARCH" 2>/dev/null \
  | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)"
if [ -z "$kernel_pkg" ]; then
  sudo_ apt-get update -qq || true
  kernel_pkg="$(apt-cache depends "$IMAGE_KERNEL:$IMAGE_DEB_ARCH" \
    | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)"
fi
[ -n "$kernel_pkg" ] || { echo "image.sh: no package behind $IMAGE_KERNEL:$IMAGE_DEB_ARCH" >&2; exit 1; }
wanted=("$kernel_pkg:$IMAGE_DEB_ARCH")
for p in $IMAGE_DEBS; do wanted+=("$p:$IMAGE_DEB_ARCH"); done
for p in $IMAGE_DEBS_ALL; do wanted+=("$p"); done
# apt-get download writes as the invoking user; _apt's sandbox cannot write here.
download() { (cd "$CACHE" && apt-get download -o APT::Sandbox::User=root -qq "${wanted[@]}"); }
download || { sudo_ apt-get update -qq || true; download; }
: > "$WORK/inputs"
for w in "${wanted[@]}"; do
  name="${w%%:*}"
  version="$(apt-cache policy "$w" | sed -n 's/^ *Candidate: //p')"
  # The file apt wrote: name_version_arch.deb, the epoch's colon escaped.
  deb="$(ls "$CACHE/${name}_${version/:/%3a}_"*.deb | head -1)"
  mkdir -p "$WORK/debs/$name"
  dpkg-deb -x "$deb" "$WORK/debs/$name"
  printf '%s %s %s\n' "$name" "$version" "$(sha256sum "$deb" | cut -d' ' -f1)" >> "$WORK/inputs"
done
printf 'webcti %s %s\n' "$RELEASE" "$(sha256sum "$BIN" | cut -d' ' -f1)" >> "$WORK/inputs"
K="$WORK/debs/$kernel_pkg"
KVER="$(ls "$K/lib/modules")"
BB="$WORK/debs/busybox-static/bin/busybox"
E2="$WORK/debs/e2fsprogs"

version_line="$("$IMAGE_QEMU_USER" "$BIN" version)"      # webcti 0.1.0 (schema 11)
VERSION="$(echo "$version_line" | cut -d' ' -f2)"
SCHEMA="$(echo "$version_line" | sed -n 's/.*(schema \([0-9]*\)).*/\1/p')"
[ -n "$SCHEMA" ] || { echo "image.sh: $BIN version said: $version_line" >&2; exit 1; }

# BusyBox's applets as links in DIR/bin, /sbin pointing there too.
busybox_into() {
  local dir="$1"
  mkdir -p "$dir/bin" "$dir/usr/bin" "$dir/usr/sbin"
  cp "$BB" "$dir/bin/busybox"
  for a in $("$IMAGE_QEMU_USER" "$BB" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
  done
  ln -sf bin "$dir/sbin"
}

# --- the initramfs: BusyBox, the modules, e2fsprogs with its libraries --------
I="$WORK/initramfs"
busybox_into "$I"
mkdir -p "$I/etc" "$I/proc" "$I/sys" "$I/dev" "$I/lib/$IMAGE_GNU"
install -m 0755 "$IMG/init" "$I/init"
# Modules, each after what it depends on (from its .modinfo).
mod_file() { find "$K/lib/modules/$KVER/kernel" \( -name "$1.ko" -o -name "${1//_/-}.ko" \) | head -1; }
declare -A seen=()
: > "$I/etc/modules"
add_module() {
  local name="${1//-/_}" file dep
  [ -n "${seen[$name]:-}" ] && return
  seen[$name]=1
  file="$(mod_file "$1")"
  [ -n "$file" ] || { echo "image.sh: module $1 is not in $kernel_pkg" >&2; exit 1; }
  for dep in $("$IMAGE_GNU-objcopy" -O binary --only-section=.modinfo "$file" /dev/stdout \
      | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "$dep"
  done
  local rel="lib/modules/$(basename "$file")"
  mkdir -p "$I/lib/modules"
  cp "$file" "$I/$rel"
  echo "/$rel" >> "$I/etc/modules"
}
for m in $IMAGE_MODULES; do add_module "$m"; done
# mke2fs and e2fsck are Debian's (BusyBox's mke2fs makes ext2, without a journal), out of
# the way of the shell, which prefers its own applets to anything on PATH.
mkdir -p "$I/e2fs"
install -m 0755 "$E2/sbin/mke2fs" "$I/e2fs/mke2fs"
install -m 0755 "$E2/sbin/e2fsck" "$I/e2fs/e2fsck"
cp "$E2/etc/mke2fs.conf" "$I/etc/mke2fs.conf"
find_lib() { find "$WORK/debs" -name "$1" \( -type f -o -type l \) | head -1; }
needed() { "$IMAGE_GNU-readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
declare -A libs=()
add_lib() {
  [ -n "${libs[$1]:-}" ] && return
  libs[$1]=1
  local f; f="$(find_lib "$1")"
  [ -n "$f" ] || { echo "image.sh: library $1 is in none of the packages" >&2; exit 1; }
  cp -L "$f" "$I/lib/$IMAGE_GNU/$1"
  for n in $(needed "$I/lib/$IMAGE_GNU/$1"); do add_lib "$n"; done
}
for exe in "$I/e2fs/mke2fs" "$I/e2fs/e2fsck"; do
  for n in $(needed "$exe"); do add_lib "$n"; done
done
cp -L "$(find_lib "$IMAGE_LOADER")" "$I/lib/$IMAGE_LOADER"

# --- the root file system, read-only -------------------------------------------
R="$WORK/rootfs"
busybox_into "$R"
mkdir -p "$R"/{etc/init.d,etc/webcti,etc/ssl/certs,dev,proc,sys,tmp,run,mnt/flash,root,var,usr/share}
ln -sf ../run "$R/var/run"
ln -sf ../tmp "$R/var/tmp"
ln -sf ../tmp "$R/var/log"
ln -sf ../bin/busybox "$R/bin/init"
install -m 0755 "$BIN" "$R/usr/sbin/webcti"
install -m 0644 "$IMG/inittab" "$IMG/passwd" "$IMG/group" "$IMG/profile" "$R/etc/"
install -m 0755 "$IMG/rcS" "$IMG/rcK" "$ROOT/board/$BOARD/S90webcti" "$R/etc/init.d/"
install -m 0755 "$IMG/udhcpc.script" "$R/etc/udhcpc.script"
install -m 0644 "$ROOT/board/$BOARD/board.toml" "$R/etc/webcti/board.toml"
sed -n 's/^hostname *= *"\(.*\)"/\1/p' "$ROOT/board/$BOARD/board.toml" | head -1 > "$R/etc/hostname"
ln -sf /tmp/resolv.conf "$R/etc/resolv.conf"
printf 'webcti %s (version %s, schema %s) for %s\n' "$RELEASE" "$VERSION" "$SCHEMA" "$BOARD" > "$R/etc/webcti-release"
# Time zones without the right/ and posix/ copies; the authorities in one file.
cp -a "$WORK/debs/tzdata/usr/share/zoneinfo" "$R/usr/share/zoneinfo"
rm -rf "$R/usr/share/zoneinfo/right" "$R/usr/share/zoneinfo/posix"
find "$WORK/debs/ca-certificates/usr/share/ca-certificates" -name '*.crt' | sort \
  | xargs cat > "$R/etc/ssl/certs/ca-certificates.crt"

# --- fixed times, then the archives --------------------------------------------
find "$I" "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$I" && find . -print0 | sort -z | cpio --null -o -H newc --reproducible -R 0:0 --quiet) \
  | gzip -9n > "$WORK/initrd.img"
mksquashfs "$R" "$WORK/root.sqfs" -noappend -all-root -no-xattrs -comp xz -no-progress -quiet >/dev/null
root_bytes="$(stat -c %s "$WORK/root.sqfs")"
[ "$root_bytes" -le $((IMAGE_ROOT_MIB * 1024 * 1024)) ] \
  || { echo "image.sh: the root file system ($root_bytes bytes) is larger than a slot (${IMAGE_ROOT_MIB} MiB)" >&2; exit 1; }

# --- the disk -------------------------------------------------------------------
uuid() {  # a UUID from a name, the same every time
  local h; h="$(printf '%s' "$1" | sha256sum | cut -c1-32)"
  echo "${h:0:8}-${h:8:4}-4${h:13:3}-8${h:17:3}-${h:20:12}"
}
mib=2048   # sectors of 512 bytes in a MiB
disk="$WORK/disk.img"
truncate -s $(( (1 + 2 * IMAGE_ROOT_MIB + IMAGE_DATA_MIB + 1) * 1024 * 1024 )) "$disk"
linux=0FC63DAF-8483-4772-8E79-3D69D8477DE4
sfdisk -q --no-reread --no-tell-kernel "$disk" <<EOF
label: gpt
label-id: $(uuid "$BOARD-disk")
unit: sectors
first-lba: $mib
start=$mib, size=$((IMAGE_ROOT_MIB * mib)), type=$linux, name=rootA, uuid=$(uuid "$BOARD-rootA")
start=$(((1 + IMAGE_ROOT_MIB) * mib)), size=$((IMAGE_ROOT_MIB * mib)), type=$linux, name=rootB, uuid=$(uuid "$BOARD-rootB")
start=$(((1 + 2 * IMAGE_ROOT_MIB) * mib)), size=$((IMAGE_DATA_MIB * mib)), type=$linux, name=data, uuid=$(uuid "$BOARD-data")
EOF
dd if="$WORK/root.sqfs" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none

# --- the upgrade file: header (system/upgrade.rs, version 1), then the root ----
upgrade="$WORK/webcti-$BOARD.upgrade"
{
  printf 'webcti-upgrade 1\nboard %s\nversion %s\nrelease %s\nschema %s\nroot-bytes %s\nroot-sha256 %s\n\n' \
    "$BOARD" "$VERSION" "$RELEASE" "$SCHEMA" "$root_bytes" "$(sha256sum "$WORK/root.sqfs" | cut -d' ' -f1)"
  cat "$WORK/root.sqfs"
} > "$upgrade"

cp "$K/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
mv "$WORK/initrd.img" "$OUT/initrd.img"
mv "$disk" "$OUT/webcti-$BOARD.img"
mv "$upgrade" "$OUT/webcti-$BOARD.upgrade"
mv "$WORK/inputs" "$OUT/inputs.txt"
(cd "$OUT" && sha256sum vmlinuz initrd.img "webcti-$BOARD.img" "webcti-$BOARD.upgrade" > SHA256SUMS)
printf '%s: %s for %s\n' "$OUT" "$RELEASE" "$BOARD"
printf '  %-24s %10d bytes (root file system %d bytes in each %d MiB slot; data %d MiB)\n' \
  "webcti-$BOARD.img" "$(stat -c %s "$OUT/webcti-$BOARD.img")" "$root_bytes" "$IMAGE_ROOT_MIB" "$IMAGE_DATA_MIB"
printf '  %-24s %10d bytes\n' initrd.img "$(stat -c %s "$OUT/initrd.img")" vmlinuz "$(stat -c %s "$OUT/vmlinuz")"
printf '  sha256 %s\n' "$(sha256sum "$OUT/webcti-$BOARD.img" | cut -d' ' -f1)"
