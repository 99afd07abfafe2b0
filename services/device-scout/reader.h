/*
 * Network card readers at printers without an embedded panel (docs/
 * devices.md, "Card readers"; docs/api/panel.yaml). A reader enrolls once
 * with the token an administrator made (srctl reader add) and gets its
 * credential; each swipe then carries the card number and that credential.
 * The card is hashed here with the site secret, as panel logins are; the
 * cloud checks the credential, finds the reader's device and releases the
 * card owner's held jobs there.
 */
#ifndef DEVICE_SCOUT_READER_H
#define DEVICE_SCOUT_READER_H

#include "panel.h"

/* POST /api/v1/panel/readers/enroll {token}: forwarded to the cloud, which
 * answers the reader's credential once. `body` is checked by the router
 * (known fields, all text); the caller keeps its reference. */
void reader_enroll(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp);

/* POST /api/v1/panel/reader/swipe {card} with the reader's credential as
 * bearer token: the card's site hash goes to the cloud, never the number.
 * Same ownership as reader_enroll. */
void reader_swipe(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp);

#endif
