#include "health_report.h"

#include "sr/abi.h"

static int held_jobs(void *jobs) { return scout_job_count_state(jobs, SCOUT_JOB_HELD); }

bool scout_health_report_start(scout_health_report *r, struct ev_loop *loop, sr_cloud_client *cloud,
                               const char *config_path, scout_job_table *jobs) {
  r->cloud = cloud;
  if (sr_cloud_client_use_loop(r->cloud, loop) != SR_OK)
    return false;
  sr_scout_health_options o = {.loop = loop,
                               .cloud = r->cloud,
                               .config_path = config_path,
                               .held_jobs = held_jobs,
                               .held_jobs_ctx = jobs};
  r->health = sr_scout_health_start(&o);
  return r->health != NULL;
}

void scout_health_report_stop(scout_health_report *r) {
  sr_scout_health_free(r->health); /* before its client: a call in flight ends with it */
  sr_cloud_client_free(r->cloud);
  *r = (scout_health_report){0};
}
