/* libFuzzer target: the reader of review sheets (cw_csv_record) on any
 * bytes, with both separators, record after record to the end. */
#include "publish/cw_csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char buf[4096], *fl[CW_CSV_MAXF];
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int s = 0; s < 2; s++) {
        const char *p = text;
        int nf, got;
        size_t guard = 0;
        while ((got = cw_csv_record(&p, s ? ';' : ',', buf, sizeof buf, fl, &nf)) > 0 && guard++ < size + 2)
            for (int i = 0; i < nf; i++)
                if (fl[i] < buf || fl[i] >= buf + sizeof buf || strlen(fl[i]) >= sizeof buf)
                    abort(); /* a field outside the buffer */
        if (guard > size + 1)
            abort(); /* no progress: a record that does not consume its text */
    }
    free(text);
    return 0;
}
