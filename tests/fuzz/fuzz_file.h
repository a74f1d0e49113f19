/* The fuzz targets' input as a file, for readers that take a path: the
 * bytes written to /tmp/cw-fuzz-NAME-PID.EXT (path, n bytes), 0; -1 when it
 * cannot be written.  The target unlinks it. */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static int fuzz_file(char *path, size_t n, const char *name, const char *ext, const uint8_t *data, size_t size)
{
    snprintf(path, n, "/tmp/cw-fuzz-%s-%d.%s", name, (int)getpid(), ext);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(data, 1, size, f);
    fclose(f);
    return 0;
}

#endif
