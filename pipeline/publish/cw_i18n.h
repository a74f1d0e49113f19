/*
 * cw_i18n.h - every word a person reads on a map or in report.html, in
 * Spanish and English, from one table (cw_i18n.c).  A message is looked up
 * by id with the language of the run ([job] language).  Some messages are
 * printf formats; their arguments are noted beside them.
 */
#ifndef CW_I18N_H
#define CW_I18N_H

#include <stddef.h>

typedef enum { CW_LANG_ES = 0, CW_LANG_EN = 1 } cw_lang;

#define CW_MESSAGES(X)                                                                                          \
    X(M_TILE, "Tesela %s", "Tile %s")                                                         /* tile */         \
    X(M_NIGHT, "Noche del %s", "Night of %s")                                                 /* date */         \
    X(M_PERIOD, "Período del %s al %s", "Period %s to %s")                                    /* dates */        \
    X(M_CHART_TITLE, "Hectáreas confirmadas por mes de primera detección", "Confirmed hectares by month of first detection") \
    X(M_IMAGERY, "Imagen: última observación despejada, %s a %s",                                                \
      "Imagery: latest clear observation, %s to %s") /* dates */                                                 \
    X(M_TRUECOLOR, "Color verdadero (B04, B03, B02)", "True colour (B04, B03, B02)")                             \
    X(M_SWIR, "Falso color SWIR (B12, B08, B04)", "SWIR false colour (B12, B08, B04)")                           \
    X(M_SWIR_SHORT, "SWIR", "SWIR")                                                                              \
    X(M_LEGEND, "Leyenda", "Legend")                                                                             \
    X(M_LOSS_LOW, "Pérdida de bosque, confianza baja", "Forest loss, low confidence")                            \
    X(M_LOSS_HIGH, "Pérdida de bosque, confianza alta", "Forest loss, high confidence")                          \
    X(M_LOSS_HIGHEST, "Pérdida de bosque, confianza máxima", "Forest loss, highest confidence")                  \
    X(M_MINING, "Cicatriz de minería", "Mining scar")                                                            \
    X(M_POND, "Poza de minería (agua)", "Mining pond (water)")                                                   \
    X(M_CONSERVED, "Área de conservación", "Conserved area")                                                     \
    X(M_CHAKRA, "Chakra registrada", "Registered chakra")                                                        \
    X(M_NOT_SEEN, "Sin observación despejada", "No clear observation")                                          \
    X(M_NOT_SEEN2, "(nubes, sombras o sin datos)", "(cloud, shadow or no data)")                                 \
    X(M_RINGS, "Anillos de 500 m, 1 km y 2 km", "Rings at 500 m, 1 km and 2 km")                                 \
    X(M_ATTRIB, "Contiene datos modificados de Copernicus Sentinel %s",                                          \
      "Contains modified Copernicus Sentinel data %s") /* year(s) */                                             \
    X(M_GRID_NORTH, "Norte de cuadrícula (UTM)", "Grid north (UTM)")                                            \
    X(M_BEFORE, "Antes", "Before")                                                                               \
    X(M_AFTER, "Después", "After")                                                                               \
    X(M_NO_OBS, "sin observación despejada", "no clear observation")                                            \
    X(M_ALERTS_N, "%d alertas activas en la tesela", "%d active alerts on the tile") /* count */                 \
    X(M_ALERTS_N1, "%d alerta activa en la tesela", "%d active alert on the tile")                               \
    X(M_AOI_MAP, "%s: alertas dentro y alrededor (2 km)", "%s: alerts inside and around (2 km)") /* name */     \
    X(M_CLASS_LOSS, "Pérdida de bosque", "Forest loss")                                                          \
    X(M_CLASS_MINING, "Minería", "Mining scar")                                                                  \
    X(M_CONF_LOW, "baja", "low")                                                                                 \
    X(M_CONF_HIGH, "alta", "high")                                                                               \
    X(M_CONF_HIGHEST, "máxima", "highest")                                                                       \
    X(M_ST_CANDIDATE, "candidata (por confirmar)", "candidate (not yet confirmed)")                              \
    X(M_ST_CONFIRMED, "confirmada", "confirmed")                                                                 \
    X(M_ST_REJECTED, "descartada", "rejected")                                                                   \
    X(M_ST_REVERTED, "revertida: volvió a lo esperado para la estación", "reverted: back to its seasonal expectation") \
    X(M_EXPLAIN_LOW,                                                                                             \
      "Confianza baja: una sola observación anómala hasta ahora; puede ser una nube o sombra no detectada. "    \
      "Conviene esperar la próxima imagen o verificar en campo antes de actuar.",                              \
      "Low confidence: one anomalous observation so far; it may be an undetected cloud or shadow. Wait for "   \
      "the next image or check on the ground before acting.")                                                   \
    X(M_EXPLAIN_HIGH,                                                                                            \
      "Confianza alta: %d observaciones despejadas muestran la pérdida de vegetación.",                        \
      "High confidence: %d clear observations show the loss of vegetation.") /* count */                       \
    X(M_EXPLAIN_HIGHEST,                                                                                         \
      "Confianza máxima: %d observaciones despejadas muestran la pérdida, y un segundo índice (NBR, suelo "    \
      "expuesto) la confirma.",                                                                                \
      "Highest confidence: %d clear observations show the loss, and a second index (NBR, exposed soil) "      \
      "agrees.") /* count */                                                                                    \
    X(M_REL_INSIDE, "dentro", "inside")                                                                          \
    X(M_REL_0_500, "a menos de 500 m", "within 500 m")                                                           \
    X(M_REL_500_1000, "a 500 m – 1 km", "500 m – 1 km away")                                                     \
    X(M_REL_1000_2000, "a 1 – 2 km", "1 – 2 km away")                                                            \
    X(M_REL_OUTSIDE, "fuera de toda área registrada", "outside every registered area")                          \
    X(M_REPORT_TITLE, "Alertas de pérdida de bosque y minería", "Forest-loss and mining alerts")                \
    X(M_SUMMARY, "Resumen", "Summary")                                                                           \
    X(M_SUM_ALERTS, "%d alertas nuevas o cambiadas esta noche", "%d new or changed alerts tonight")             \
    X(M_SUM_ALERTS1, "%d alerta nueva o cambiada esta noche", "%d new or changed alert tonight")                 \
    X(M_SUM_ALERTS_P, "%d alertas nuevas o cambiadas en el período", "%d new or changed alerts in the period")   \
    X(M_SUM_ALERTS_P1, "%d alerta nueva o cambiada en el período", "%d new or changed alert in the period")      \
    X(M_SUM_TWICE, "%d de ellas son eventos ya listados, vistos también en una tesela vecina: contados una vez " \
      "en las cifras de arriba", "%d of them are events already listed, seen on an overlapping tile too: counted " \
      "once in the figures above") /* count */                                                                  \
    X(M_SUM_TWICE1, "%d de ellas es un evento ya listado, visto también en una tesela vecina: contado una vez " \
      "en las cifras de arriba", "%d of them is an event already listed, seen on an overlapping tile too: "     \
      "counted once in the figures above")                                                                      \
    X(M_SUM_NONE, "Ninguna alerta nueva o cambiada esta noche.", "No new or changed alert tonight.")            \
    X(M_SUM_SCENES, "%d escenas procesadas", "%d scenes processed")                                              \
    X(M_SUM_SCENES1, "%d escena procesada", "%d scene processed")                                                \
    X(M_SUM_TILES, " en %d teselas", " on %d tiles")                                                             \
    X(M_SUM_TILES1, " en %d tesela", " on %d tile")                                                              \
    X(M_SUM_FAILED, "%d problemas: ver «Qué falló»", "%d problems: see “What failed”")                          \
    X(M_SUM_FAILED1, "%d problema: ver «Qué falló»", "%d problem: see “What failed”")                           \
    X(M_SEC_ALERTS, "Alertas por área", "Alerts by area")                                                        \
    X(M_SEC_CONSERVED, "Áreas de conservación", "Conserved areas")                                              \
    X(M_SEC_CHAKRAS, "Chakras", "Chakras")                                                                       \
    X(M_SEC_OUTSIDE, "Fuera de áreas registradas", "Outside registered areas")                                  \
    X(M_SEC_OVERVIEW, "Mapas de tesela", "Tile maps")                                                            \
    X(M_SEC_EVIDENCE, "Evidencia de observación por área", "Evidence of observation per area")                 \
    X(M_SEC_EVIDENCE_NOTE,                                                                                       \
      "Una ausencia de alertas solo vale si el área fue vista: cuántas veces estuvo despejada, el mayor "       \
      "intervalo sin verla y qué parte nunca se vio.",                                                          \
      "No alert means something only if the area was seen: how often it was clear, the longest time unseen " \
      "and the share never seen.")                                                                              \
    X(M_SEC_PROCESSED, "Qué se procesó", "What was processed")                                                   \
    X(M_SEC_REVIEWS, "Revisiones del comité", "The committee's reviews")                                          \
    X(M_SEC_ACTIVE, "Todas las alertas activas", "Every active alert")                                             \
    X(M_FAIL_AOI, "Área de interés omitida (geometría o archivo con problemas)", "Area of interest skipped (its geometry or file)") \
    X(M_FAIL_NOSCL, "Escena sin capa SCL: nubes por la prueba de respaldo, sin sombras", "Scene without SCL: clouds by the fallback test, no shadows") \
    X(M_FAIL_SCENE, "Escena no procesada", "Scene not processed")                                              \
    X(M_FAIL_MAP, "Mapa no dibujado", "Map not drawn")                                                          \
    X(M_FAIL_TILE, "Tesela no procesada esta noche (se reintenta)", "Tile not processed tonight (retried)")    \
    X(M_FAIL_OTHER, "Problema", "Problem")                                                                      \
    X(M_RV_PRECISION, "%s: %d verificadas y %d falsas de %d revisadas; precisión medida %.0f %%",                  \
      "%s: %d verified and %d false of %d reviewed; measured precision %.0f %%") /* class, counts */            \
    X(M_RV_NONE, "Ninguna alerta revisada todavía. Registre lo visto en campo con chakrawatch review.",           \
      "No alert reviewed yet. Record what was seen in the field with chakrawatch review.")                      \
    X(M_RV_HEAD, "Alerta|Clase|Revisión|Fecha|Por|Nota", "Alert|Class|Review|Date|By|Note")                      \
    X(M_RV_VERIFIED, "verificada en campo", "verified in the field")                                              \
    X(M_RV_FALSE, "falso positivo (no se vuelve a publicar)", "false positive (not published again)")             \
    X(M_RV_UNSURE, "dudosa", "unsure")                                                                            \
    X(M_SEC_FAILED, "Qué falló", "What failed")                                                                  \
    X(M_NOTHING_FAILED, "Nada falló.", "Nothing failed.")                                                        \
    X(M_COL_ALERT, "Alerta", "Alert")                                                                            \
    X(M_COL_CLASS, "Tipo", "Class")                                                                              \
    X(M_COL_CONF, "Confianza", "Confidence")                                                                     \
    X(M_COL_STATUS, "Estado", "Status")                                                                          \
    X(M_COL_AREA, "Superficie", "Area")                                                                          \
    X(M_COL_FIRST, "Primera detección", "First detected")                                                       \
    X(M_COL_CONFIRMED, "Confirmada el", "Confirmed on")                                                          \
    X(M_COL_LAST, "Última observación", "Last observed")                                                         \
    X(M_COL_REASON, "Motivo", "Reason")                                                                          \
    X(M_COL_SAME_EVENT, "Mismo evento, visto en la tesela vecina", "Same event, seen on the overlapping tile")       \
    X(M_COL_WHERE, "Ubicación", "Location")                                                                      \
    X(M_COL_RELATION, "Relación con el área", "Relation to the area")                                           \
    X(M_COL_OPEN_MAP, "abrir en el mapa", "open on the map")                                                     \
    X(M_COL_AOI, "Área", "Area")                                                                                 \
    X(M_COL_KIND, "Tipo", "Kind")                                                                                \
    X(M_COL_AOI_HA, "Superficie (ha)", "Area (ha)")                                                              \
    X(M_COL_CLEAR_OBS, "Observaciones despejadas", "Clear observations")                                        \
    X(M_COL_LAST_CLEAR, "Última despejada", "Last clear")                                                        \
    X(M_COL_GAP, "Mayor intervalo (días)", "Longest gap (days)")                                                 \
    X(M_COL_NEVER, "Nunca vista", "Never seen")                                                                  \
    X(M_COL_LOSS_HA, "Pérdida confirmada (ha, dentro)", "Confirmed loss (ha, inside)")                           \
    X(M_COL_SCENE, "Escena", "Scene")                                                                            \
    X(M_COL_DATE, "Fecha", "Date")                                                                               \
    X(M_COL_RESULT, "Resultado", "Result")                                                                       \
    X(M_COL_CLEAR, "Despejado", "Clear")                                                                         \
    X(M_COL_CLOUD, "Nubes y sombras", "Cloud and shadow")                                                        \
    X(M_COL_TEMPORAL, "Bruma / borde de sombra / vecinos (pruebas temporales)",                                  \
      "Haze / shadow fringe / next to them (temporal tests)")                                                    \
    X(M_RES_PROCESSED, "procesada", "processed")                                                                 \
    X(M_RES_OUT_OF_ORDER, "no procesada: llegó después de una escena más reciente",                              \
      "not processed: arrived after a newer scene")                                                              \
    X(M_RES_BEFORE_REF, "no procesada: anterior al período de referencia",                                       \
      "not processed: before the reference period")                                                              \
    X(M_RES_DUPLICATE, "no procesada: segundo producto de la misma tesela y fecha (se usó el otro)",             \
      "not processed: a second product of the same tile and date (the other was used)")                         \
    X(M_KIND_CONSERVED, "conservación", "conserved")                                                             \
    X(M_KIND_CHAKRA, "chakra", "chakra")                                                                         \
    X(M_KIND_NONE, "ninguna", "none")                                                                            \
    X(M_STS_CANDIDATE, "candidata", "candidate")                                                                 \
    X(M_STS_CONFIRMED, "confirmada", "confirmed")                                                                \
    X(M_STS_REJECTED, "descartada", "rejected")                                                                  \
    X(M_STS_REVERTED, "revertida", "reverted")                                                                   \
    X(M_EVIDENCE_CHIPS, "Antes y después: color verdadero (arriba) y falso color SWIR (abajo)",                  \
      "Before and after: true colour (top) and SWIR false colour (bottom)")                                     \
    X(M_GENERATED, "Generado por chakrawatch %s, corrida %s", "Generated by chakrawatch %s, run %s")            \
    X(M_HOW_TO_READ,                                                                                             \
      "Cómo leer: cada alerta es un área donde la vegetación cayó respecto de su línea base (período de "     \
      "referencia %s a %s). Las candidatas esperan confirmación de las próximas imágenes despejadas.",         \
      "How to read: each alert is an area where vegetation dropped against its baseline (reference period "   \
      "%s to %s). Candidates wait for confirmation by the next clear images.") /* dates */                     \
    X(M_VD_TITLE, "Hoja de evidencia: %s", "Evidence sheet: %s") /* plot */                                    \
    X(M_VD_PERIOD, "Período verificado: %s a %s", "Period verified: %s to %s") /* dates */                      \
    X(M_VD_NO_LOSS, "Sin pérdida observada", "No loss observed")                                                \
    X(M_VD_LOSS, "Pérdida después del corte", "Loss after the cut-off")                                          \
    X(M_VD_INSUFFICIENT, "Observación insuficiente", "Insufficient observation")                                 \
    X(M_VD_NO_LOSS_WORDS,                                                                                        \
      "No se observó pérdida de bosque en esta parcela entre %s y %s. Lo respaldan %d observaciones "            \
      "despejadas; el intervalo más largo sin observación fue de %d días y %.0f %% de la parcela nunca se "      \
      "vio despejada.",                                                                                          \
      "No forest loss was observed on this plot between %s and %s. %d clear observations back this; the "      \
      "longest gap without one was %d days and %.0f %% of the plot was never seen clear.")                     \
    X(M_VD_LOSS_WORDS, "Se confirmó pérdida de %.2f ha (%s) detectada por primera vez entre %s y %s; alertas %s.", \
      "Loss of %.2f ha (%s) was confirmed, first detected between %s and %s; alerts %s.")                      \
    X(M_VD_INSUFF_WORDS, "No se puede afirmar que no hubo pérdida: %s.", "It cannot be said that there was no loss: %s.") \
    X(M_VD_FOREST_K, "Bosque al inicio (línea base)", "Forest at the start (baseline)")                         \
    X(M_VD_FOREST, "%.0f %% de la parcela", "%.0f %% of the plot")                                               \
    X(M_VD_LOSS_WORDS1, "Se confirmó pérdida de %.2f ha (%s) detectada por primera vez el %s; alertas %s.",        \
      "Loss of %.2f ha (%s) was confirmed, first detected on %s; alerts %s.")                                   \
    X(M_VD_NOT_FOREST, "La parcela no era bosque al inicio (%.0f %% de dosel en la línea base): no puede perder bosque que no tenía.", \
      "The plot was not forest at the start (%.0f %% canopy in the baseline): it cannot lose forest it did not have.") \
    X(M_VD_TIMELINE, "Observaciones: una marca por escena", "Observations: one tick per scene")                  \
    X(M_VD_CLEAR, "despejada", "clear")                                                                          \
    X(M_VD_CLOUDY, "nubes, sombra o bruma", "cloud, shadow or haze")                                             \
    X(M_VD_UNCOVERED, "fuera de la escena", "not covered")                                                       \
    X(M_VD_FACTS, "Datos", "Facts")                                                                             \
    X(M_VD_PLOT_ID, "Parcela", "Plot")                                                                           \
    X(M_VD_AREA, "Superficie", "Area")                                                                           \
    X(M_VD_NCLEAR, "Observaciones despejadas", "Clear observations")                                             \
    X(M_VD_GAP, "Intervalo más largo sin observación", "Longest gap without observation")                        \
    X(M_VD_NEVER, "Nunca vista despejada", "Never seen clear")                                                   \
    X(M_VD_SCENES, "Escenas de la tesela en el período", "Scenes of the tile in the period")                    \
    X(M_VD_RULES, "Reglas: al menos %ld observaciones despejadas, ningún intervalo de más de %ld días, como máximo %.0f %% nunca vista.", \
      "Rules: at least %ld clear observations, no gap longer than %ld days, at most %.0f %% never seen.")        \
    X(M_VD_NOTES, "Notas", "Notes")                                                                              \
    X(M_VD_MAP, "Mapa de la parcela", "Plot map")                                                                \
    X(M_VD_DAYS, "%d días", "%d days")                                                                           \
    X(M_VW_NO_TILE, "la parcela no está en ninguna tesela que el trabajo nocturno vigila%s",                      \
      "the plot lies on no tile the nightly job monitors%s")                                                    \
    X(M_VW_BASELINE, "la línea base (período de referencia %s a %s) empieza después del inicio del período %s: "  \
      "no se puede ver una pérdida entre ambos",                                                                 \
      "the baseline (reference period %s to %s) starts after the period's start %s: loss between them cannot "  \
      "be seen")                                                                                                 \
    X(M_VW_HISTORY, "la historia de la tesela %s empieza el %s", "the history of tile %s starts on %s")          \
    X(M_VW_NO_BASE, "la tesela %s aún no tiene línea base (sigue en su período de referencia)",                    \
      "tile %s has no baseline yet (still in its reference period)")                                            \
    X(M_VW_FEW, "%d observaciones despejadas, se necesitan %ld", "%d clear observations, %ld needed")            \
    X(M_VW_GAP, "un intervalo de %d días sin observación despejada (se admiten %ld)",                            \
      "a gap of %d days without a clear observation (at most %ld allowed)")                                     \
    X(M_VW_NEVER, "%.0f %% de la parcela nunca se vio despejada (se admite %.0f %%)",                             \
      "%.0f %% of the plot was never seen clear (at most %.0f %% allowed)")                                    \
    X(M_VN_BEFORE, "Alerta %s: pérdida detectada por primera vez el %s, antes del período; no se cuenta.",        \
      "Alert %s: loss first detected on %s, before the period; not counted.")                                  \
    X(M_VN_FALSE, "Alerta %s excluida: el comité la revisó como falso positivo (%s).",                            \
      "Alert %s left out: reviewed as a false positive by the committee (%s).")                                 \
    X(M_VN_REVERTED, "Alerta %s excluida: revirtió (volvió a lo esperado para la estación)%s.",                   \
      "Alert %s left out: it reverted (back to its seasonal expectation)%s.")                                  \
    X(M_VN_CANDIDATE, "Alerta %s: candidata aún sin confirmar%s.", "Alert %s is a candidate not yet confirmed%s.") \
    X(M_VN_VERIFIED, "Alerta %s verificada en campo (%s).", "Alert %s was verified in the field (%s).")          \
    X(M_VD_NO_BASELINE, "sin línea base: nunca se vio despejada en el período de referencia",                    \
      "no baseline: never seen clear in the reference period")                                                  \
    X(M_LANG_OTHER, "English", "Español")

typedef enum {
#define CW_MSG_ENUM(id, es, en) id,
    CW_MESSAGES(CW_MSG_ENUM)
#undef CW_MSG_ENUM
        CW_NMESSAGES
} cw_msg;

/* "es" or "en" (anything else: Spanish, the default). */
cw_lang cw_lang_from_code(const char *code);
const char *cw_lang_code(cw_lang l);
const char *cw_msg_get(cw_lang l, cw_msg m);
/* "Contains modified Copernicus Sentinel data 2023-2024" for imagery of
 * ck days d0..d1 (0: no year). */
void cw_attribution(cw_lang l, int d0, int d1, char *buf, size_t n);
/* An alert's reason (the history's, CW_REASON_* of cw_history.h) in the
 * language: each format's Spanish, its values kept as written; a reason of
 * no known format (a history written by another version) as it is. */
void cw_reason_text(cw_lang l, const char *reason, char *buf, size_t n);
/* The words of an alert's relation to its area (cw_rel_name's code:
 * "inside", "ring_0_500", ...; anything else "outside"). */
cw_msg cw_rel_msg(const char *rel);

#endif
