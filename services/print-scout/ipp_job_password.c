/*
 * PIN jobs (PWG 5100.11, EPX): a job creation request may carry
 * job-password, the PIN to enter at the panel before the job is released.
 * Both encodings come down to SHA-256 of the digits ("none": the queue
 * hashes them; "sha2-256": the client did), and of that only the site's
 * keyed hash is kept (hooks.hash_pin). A PIN the queue cannot keep is
 * refused, never dropped: a job printed without the PIN its owner set
 * would be a silent loss of the protection they asked for.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "idhash.h"
#include "ipp_queue_private.h"
#include "sr/abi.h"

static bool pin_jobs_on(const scout_queue *q) {
  return q->hooks.hash_pin && q->options.pin_max_length > 0;
}

/* Refuses the request for attribute `a` with `message`. */
static bool refuse(scout_request *r, ipp_attribute_t *a, const char *message) {
  scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "%s", message);
  scout_ipp_unsupported(r, a);
  return false;
}

/* SHA-256 of the PIN from job-password as `encryption` says it is sent. */
static bool pin_digest(scout_request *r, ipp_attribute_t *password, const char *encryption,
                       uint8_t digest[SR_IDHASH_LEN]) {
  const scout_queue_options *o = &r->queue->options;
  int len = 0;
  const void *octets = ippGetOctetString(password, 0, &len);
  if (strcmp(encryption, "sha2-256") == 0) {
    if (len != SR_IDHASH_LEN) {
      scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                       "job-password with sha2-256 is the 32 octets of a SHA-256.");
      return false;
    }
    memcpy(digest, octets, SR_IDHASH_LEN);
    return true;
  }
  if (len < 0 || sr_job_pin_digest(octets, (size_t)len, o->pin_min_length, o->pin_max_length,
                                   digest) != SR_OK) {
    scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                     "job-password is a PIN of %d to %d digits.", o->pin_min_length,
                     o->pin_max_length);
    return false;
  }
  return true;
}

/* job-release-action: "owner-authorized" is what every job gets;
 * "job-password" only with a job-password. */
static bool check_release_action(scout_request *r, bool has_pin) {
  ipp_attribute_t *a = ippFindAttribute(r->request, "job-release-action", IPP_TAG_ZERO);
  if (!a)
    return true;
  const char *v =
      ippGetCount(a) == 1 && ippGetValueTag(a) == IPP_TAG_KEYWORD ? ippGetString(a, 0, NULL) : NULL;
  if (v && (strcmp(v, "owner-authorized") == 0 ||
            (strcmp(v, "job-password") == 0 && has_pin && pin_jobs_on(r->queue))))
    return true;
  return refuse(r, a,
                v && strcmp(v, "job-password") == 0
                    ? "job-release-action job-password needs a job-password."
                    : "Unsupported job-release-action.");
}

/* The attributes that make a PIN job, each allowed once. */
static const char *const pin_attributes[] = {"job-password", "job-password-encryption",
                                             "job-release-action", NULL};

bool scout_ipp_job_password(scout_request *r, scout_job *job) {
  /* the intake keeps the first of repeated attributes: for a security
   * attribute a second one must not be resolved in silence */
  for (size_t i = 0; pin_attributes[i]; i++)
    if (scout_intake_repeated(r->intake, pin_attributes[i])) {
      scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "%s is given more than once.",
                       pin_attributes[i]);
      scout_ipp_unsupported_name(r, pin_attributes[i]); /* its values not echoed */
      return false;
    }
  ipp_attribute_t *password = ippFindAttribute(r->request, "job-password", IPP_TAG_ZERO);
  ipp_attribute_t *encryption =
      ippFindAttribute(r->request, "job-password-encryption", IPP_TAG_ZERO);
  job->pin_hash[0] = '\0';
  if (!password) {
    if (encryption)
      return refuse(r, encryption, "job-password-encryption without a job-password.");
    return check_release_action(r, false);
  }
  if (!pin_jobs_on(r->queue))
    return refuse(r, password,
                  "This queue takes no PIN jobs (pin_jobs.enabled is false): print without a "
                  "job-password.");
  if (ippGetCount(password) != 1 || ippGetValueTag(password) != IPP_TAG_STRING ||
      ippGetGroupTag(password) != IPP_TAG_OPERATION)
    return refuse(r, password, "job-password is one octetString operation attribute.");
  const char *how = "none";
  if (encryption) {
    how = ippGetCount(encryption) == 1 && ippGetValueTag(encryption) == IPP_TAG_KEYWORD
              ? ippGetString(encryption, 0, NULL)
              : "";
    if (strcmp(how, "none") != 0 && strcmp(how, "sha2-256") != 0)
      return refuse(r, encryption, "job-password-encryption is none or sha2-256.");
  }
  uint8_t digest[SR_IDHASH_LEN];
  bool ok = pin_digest(r, password, how, digest);
  if (!ok)
    scout_ipp_unsupported(r, password);
  else if (r->queue->hooks.hash_pin(r->queue->hooks.ctx, digest, job->pin_hash) != SR_OK) {
    scout_ipp_status(r, IPP_STATUS_ERROR_INTERNAL, "Cannot keep the job's PIN.");
    job->pin_hash[0] = '\0';
    ok = false;
  }
  OPENSSL_cleanse(digest, sizeof digest);
  return ok && check_release_action(r, true);
}

bool scout_ipp_job_password_late(scout_request *r, const scout_job *job) {
  for (size_t i = 0; pin_attributes[i]; i++) {
    ipp_attribute_t *a = ippFindAttribute(r->request, pin_attributes[i], IPP_TAG_ZERO);
    if (!a)
      continue;
    if (!job->pin_hash[0])
      return refuse(r, a,
                    "A PIN is set when the job is created (Create-Job or Print-Job): cancel this "
                    "job and create it again with its job-password.");
    scout_ipp_unsupported(r, a); /* the PIN set at creation stands */
  }
  return true;
}
