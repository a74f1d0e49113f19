/*
 * ck_reflect.h - digital numbers to surface reflectance.
 *
 *   rho = (DN + add) / quantum        (Sentinel-2 L2A: quantum 10000,
 *                                      add -1000 from baseline 04.00, else 0)
 *
 * DN == 0 is no data: the output is CK_NODATA and CK_M_NODATA is set in the
 * mask.  The same (add, quantum) pair reproduces GDAL scale/offset metadata
 * (scale = 1/quantum, offset = add/quantum), so every layout of one scene
 * yields the same float bits.
 */
#ifndef CK_REFLECT_H
#define CK_REFLECT_H

#include "ck_common.h"

typedef struct {
    float add;     /* added to DN before scaling, e.g. -1000 */
    float quantum; /* DN per unit reflectance, e.g. 10000 */
} ck_dn_conv;

/* mask is OR-ed (not overwritten) so several bands can share one mask;
 * NULL when the caller has marked no data already (ck_dn_mark_nodata). */
void ck_dn_to_reflectance(const uint16_t *dn, size_t n, ck_dn_conv conv,
                          float *out, uint8_t *mask);

/* Reflectance x 10000 as int16 straight from DN (0 where DN is 0, and
 * saturating): DN + add when quantum is 10000, as Sentinel-2's always is,
 * rounded from (DN + add) x 10000 / quantum otherwise.  The temporal tests'
 * bands, without a float round trip. */
void ck_dn_to_q16(const uint16_t *dn, size_t n, ck_dn_conv conv, int16_t *out);

/* out[i] = nat[(x + i) / f], i < n: pixels x .. x + n - 1 of a row of the
 * 10 m grid from the row of a band f times coarser (nearest neighbour). */
void ck_dn_expand(const uint16_t *nat, size_t x, size_t n, int f, uint16_t *out);

/* mask |= CK_M_NODATA where dn == 0: the no-data part of
 * ck_dn_to_reflectance, for callers that convert later in small chunks. */
void ck_dn_mark_nodata(const uint16_t *dn, size_t n, uint8_t *mask);

#endif
