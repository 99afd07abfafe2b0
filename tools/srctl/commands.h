/* srctl's subcommands; each returns the process exit status. */
#ifndef SRCTL_COMMANDS_H
#define SRCTL_COMMANDS_H

#define SRCTL_EXIT_USAGE 64

/* srctl config check FILE...: 0 when every file is valid, 2 otherwise. */
int srctl_config(int argc, char **argv);

/* srctl plugin inspect FILE.so: 0 and the declaration, or 1 and why not. */
int srctl_plugin(int argc, char **argv);

/* srctl job show FILE: a job file's information and document. */
int srctl_job(int argc, char **argv);

/* srctl secret generate: prints a new site secret. */
int srctl_secret(int argc, char **argv);

/* srctl tenant|user|device|scout|jobs ...: administration through the
 * cloud's API (NOUN is the first word). */
int srctl_admin(const char *noun, int argc, char **argv);

/* srctl submit FILE --queue URI: prints to a print scout's queue. */
int srctl_submit(int argc, char **argv);

#endif
