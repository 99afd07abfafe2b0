/*
 * The job information: what a held job is (title, pages, settings, owner),
 * as JSON inside the encrypted part of the job file. Only the scouts ever
 * read it in the clear; the cloud gets the few fields it shows through its
 * own API.
 */
#ifndef SR_CORE_JOB_INFO_H
#define SR_CORE_JOB_INFO_H

#include <stddef.h>
#include <stdint.h>

typedef struct sr_job_info {
  char title[256];
  char document_format[64]; /* MIME type */
  int64_t pages;            /* -1: unknown (never a guess) */
  int64_t size;             /* document bytes */
  int32_t copies;           /* 1..999 */
  char sides[32];           /* "one-sided", "two-sided-long-edge", "two-sided-short-edge" */
  char color_mode[16];      /* "color", "monochrome", "auto" */
  char owner[128];          /* the user id at the cloud */
  char login[256];          /* who printed it at the workstation, as the queue named them
                               (its access control, directory lookups); "" in older files */
  int64_t submitted_at;     /* seconds since the Unix epoch, UTC */
  char pin_hash[65];        /* keyed hash of its PIN (SR_ID_JOB_PIN, 64 hex digits), or "":
                               released only after the PIN is entered at the panel */
} sr_job_info;

/* Fills *info with defaults: 1 copy, one-sided, auto colour, unknown pages. */
void sr_job_info_init(sr_job_info *info);

/* Serialises to compact JSON (submitted_at as RFC 3339). On SR_OK *json is
 * the caller's, to free with free(). SR_ERR_INVALID if a field is out of
 * range. */
int sr_job_info_to_json(const sr_job_info *info, char **json);

/* Parses and checks JSON from a job file. Unknown members are ignored (a
 * newer writer may add some); known ones must have the right type and
 * range. On error returns SR_ERR_INVALID with `why` naming the member. */
int sr_job_info_from_json(const char *json, sr_job_info *info, char *why, size_t why_size);

#endif
