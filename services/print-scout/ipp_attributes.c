#include "ipp_attributes.h"

#include <string.h>

const char *const scout_document_formats[] = {"application/pdf",
                                              "application/postscript",
                                              "image/pwg-raster",
                                              "image/urf",
                                              "image/jpeg",
                                              "application/octet-stream",
                                              NULL};

bool scout_format_supported(const char *format) {
  for (size_t i = 0; scout_document_formats[i]; i++)
    if (strcmp(format, scout_document_formats[i]) == 0)
      return true;
  return false;
}

const char *scout_format_sniff(const unsigned char *p, size_t len) {
  if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
    return "application/pdf";
  if (len >= 2 && memcmp(p, "%!", 2) == 0)
    return "application/postscript";
  if (len >= 4 && memcmp(p, "RaS2", 4) == 0)
    return "image/pwg-raster";
  if (len >= 8 && memcmp(p, "UNIRAST", 8) == 0)
    return "image/urf";
  if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
    return "image/jpeg";
  return NULL;
}

/* ippCopyAttributes callback; `ctx` is the requested names (NULL: all, as
 * for a collection's members). A collection attribute is copied here, each
 * value a new collection (0: libcups must not copy it again); other values
 * libcups copies (1): quick copies of strings are safe to share, nothing
 * changes them. */
static int copy_unshared(void *ctx, ipp_t *dst, ipp_attribute_t *attr) {
  cups_array_t *requested = ctx;
  const char *name = ippGetName(attr);
  if (!name || (requested && !cupsArrayFind(requested, (void *)name)))
    return 0;
  if (ippGetValueTag(attr) != IPP_TAG_BEGIN_COLLECTION)
    return 1;
  ipp_attribute_t *copy = NULL;
  for (int i = 0; i < ippGetCount(attr); i++) {
    ipp_t *value = ippNew();
    ippCopyAttributes(value, ippGetCollection(attr, i), 1, copy_unshared, NULL);
    if (!copy)
      copy = ippAddCollection(dst, ippGetGroupTag(attr), name, value);
    else
      ippSetCollection(dst, &copy, i, value);
    ippDelete(value); /* the attribute holds it now */
  }
  return 0;
}

void scout_printer_attributes_copy(ipp_t *response, ipp_t *attributes, cups_array_t *requested) {
  ippCopyAttributes(response, attributes, 1, copy_unshared, requested);
}

static void add_keywords(ipp_t *a, const char *name, int n, const char *const *values) {
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), name, n, NULL, values);
}

static void add_keyword(ipp_t *a, const char *name, const char *value) {
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), name, NULL, value);
}

/* media-col for a size in hundredths of millimetres, margins included. */
static ipp_t *media_col(const char *size_name, int width, int length) {
  ipp_t *size = ippNew();
  ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", width);
  ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", length);
  ipp_t *col = ippNew();
  ippAddCollection(col, IPP_TAG_ZERO, "media-size", size);
  ippDelete(size);
  ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-size-name", NULL, size_name);
  static const char *const margins[] = {"media-bottom-margin", "media-left-margin",
                                        "media-right-margin", "media-top-margin"};
  for (int i = 0; i < 4; i++)
    ippAddInteger(col, IPP_TAG_ZERO, IPP_TAG_INTEGER, margins[i], 423);
  ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-source", NULL, "auto");
  ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-type", NULL, "stationery");
  return col;
}

/* EPX (PWG 5100.11): how jobs are released. Every job waits for its
 * owner at a panel; with PIN jobs on, one sent with a job-password also
 * waits for its PIN there. sha2-256: the client sends SHA-256 of the PIN. */
static void add_release_attributes(ipp_t *a, int pin_min_length, int pin_max_length) {
  static const char *const actions[] = {"owner-authorized", "job-password"};
  static const char *const encryptions[] = {"none", "sha2-256"};
  add_keywords(a, "job-release-action-supported", pin_max_length > 0 ? 2 : 1, actions);
  add_keyword(a, "job-release-action-default", "owner-authorized");
  if (pin_max_length <= 0)
    return;
  /* octets: the digits in clear, or the 32 of a SHA-256 */
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "job-password-supported",
                pin_max_length > 32 ? pin_max_length : 32);
  add_keywords(a, "job-password-encryption-supported", 2, encryptions);
  ippAddRange(a, IPP_TAG_PRINTER, "job-password-length-supported", pin_min_length, pin_max_length);
}

static const char *const media[] = {"iso_a4_210x297mm", "na_letter_8.5x11in", "na_legal_8.5x14in",
                                    "iso_a5_148x210mm", "na_index-4x6_4x6in"};

bool scout_media_supported(const char *name) {
  for (size_t i = 0; name && i < sizeof media / sizeof *media; i++)
    if (strcmp(name, media[i]) == 0)
      return true;
  return false;
}

ipp_t *scout_printer_attributes(const char *uri, const char *name, const char *uuid,
                                const char *more_info, int pin_min_length, int pin_max_length) {
  ipp_t *a = ippNew();
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-more-info", NULL, more_info);
  static const char *const versions[] = {"1.1", "2.0"};
  static const int operations[] = {IPP_OP_PRINT_JOB,      IPP_OP_VALIDATE_JOB,
                                   IPP_OP_CREATE_JOB,     IPP_OP_SEND_DOCUMENT,
                                   IPP_OP_CANCEL_JOB,     IPP_OP_GET_JOB_ATTRIBUTES,
                                   IPP_OP_GET_JOBS,       IPP_OP_GET_PRINTER_ATTRIBUTES,
                                   IPP_OP_CANCEL_MY_JOBS, IPP_OP_IDENTIFY_PRINTER};
  static const int media_sizes[][2] = {
      {21000, 29700}, {21590, 27940}, {21590, 35560}, {14800, 21000}, {10160, 15240}};
  static const char *const sides[] = {"one-sided", "two-sided-long-edge", "two-sided-short-edge"};
  static const char *const color_modes[] = {"auto", "color", "monochrome"};
  /* only what a release honours: copies, sides and colour go with the
   * release; media is the size the client rendered the document for, which
   * the printer takes from its pages. Quality, resolution, bins and the
   * like would need the printer to be told, and are not offered. */
  static const char *const job_creation[] = {"copies",
                                             "sides",
                                             "print-color-mode",
                                             "media",
                                             "media-col",
                                             "job-hold-until",
                                             "job-release-action",
                                             "job-password",
                                             "job-password-encryption"};
  static const char *const compression[] = {"none"};
  static const char *const pdl_override[] = {"attempted"};
  static const char *const uri_security[] = {"none"};
  static const char *const uri_auth[] = {"requesting-user-name"};
  static const char *const hold[] = {"indefinite", "no-hold"};
  static const char *const which_jobs[] = {"completed", "not-completed", "all"};
  static const char *const urf[] = {"V1.4", "CP1", "W8", "SRGB24", "RS300", "DM1", "IS1"};
  static const char *const pwg_types[] = {"black_1", "sgray_8", "srgb_8"};
  static const char *const features[] = {"ipp-everywhere"};
  static const char *const output_bins[] = {"face-down"};
  static const int qualities[] = {IPP_QUALITY_DRAFT, IPP_QUALITY_NORMAL, IPP_QUALITY_HIGH};
  static const int orientations[] = {IPP_ORIENT_PORTRAIT, IPP_ORIENT_LANDSCAPE};

  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-uri-supported", NULL, uri);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-security-supported", 1,
                NULL, uri_security);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-authentication-supported",
                1, NULL, uri_auth);
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_NAME, "printer-name", NULL, name);
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-info", NULL,
               "securerelease: jobs wait here until you release them at a printer");
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-make-and-model", NULL,
               "securerelease Secure Release Queue");
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-location", NULL, "any printer");
  ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-uuid", NULL, uuid);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-versions-supported", 2,
                NULL, versions);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-features-supported", 1,
                NULL, features);
  ippAddIntegers(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "operations-supported",
                 (int)(sizeof operations / sizeof *operations), operations);
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-configured", NULL,
               "utf-8");
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-supported", NULL,
               "utf-8");
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_LANGUAGE), "natural-language-configured",
               NULL, "en");
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_LANGUAGE),
               "generated-natural-language-supported", NULL, "en");
  ippAddString(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-default", NULL,
               "application/octet-stream");
  int n_formats = 0;
  while (scout_document_formats[n_formats])
    n_formats++;
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-supported",
                n_formats, NULL, scout_document_formats);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "pdl-override-supported", 1,
                NULL, pdl_override);
  ippAddStrings(a, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD), "compression-supported", 1,
                NULL, compression);
  ippAddBoolean(a, IPP_TAG_PRINTER, "color-supported", 1);
  ippAddBoolean(a, IPP_TAG_PRINTER, "multiple-document-jobs-supported", 0);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "multiple-operation-time-out", 60);
  ippAddRange(a, IPP_TAG_PRINTER, "copies-supported", 1, 999);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "copies-default", 1);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "job-priority-supported", 100);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "job-priority-default", 50);
  add_keywords(a, "sides-supported", 3, sides);
  add_keyword(a, "sides-default", "one-sided");
  add_keywords(a, "print-color-mode-supported", 3, color_modes);
  add_keyword(a, "print-color-mode-default", "auto");
  add_keywords(a, "media-supported", 5, media);
  add_keyword(a, "media-default", "iso_a4_210x297mm");
  ipp_attribute_t *db = NULL;
  for (int i = 0; i < 5; i++) {
    ipp_t *col = media_col(media[i], media_sizes[i][0], media_sizes[i][1]);
    if (!db)
      db = ippAddCollection(a, IPP_TAG_PRINTER, "media-col-database", col);
    else
      ippSetCollection(a, &db, ippGetCount(db), col);
    ippDelete(col);
  }
  ipp_t *default_col = media_col(media[0], media_sizes[0][0], media_sizes[0][1]);
  ippAddCollection(a, IPP_TAG_PRINTER, "media-col-default", default_col);
  ippDelete(default_col);
  static const char *const media_col_supported[] = {
      "media-bottom-margin", "media-left-margin", "media-right-margin", "media-size",
      "media-size-name",     "media-source",      "media-top-margin",   "media-type"};
  add_keywords(a, "media-col-supported", 8, media_col_supported);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "media-bottom-margin-supported", 423);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "media-left-margin-supported", 423);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "media-right-margin-supported", 423);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "media-top-margin-supported", 423);
  add_keyword(a, "media-source-supported", "auto");
  add_keyword(a, "media-type-supported", "stationery");
  add_keywords(a, "output-bin-supported", 1, output_bins);
  add_keyword(a, "output-bin-default", "face-down");
  ippAddIntegers(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "print-quality-supported", 3, qualities);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "print-quality-default", IPP_QUALITY_NORMAL);
  ippAddIntegers(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "orientation-requested-supported", 2,
                 orientations);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "orientation-requested-default",
                IPP_ORIENT_PORTRAIT);
  ippAddResolution(a, IPP_TAG_PRINTER, "printer-resolution-supported", IPP_RES_PER_INCH, 300, 300);
  ippAddResolution(a, IPP_TAG_PRINTER, "printer-resolution-default", IPP_RES_PER_INCH, 300, 300);
  ippAddResolution(a, IPP_TAG_PRINTER, "pwg-raster-document-resolution-supported", IPP_RES_PER_INCH,
                   300, 300);
  add_keyword(a, "pwg-raster-document-sheet-back", "normal");
  add_keywords(a, "pwg-raster-document-type-supported", 3, pwg_types);
  add_keywords(a, "urf-supported", 7, urf);
  add_keywords(a, "job-creation-attributes-supported", pin_max_length > 0 ? 9 : 7, job_creation);
  add_release_attributes(a, pin_min_length, pin_max_length);
  add_keywords(a, "job-hold-until-supported", 2, hold);
  add_keyword(a, "job-hold-until-default", "indefinite");
  add_keywords(a, "which-jobs-supported", 3, which_jobs);
  ippAddBoolean(a, IPP_TAG_PRINTER, "page-ranges-supported", 0);
  add_keyword(a, "identify-actions-supported", "display");
  add_keyword(a, "identify-actions-default", "display");
  add_keyword(a, "printer-kind", "document");
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "finishings-default", IPP_FINISHINGS_NONE);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "finishings-supported", IPP_FINISHINGS_NONE);
  /* the release printer's speed is not known here: say how fast the queue
   * takes jobs, which is what a client waits for */
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "pages-per-minute", 60);
  ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "pages-per-minute-color", 60);
  ipp_attribute_t *sizes = NULL;
  for (int i = 0; i < 5; i++) {
    ipp_t *size = ippNew();
    ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", media_sizes[i][0]);
    ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", media_sizes[i][1]);
    if (!sizes)
      sizes = ippAddCollection(a, IPP_TAG_PRINTER, "media-size-supported", size);
    else
      ippSetCollection(a, &sizes, ippGetCount(sizes), size);
    ippDelete(size);
  }
  return a;
}
