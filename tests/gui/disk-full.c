/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A full disk for the GUI tests, loaded with LD_PRELOAD: while the file
 * CONFAB_TEST_DISK_FULL names exists, every write to a file under the
 * folder CONFAB_TEST_DISK_DIR names fails with ENOSPC, as the kernel
 * fails it on a full file system. A test can fill and free the disk in
 * the middle of a session without a mount of its own, which CI cannot
 * make. Writes elsewhere (the X connection, the D-Bus socket) go
 * through. SQLite writes with pwrite64 () and write (); with 64-bit
 * offsets, as meson builds, the headers make pwrite () the same symbol. */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*WriteFunc) (int, const void *, size_t);
typedef ssize_t (*PwriteFunc) (int, const void *, size_t, off_t);

static int
disk_is_full (int fd)
{
  const char *flag = getenv ("CONFAB_TEST_DISK_FULL");
  const char *dir = getenv ("CONFAB_TEST_DISK_DIR");
  char link[64];
  char path[PATH_MAX];
  struct stat st;
  ssize_t n;

  if (flag == NULL || dir == NULL || stat (flag, &st) != 0)
    return 0;

  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, sizeof path - 1);
  if (n < 0)
    return 0;
  path[n] = '\0';

  return strncmp (path, dir, strlen (dir)) == 0;
}

ssize_t
write (int         fd,
       const void *buf,
       size_t      count)
{
  static WriteFunc real;

  if (real == NULL)
    real = (WriteFunc)dlsym (RTLD_NEXT, "write");

  if (disk_is_full (fd))
    {
      errno = ENOSPC;
      return -1;
    }

  return real (fd, buf, count);
}

ssize_t
pwrite64 (int         fd,
          const void *buf,
          size_t      count,
          off_t       offset)
{
  static PwriteFunc real;

  if (real == NULL)
    real = (PwriteFunc)dlsym (RTLD_NEXT, "pwrite64");

  if (disk_is_full (fd))
    {
      errno = ENOSPC;
      return -1;
    }

  return real (fd, buf, count, offset);
}
